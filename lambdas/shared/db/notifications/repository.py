"""The notifications outbox: queued in the transaction of what it reports, claimed by dispatchers."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import Any

from sqlalchemy import and_, or_, select, update
from sqlalchemy.orm import Session

from lambdas.shared.db.notifications.models import Notification
from lambdas.shared.db.rows import rowcount
from lambdas.shared.domain import NotificationStatus


class NotificationRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def by_dedup_key(self, dedup_key: str) -> Notification | None:
        return self.session.scalars(select(Notification).where(Notification.dedup_key == dedup_key)).first()

    def add(self, notification: Notification) -> None:
        self.session.add(notification)

    def cancel_pending(self, client_ids: Collection[str]) -> None:
        """Erasure: nothing more goes to these clients, and no undelivered message keeps its payload."""
        mine = Notification.client_id.in_(client_ids)
        self.session.execute(
            update(Notification)
            .where(mine, Notification.status == NotificationStatus.PENDING)
            .values(status=NotificationStatus.CANCELLED, reason="erased", claim=None, claimed_until=None)
        )
        self.session.execute(
            update(Notification).where(mine, Notification.status != NotificationStatus.SENT).values(payload={})
        )

    def claim(self, claim: str, now: datetime, until: datetime, limit: int) -> list[Notification]:
        """Up to ``limit`` messages due now and claimed by nobody (or by a dispatcher whose claim
        lapsed), the longest due first, now claimed by ``claim``.

        The candidates are read without locking, then claimed by a conditional update: a row another
        dispatcher claimed meanwhile is left to it (the update waits for that claim to commit, then
        finds the row taken). When all of them were taken so, the next candidates are read: of
        dispatchers running at once, none hears that nothing is due while messages are, whatever plan
        InnoDB chooses (with SKIP LOCKED, one that sorts without the index locks every due row it
        reads, and the others skip them all)."""
        free = or_(Notification.claimed_until.is_(None), Notification.claimed_until < now)
        due = and_(Notification.status == NotificationStatus.PENDING, Notification.next_attempt_at <= now, free)
        candidates = select(Notification.id).where(due).order_by(Notification.next_attempt_at, Notification.id)
        while ids := list(self.session.scalars(candidates.limit(limit))):
            self.session.execute(
                update(Notification)
                .where(Notification.id.in_(ids), due)
                .values(claim=claim, claimed_until=until, attempts=Notification.attempts + 1)
                .execution_options(synchronize_session=False)
            )
            claimed = select(Notification).where(Notification.claim == claim).execution_options(populate_existing=True)
            if rows := list(self.session.scalars(claimed)):
                return rows
        return []

    def settle(self, notification_id: str, claim: str, **values: Any) -> bool:
        """The claimed message's outcome, if the claim is still ours (it lapsed otherwise: another
        dispatcher has it now)."""
        result = self.session.execute(
            update(Notification)
            .where(Notification.id == notification_id, Notification.claim == claim)
            .values(claim=None, claimed_until=None, **values)
            .execution_options(synchronize_session=False)
        )
        return bool(rowcount(result))
