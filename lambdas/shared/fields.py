"""Every stored string's maximum length, declared once: the request models and the columns both use it.

A value the API accepts therefore always fits its column, on MySQL as on SQLite. Derived values
(search keys, idempotency keys) fit by construction: they are truncated or hashed.
"""

from __future__ import annotations

import hashlib
import re
from datetime import date, datetime
from typing import Annotated, Any

from pydantic import AfterValidator, AwareDatetime, BeforeValidator, Field, StringConstraints

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
SLUG_LENGTH = 36  # the ids managers choose for sites, stations and counters: saint-denis, eye-exam
PREFIX_LENGTH = 3  # a station's ticket prefix: A, E, FR
TIMEZONE_LENGTH = 64  # an IANA time zone: Europe/Paris
SKU_LENGTH = 64  # a frame model's stock-keeping unit, as the site labels its shelf
SKU_PATTERN = rf"^[A-Z0-9][A-Z0-9._-]{{0,{SKU_LENGTH - 1}}}$"  # upper case: one SKU whatever the collation


UUID_PATTERN = r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"  # the ids this API makes
SLUG_PATTERN = rf"^[a-z0-9](?:[a-z0-9-]{{0,{SLUG_LENGTH - 2}}}[a-z0-9])?$"  # ids chosen by people: saint-denis


def digest(text: str) -> str:
    """A fixed-length, case-sensitive key for ``text`` (MySQL compares strings ignoring case)."""
    return hashlib.sha256(text.encode()).hexdigest()


# One line of text: no control characters (NUL, ESC, tabs, line breaks), no line or paragraph
# separators, no bidirectional overrides (they make a name read as another); and at least one
# character that shows (not only spaces, zero-width or other invisible characters). The OpenAPI
# document publishes the rule as this pattern; the validators say it in words.
_REFUSED = r"\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069"
# soft hyphen, zero-width and joiner characters, and the letters that draw nothing (Hangul fillers,
# the braille blank, the Mongolian vowel separator, the combining grapheme joiner)
_INVISIBLE = r"\u00ad\u034f\u115f\u1160\u180e\u200b-\u200f\u2060-\u2064\u2800\u3164\ufeff\uffa0"
SINGLE_LINE = rf"^[^{_REFUSED}]*[^\s{_REFUSED}{_INVISIBLE}][^{_REFUSED}]*$"
_REFUSED_CHARACTER = re.compile(f"[{_REFUSED}]")
_VISIBLE_CHARACTER = re.compile(rf"[^\s{_REFUSED}{_INVISIBLE}]")


def _one_line(value: str) -> str:
    if _REFUSED_CHARACTER.search(value):
        raise ValueError(
            "must be one line of text: control characters (NUL, ESC, tabs, line breaks), line separators "
            "and direction overrides are refused"
        )
    if not _VISIBLE_CHARACTER.search(value):
        raise ValueError("must contain a visible character, not only spaces or invisible ones")
    return value


def single_line(max_length: int) -> tuple[Any, ...]:
    """A one-line text of at most ``max_length`` characters, surrounding spaces removed:
    ``Annotated[str, *single_line(max_length)]``."""
    return (
        StringConstraints(strip_whitespace=True, min_length=1, max_length=max_length),
        AfterValidator(_one_line),
        Field(json_schema_extra={"pattern": SINGLE_LINE}),
    )


def _iso_date(value: object) -> object:
    """Dates are written ``YYYY-MM-DD``: not a timestamp, not ``02/04/1961`` (day or month first?)."""
    if isinstance(value, str) and not _ISO_DATE.fullmatch(value):
        raise ValueError("write the date as YYYY-MM-DD, e.g. 1961-04-02")
    if not isinstance(value, str | date):
        raise ValueError("write the date as a string YYYY-MM-DD, e.g. 1961-04-02")
    return value


_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
IsoDate = Annotated[date, BeforeValidator(_iso_date)]


def _iso_time(value: object) -> object:
    """A time is written as ISO 8601 text with its offset (``2026-05-04T09:30:00+02:00``): never a
    number of seconds, neither as a number nor as text (``0.0`` is not 1970)."""
    if isinstance(value, datetime):
        return value
    if not isinstance(value, str) or not _ISO_TIME.fullmatch(value):
        raise ValueError("write the time as YYYY-MM-DDTHH:MM:SS with its offset, e.g. 2026-05-04T09:30:00+02:00")
    return value


_ISO_TIME = re.compile(r"\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?([Zz]|[+-]\d{2}:?\d{2})")
IsoTime = Annotated[AwareDatetime, BeforeValidator(_iso_time)]


def _json_integer(value: object) -> object:
    """A count or a degree is a JSON number (``4``, or ``4.0``, which JSON Schema calls an integer
    too), never ``true`` or ``"4"``."""
    if isinstance(value, bool | str):
        raise ValueError("a whole number, written as a number")
    return value


def whole_number(low: int, high: int) -> tuple[Any, ...]:
    """A JSON integer from ``low`` to ``high``: ``Annotated[int, *whole_number(low, high)]`` (the bounds
    inside the type: the document states them even where the field may be null)."""
    return Field(ge=low, le=high), BeforeValidator(_json_integer)


def _digits(value: object) -> object:
    """A count in a query string is written in digits: ``20``, not ``20.0``, ``+20`` or ``2e1``."""
    if isinstance(value, str) and not (value.isascii() and value.isdigit()):
        raise ValueError("a whole number, written in digits")
    return value


def query_count(low: int, high: int) -> tuple[Any, ...]:
    """A count in a query string, from ``low`` to ``high``, written in digits:
    ``Annotated[int, *query_count(low, high)]``."""
    return Field(ge=low, le=high), BeforeValidator(_digits)


Name = Annotated[str, *single_line(NAME_LENGTH)]
Text = Annotated[str, *single_line(TEXT_LENGTH)]
Reference = Annotated[str, *single_line(REFERENCE_LENGTH)]
