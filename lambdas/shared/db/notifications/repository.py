"""The notifications outbox: queued in the transaction of what it reports, claimed by dispatchers."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from lambdas.shared.db import outbox
from lambdas.shared.db.notifications.models import Notification
from lambdas.shared.domain import NotificationStatus


class NotificationRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def by_dedup_key(self, dedup_key: str) -> Notification | None:
        return self.session.scalars(select(Notification).where(Notification.dedup_key == dedup_key)).first()

    def add(self, notification: Notification) -> None:
        self.session.add(notification)

    def new(self, **fields: Any) -> Notification:
        """A new message of ``fields``, added to the transaction."""
        notification = Notification(**fields)
        self.session.add(notification)
        return notification

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
        """Up to ``limit`` messages due now, claimed by ``claim`` (``outbox.claim_due``)."""
        return outbox.claim_due(self.session, Notification, NotificationStatus.PENDING, claim, now, until, limit)

    def settle(self, notification_id: str, claim: str, **values: Any) -> bool:
        """The claimed message's outcome, if the claim is still ours (``outbox.settle``)."""
        return outbox.settle(self.session, Notification, notification_id, claim, **values)
