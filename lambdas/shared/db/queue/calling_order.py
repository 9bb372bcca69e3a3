"""The calling order at a station, in its two forms side by side: ``rank`` for one ticket, in
Python, and ``rank_in_sql`` for every ticket of a query (``tests/unit/test_calling_order.py`` holds
that they agree on every kind of ticket).

Tickets go by class, then by check-in time: recalled ones, priority ones, appointments whose time has
come, everyone else. When a normal ticket goes first this time (no starvation), priority tickets go
last instead.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, case

from lambdas.shared.db.queue.models import Ticket
from lambdas.shared.domain import TicketPriority

RECALLED, PRIORITY, DUE, OTHERS, PRIORITY_HELD_BACK = 0, 1, 2, 3, 4


def rank(
    recalled: bool, priority: str, appointment_at: datetime | None, now: datetime, *, normal_first: bool = False
) -> int:
    """One ticket's class."""
    if recalled:
        return RECALLED
    if priority != TicketPriority.NONE:
        return PRIORITY_HELD_BACK if normal_first else PRIORITY
    return DUE if appointment_at is not None and appointment_at <= now else OTHERS


def rank_in_sql(now: Any, *, normal_first: bool = False) -> ColumnElement[int]:
    """Every ticket's class, as a column (``now`` a time or a bound parameter)."""
    due = Ticket.appointment_at.is_not(None) & (Ticket.appointment_at <= now)
    priority = PRIORITY_HELD_BACK if normal_first else PRIORITY
    return case(
        (Ticket.recalled, RECALLED), (Ticket.priority != TicketPriority.NONE, priority), (due, DUE), else_=OTHERS
    )


def in_calling_order(query: Select[Any], now: datetime, *, normal_first: bool) -> Select[Any]:
    """``query``'s tickets in the order they will be called."""
    return query.order_by(rank_in_sql(now, normal_first=normal_first), Ticket.checked_in_at, Ticket.id)
