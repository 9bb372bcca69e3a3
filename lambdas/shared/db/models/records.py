"""What every process writes: the notifications outbox, the audit log, idempotency keys."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from lambdas.shared.db.models import clients  # noqa: F401 - the table its foreign keys name
from lambdas.shared.db.models.base import ID, Base, enum_column, new_id
from lambdas.shared.db.types import JsonText, UtcDateTime, utcnow
from lambdas.shared.domain import NotificationChannel, NotificationStatus
from lambdas.shared.fields import DIGEST_LENGTH


class Notification(Base):
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
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    claim: Mapped[str | None] = mapped_column(String(36))
    claimed_until: Mapped[datetime | None] = mapped_column(UtcDateTime)
    provider_message_id: Mapped[str | None] = mapped_column(String(128))
    reason: Mapped[str | None] = mapped_column(String(64))  # why it failed or was not sent (a code)


class AuditEntry(Base):
    """Who (the caller's ``sub``, or the workflow) changed what, and when."""

    __tablename__ = "audit_log"
    __table_args__ = (Index(None, "entity_type", "entity_id"),)

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    actor: Mapped[str] = mapped_column(String(128))
    action: Mapped[str] = mapped_column(String(64))
    entity_type: Mapped[str] = mapped_column(String(32))
    entity_id: Mapped[str] = mapped_column(String(64))
    details: Mapped[dict[str, Any]] = mapped_column(JsonText, default=dict)
    at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class NamedLock(Base):
    """A row to lock so that one kind of work runs one at a time (``UnitOfWork.serialise``)."""

    __tablename__ = "named_locks"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)


class IdempotencyRecord(Base):
    """An ``Idempotency-Key`` already used: the same key and request give back the same entity.

    ``key`` is a digest of the route, the caller and their key: any key fits, compared exactly.
    """

    __tablename__ = "idempotency_records"

    key: Mapped[str] = mapped_column(String(DIGEST_LENGTH), primary_key=True)
    request_hash: Mapped[str] = mapped_column(String(64))
    entity_id: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
