"""What the two outboxes share (messages to clients, signals to workflows): a row due at
``next_attempt_at`` is claimed by one deliverer at a time, for a while, and settled by its claim.

A deliverer claims rows in one short transaction, delivers them outside any, then settles each in
another, if its claim still holds; one that dies leaves its claim to lapse and the row is taken again.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any, TypeVar

from sqlalchemy import Integer, String, and_, or_, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column

from lambdas.shared.clock import utcnow
from lambdas.shared.db.rows import rowcount
from lambdas.shared.db.types import UtcDateTime


class Claimable:
    """The columns of an outbox row that deliverers claim (with ``id`` and ``status``)."""

    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    claim: Mapped[str | None] = mapped_column(String(36))
    claimed_until: Mapped[datetime | None] = mapped_column(UtcDateTime)


Row = TypeVar("Row", bound=Claimable)


def claim_due(
    session: Session, model: type[Row], pending: StrEnum, claim: str, now: datetime, until: datetime, limit: int
) -> list[Row]:
    """Up to ``limit`` rows of ``model`` due now and claimed by nobody (or by a deliverer whose claim
    lapsed), the longest due first, now claimed by ``claim``.

    The candidates are read without locking, then claimed by a conditional update: a row another
    deliverer claimed meanwhile is left to it (the update waits for that claim to commit, then finds
    the row taken). When all of them were taken so, the next candidates are read: of deliverers
    running at once, none hears that nothing is due while rows are, whatever plan InnoDB chooses
    (with SKIP LOCKED, one that sorts without the index locks every due row it reads, and the others
    skip them all)."""
    table: Any = model
    free = or_(table.claimed_until.is_(None), table.claimed_until < now)
    due = and_(table.status == pending, table.next_attempt_at <= now, free)
    candidates = select(table.id).where(due).order_by(table.next_attempt_at, table.id)
    while ids := list(session.scalars(candidates.limit(limit))):
        session.execute(
            update(table)
            .where(table.id.in_(ids), due)
            .values(claim=claim, claimed_until=until, attempts=table.attempts + 1)
            .execution_options(synchronize_session=False)
        )
        claimed = select(table).where(table.claim == claim).execution_options(populate_existing=True)
        if rows := list(session.scalars(claimed)):
            return rows
    return []


def settle(session: Session, model: type[Claimable], row_id: str, claim: str, **values: Any) -> bool:
    """The claimed row's outcome, if the claim is still ``claim`` (it lapsed otherwise: another
    deliverer has it now)."""
    table: Any = model
    result = session.execute(
        update(table)
        .where(table.id == row_id, table.claim == claim)
        .values(claim=None, claimed_until=None, **values)
        .execution_options(synchronize_session=False)
    )
    return bool(rowcount(result))
