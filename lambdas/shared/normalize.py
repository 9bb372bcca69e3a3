"""Normalised forms of names, phones and emails, for search and duplicate detection."""

from __future__ import annotations

import re
import unicodedata

_SEPARATORS = re.compile(r"[\s\-\u2010\u2011\u2019\'.]+")  # spaces, hyphens, apostrophes, dots


def fold(text: str) -> str:
    """Lower case, no accents, hyphens and apostrophes as spaces, single spaces."""
    decomposed = unicodedata.normalize("NFKD", text)
    bare = "".join(char for char in decomposed if not unicodedata.combining(char))
    return _SEPARATORS.sub(" ", bare.casefold()).strip()


def search_name(first_name: str, last_name: str) -> str:
    """What name search matches against: ``last first``, folded."""
    return f"{fold(last_name)} {fold(first_name)}".strip()


def phone_key(phone: str | None) -> str | None:
    """Digits in French national form when the number is French (+33 6… → 06…), else ``+`` and digits."""
    if not phone:
        return None
    digits = re.sub(r"\D", "", phone)
    international = phone.strip().startswith(("+", "00"))
    if phone.strip().startswith("00"):
        digits = digits[2:]
    if international and digits.startswith("33"):
        return "0" + digits[2:]
    return ("+" + digits) if international else digits


def email_key(email: str | None) -> str | None:
    return email.strip().casefold() if email else None
