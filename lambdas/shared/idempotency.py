"""Repeated requests: the first request with an Idempotency-Key claims it for the entity it makes;
the same request again names that entity, and another request with the key is refused."""

from __future__ import annotations

from pydantic import BaseModel

from lambdas.shared.db.unit_of_work import UnitOfWork
from lambdas.shared.errors import ConcurrentSubmission, IdempotencyKeyReused
from lambdas.shared.fields import digest


def earlier_entity(
    uow: UnitOfWork, scope: str, actor: str, idempotency_key: str, request: BaseModel, entity_id: str, what: str
) -> str | None:
    """The entity the first request with this key made, for the same request; None when this one is
    the first (the key is now claimed for ``entity_id``). ``scope`` is what the key is unique within
    (``order``, ``check-in at <site>``). Raises ``IdempotencyKeyReused`` for another request with the
    key, ``ConcurrentSubmission`` while the same key is being stored."""
    # a key is the caller's; digests make any key fit its column and compare exactly
    key = digest(f"{scope} key {actor} {idempotency_key}")
    fingerprint = digest(request.model_dump_json())
    earlier = uow.idempotency.get(key)
    if earlier is not None:
        if earlier.request_hash != fingerprint:
            raise IdempotencyKeyReused(f"this Idempotency-Key was already used for a different {what}")
        return earlier.entity_id
    if not uow.idempotency.claim(key, fingerprint, entity_id):
        raise ConcurrentSubmission(key)
    return None
