"""Page cursors: the sort key of a page's last row, opaque to the caller (URL-safe base64 of JSON)."""

from __future__ import annotations

import base64
import binascii
import json
from typing import Literal, overload


class InvalidCursor(ValueError):
    """The pagination cursor was not one this API produced."""


def encode(*key: str) -> str:
    raw = json.dumps(list(key), separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


@overload
def decode(cursor: str, size: Literal[2]) -> tuple[str, str]: ...
@overload
def decode(cursor: str, size: int) -> tuple[str, ...]: ...


def decode(cursor: str, size: int) -> tuple[str, ...]:
    """The ``size`` strings ``encode`` was given; ``InvalidCursor`` for anything else."""
    try:
        key = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (binascii.Error, ValueError, TypeError) as error:
        raise InvalidCursor("cursor is not valid; use next_cursor from a previous page") from error
    well_formed = isinstance(key, list) and len(key) == size
    if not well_formed or not all(isinstance(part, str) and _encodable(part) for part in key):
        raise InvalidCursor("cursor is not valid; use next_cursor from a previous page")
    return tuple(key)


def _encodable(text: str) -> bool:
    try:
        text.encode()
    except UnicodeEncodeError:  # a lone surrogate: no key holds one
        return False
    return True
