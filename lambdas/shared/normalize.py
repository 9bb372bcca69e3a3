"""Normalised forms of names and emails, for search and duplicate detection.

Search keys are truncated and exact-match keys hashed, so they fit their columns whatever the input
(folding lengthens some letters: ß → ss, ﬃ → ffi).
"""

from __future__ import annotations

import re
import unicodedata

from lambdas.shared.fields import SEARCH_NAME_LENGTH, digest

_SEPARATORS = re.compile(r"[\s\-\u2010\u2011\u2019\'.]+")  # spaces, hyphens, apostrophes, dots


def fold(text: str) -> str:
    """Lower case, no accents, hyphens and apostrophes as spaces, single spaces."""
    decomposed = unicodedata.normalize("NFKD", text)
    bare = "".join(char for char in decomposed if not unicodedata.combining(char))
    return _SEPARATORS.sub(" ", bare.casefold()).strip()


def search_name(first_name: str, last_name: str) -> str:
    """What name search matches against: ``last first``, folded."""
    return f"{fold(last_name)} {fold(first_name)}".strip()[:SEARCH_NAME_LENGTH]


def name_key(first_name: str, last_name: str) -> str:
    """What an exact duplicate shares: both names, folded, in their places."""
    return digest(f"{fold(first_name)}|{fold(last_name)}")


def email_key(email: str | None) -> str | None:
    return digest(email.strip().casefold()) if email else None
