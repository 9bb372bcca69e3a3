"""Erasure: the person's data leaves every record that holds it, at their request.

The rows stay, anonymous, so the programme's counts stay true.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from lambdas.shared import signals
from lambdas.shared.clock import utcnow
from lambdas.shared.db.unit_of_work import UnitOfWork
from lambdas.shared.domain import ClientStatus
from lambdas.shared.errors import NotFound
from lambdas.shared.orders import desk

if TYPE_CHECKING:  # tables are mapped on first use (lambdas/shared/db/unit_of_work.py)
    from lambdas.shared.db.clients.models import Client


@dataclass(frozen=True)
class Erasure:
    client_id: str
    erased: tuple[str, ...]  # the client and every application merged into it
    onboarding_ended: bool  # the onboarding was waiting for an answer: its wait fails (ClientErased)


ERASED_NAME = "erased"
# an open order cannot go on without its prescription: it is cancelled (the reason is forgotten too)
CANCELLED = desk.Cancellation(reason="the client's personal data was erased")


def erase_client(uow: UnitOfWork, client_id: str) -> Erasure:
    """Erase the person from every record that holds their data; keep the anonymous rows for the counts.

    That is the client, every application merged into it, their consents, documents, queued
    notifications, tickets and orders. An onboarding waiting for an answer ends at once, with the outcome
    "erased"; the open orders are cancelled, and their workflows told.
    """
    client = uow.clients.lock(client_id)
    if client is None:
        raise NotFound("client", client_id)
    records = [client, *uow.clients.merged_into(client_id)]
    ids = tuple(record.id for record in records)
    waiting = client.task_token
    if any(record.status != ClientStatus.ERASED for record in records):
        now = utcnow()
        for record in records:
            _erase_person(record, now)
        uow.consents.withdraw_all(ids, now)
        uow.evidence.forget(ids)
        uow.notifications.cancel_pending(ids)
        for order in uow.orders.open_of(ids):
            desk.cancel(uow, order.id, CANCELLED, uow.actor)
        uow.orders.forget_prescriptions(ids)
        uow.queue.forget_people(ids)
        uow.idempotency.forget_entities(ids)
        uow.audit("client.erased", "client", client_id, merged_applications=list(ids[1:]))
    if waiting is not None:
        signals.fail(uow, waiting, "ClientErased", "the client's personal data was erased")
        client.task_token = None
    return Erasure(client_id, ids, onboarding_ended=waiting is not None)


def _erase_person(client: Client, when: datetime) -> None:
    for name in PERSONAL_COLUMNS:
        setattr(client, name, None)
    client.first_name = client.last_name = ERASED_NAME
    client.search_name = ""
    client.waiting_for = None
    client.status, client.erased_at = ClientStatus.ERASED, when


# Every column of a client that says something about the person (names are replaced, not nulled).
PERSONAL_COLUMNS = (
    "birth_date",
    "birth_date_quality",
    "housing_situation",
    "phone",
    "email",
    "address_care_of",
    "address_line1",
    "address_line2",
    "postal_code",
    "city",
    "name_key",
    "email_key",
    "application",
    "outcome_reason",
)
