"""Idempotency keys: the same key and request give back the same entity."""

from __future__ import annotations

from collections.abc import Collection

from sqlalchemy import delete
from sqlalchemy.orm import Session

from lambdas.shared.db.records.models import IdempotencyRecord
from lambdas.shared.db.rows import insert_or_keep


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
