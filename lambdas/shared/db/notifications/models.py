"""The notifications outbox: each message to send, written in the transaction of what it reports."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from lambdas.shared.clock import utcnow
from lambdas.shared.db.base import ID, Base, enum_column, new_id
from lambdas.shared.db.clients import models as clients  # noqa: F401 - the table its foreign keys name
from lambdas.shared.db.outbox import Claimable
from lambdas.shared.db.types import JsonText, UtcDateTime
from lambdas.shared.domain import NotificationChannel, NotificationStatus


class Notification(Claimable, Base):
    """Outbox: a message to send. ``dedup_key`` makes queuing idempotent; the payload holds ids and
    numbers, never a name or an address (those are read from the client when it is sent).

    A dispatcher claims a row (``claim``, until ``claimed_until``), sends it, then marks it with the
    provider's id; a claim that lapses (the dispatcher died) is taken again.
    """

    __tablename__ = "notifications"
    __table_args__ = (Index(None, "status", "next_attempt_at"),)

    id: Mapped[str] = mapped_column(ID, primary_key=True, default=new_id)
    dedup_key: Mapped[str] = mapped_column(String(200), unique=True)
    client_id: Mapped[str] = mapped_column(ForeignKey("clients.id"), index=True)
    channel: Mapped[NotificationChannel] = mapped_column(enum_column(NotificationChannel))
    template: Mapped[str] = mapped_column(String(64))
    language: Mapped[str] = mapped_column(String(8))
    payload: Mapped[dict[str, Any]] = mapped_column(JsonText, default=dict)
    status: Mapped[NotificationStatus] = mapped_column(
        enum_column(NotificationStatus), default=NotificationStatus.PENDING
    )
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    provider_message_id: Mapped[str | None] = mapped_column(String(128))
    reason: Mapped[str | None] = mapped_column(String(64))  # why it failed or was not sent (a code)
