"""Idempotency keys (the same key and request give back the same entity), the audit log, the named locks."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from sqlalchemy import delete
from sqlalchemy.orm import Session

from lambdas.shared.db.records.models import AuditEntry, IdempotencyRecord, NamedLock
from lambdas.shared.db.rows import insert_or_keep, lock_or_create


class IdempotencyRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def get(self, key: str) -> IdempotencyRecord | None:
        return self.session.get(IdempotencyRecord, key, populate_existing=True)

    def claim(self, key: str, request_hash: str, entity_id: str) -> bool:
        """Record ``key`` for ``entity_id``; False if another request holds it already (it may have just
        committed). Entity ids are new to each request: the key is ours if it names ours."""
        insert_or_keep(self.session, IdempotencyRecord(key=key, request_hash=request_hash, entity_id=entity_id))
        stored = self.session.get(IdempotencyRecord, key, populate_existing=True)
        return stored is not None and stored.entity_id == entity_id

    def forget_entities(self, entity_ids: Collection[str]) -> None:
        self.session.execute(delete(IdempotencyRecord).where(IdempotencyRecord.entity_id.in_(entity_ids)))


class RecordRepository:
    """The audit log and the named locks of every unit of work (``UnitOfWork.audit``, ``serialise``)."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def audit(self, actor: str, action: str, entity_type: str, entity_id: str, details: dict[str, Any]) -> None:
        self.session.add(
            AuditEntry(actor=actor, action=action, entity_type=entity_type, entity_id=entity_id, details=details)
        )

    def lock(self, name: str) -> None:
        """Lock the row named ``name`` (created if it is not there) until the transaction ends."""
        lock_or_create(self.session, NamedLock(name=name))
