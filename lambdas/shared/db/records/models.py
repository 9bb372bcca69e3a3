"""What every process writes beside its own rows: the audit log, idempotency keys, named locks."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from lambdas.shared.clock import utcnow
from lambdas.shared.db.base import Base
from lambdas.shared.db.types import JsonText, UtcDateTime
from lambdas.shared.fields import DIGEST_LENGTH


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
