"""Phone numbers in E.164 (``+33612345678``), however the front desk writes them.

The library is imported on first use: only requests that carry a phone number pay for it.
"""

from __future__ import annotations

import re

E164_MAX_LENGTH = 16  # "+" and at most 15 digits


class InvalidPhoneNumber(ValueError):
    """Not a number that can be dialled: the message says why, in the front desk's words."""


def to_e164(raw: str, region: str) -> str:
    """``raw`` as E.164; national numbers are read as numbers of ``region`` (ISO 3166 alpha-2)."""
    import phonenumbers

    try:
        number = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException as error:
        raise InvalidPhoneNumber(f"not a phone number ({error._msg})") from error
    if not phonenumbers.is_valid_number(number):
        raise InvalidPhoneNumber(
            f"not a valid phone number (a national number is read as a {region} number; "
            "write others with their country code, e.g. +32 470 12 34 56)"
        )
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def search_digits(query: str) -> str | None:
    """The digits a stored E.164 number must contain for a phone search, or None if ``query`` is no phone.

    ``06 12 34``, ``+33 6 12 34`` and ``0033 6 12 34`` all find ``+33612345678``: the trunk ``0`` and
    the ``+``/``00`` prefixes are dropped, what remains is matched as a part of the number.
    """
    compact = re.sub(r"[\s.\-()]", "", query)
    if not re.fullmatch(r"\+?\d{3,}", compact):
        return None
    digits = compact.lstrip("+")
    if compact.startswith("+"):
        return digits
    return digits[2:] if digits.startswith("00") else digits.removeprefix("0")
