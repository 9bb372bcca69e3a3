"""The time now, aware and in UTC: what every record's timestamps and every rule's "now" read."""

from __future__ import annotations

from datetime import UTC, datetime


def utcnow() -> datetime:
    return datetime.now(UTC)
