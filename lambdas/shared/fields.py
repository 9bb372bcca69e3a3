"""Every stored string's maximum length, declared once: the request models and the columns both use it.

A value the API accepts therefore always fits its column, on MySQL as on SQLite. Derived values
(search keys, idempotency keys) fit by construction: they are truncated or hashed.
"""

from __future__ import annotations

import hashlib
import re
from typing import Annotated

from pydantic import AfterValidator, Field, StringConstraints

NAME_LENGTH = 100  # first name, last name, city
TEXT_LENGTH = 200  # address lines, care-of organisation, a document's rejection reason
REFERENCE_LENGTH = 100  # a document's reference (benefit number, letter reference)
POSTAL_CODE_LENGTH = 16
EMAIL_LENGTH = 254  # RFC 5321's limit on a forward path
PHONE_INPUT_LENGTH = 32  # a number as the front desk types it: spaces, dots, brackets
PHONE_LENGTH = 32  # the stored E.164 form: 16 characters at most, so it always fits
REASON_LENGTH = 500  # why an application ended as it did (built from the fields above)
IDEMPOTENCY_KEY_LENGTH = 200  # the Idempotency-Key header, as the caller sends it
SEARCH_NAME_LENGTH = 201  # both folded names; folding can lengthen them (ß → ss), so it is truncated
DIGEST_LENGTH = 64  # a SHA-256 in hex: exact-match keys of any length


def digest(text: str) -> str:
    """A fixed-length, case-sensitive key for ``text`` (MySQL compares strings ignoring case)."""
    return hashlib.sha256(text.encode()).hexdigest()


# No control characters (NUL, ESC, line breaks, ...) anywhere, and something other than spaces.
# The OpenAPI document publishes the rule as this pattern; the validator says it in words.
_CONTROLS = r"\u0000-\u001f\u007f-\u009f"
SINGLE_LINE = rf"^[^{_CONTROLS}]*[^\s{_CONTROLS}][^{_CONTROLS}]*$"
_CONTROL = re.compile(f"[{_CONTROLS}]")


def _no_control_characters(value: str) -> str:
    if _CONTROL.search(value):
        raise ValueError("must be one line of text: control characters (NUL, ESC, tabs, line breaks) are refused")
    return value


def single_line(max_length: int) -> type[str]:
    """A one-line text of at most ``max_length`` characters, surrounding spaces removed."""
    return Annotated[  # type: ignore[return-value]
        str,
        StringConstraints(strip_whitespace=True, min_length=1, max_length=max_length),
        AfterValidator(_no_control_characters),
        Field(json_schema_extra={"pattern": SINGLE_LINE}),
    ]


Name = single_line(NAME_LENGTH)
Text = single_line(TEXT_LENGTH)
Reference = single_line(REFERENCE_LENGTH)
