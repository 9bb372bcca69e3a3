"""Erasure reaches every record that holds the person's data, and leaves no execution for ops to fix."""

from __future__ import annotations

import json
from datetime import date

from sqlalchemy import func, select

from lambdas.shared.db.clients.models import Client, EligibilityEvidence
from lambdas.shared.db.notifications.models import Notification
from lambdas.shared.db.orders.models import Order, Prescription
from lambdas.shared.db.records.models import AuditEntry, IdempotencyRecord
from lambdas.shared.db.sites.models import Site
from lambdas.shared.db.unit_of_work import UnitOfWork
from tests.databases import ON_BOTH_DATABASES
from tests.events import api_event, call_api
from tests.workflows.conftest import Onboarding, application

pytestmark = ON_BOTH_DATABASES

AMINA = {
    "first_name": "Amina",
    "last_name": "Diallo",
    "birth_date": "1961-04-02",
    "phone": "+33612345678",
    "email": None,
    "address": {"line1": "12 rue des Lilas", "postal_code": "93200", "city": "Saint-Denis"},
}
# the same person, applying again with an email and a new reference
AMINA_AGAIN = {**AMINA, "email": "amina.diallo@example.org", "evidence": {"type": "income_statement",
               "reference": "AVIS-AMINA-2026"}}  # fmt: skip


def _every_value_stored() -> str:
    """Every column of every row that can hold a person's data, as one text to search."""
    with UnitOfWork("test") as uow:
        rows = [
            *uow.session.scalars(select(Client)),
            *uow.session.scalars(select(EligibilityEvidence)),
            *uow.session.scalars(select(Notification)),
            *uow.session.scalars(select(Order)),
            *uow.session.scalars(select(Prescription)),
        ]
        return json.dumps(
            [{column.name: getattr(row, column.name) for column in row.__table__.columns} for row in rows], default=str
        )


def _merged_pair(onboarding: Onboarding) -> tuple[str, str]:
    first = onboarding.onboard(application(**AMINA))
    second = onboarding.onboard(application(**AMINA_AGAIN))
    assert onboarding.client(second)["duplicate_of"] == first
    status, _ = onboarding.review(second, "same-person")
    assert status == 202
    assert onboarding.client(second)["status"] == "merged"
    return first, second


def test_a_merge_fills_the_existing_clients_empty_contact_details_and_overwrites_nothing(
    onboarding: Onboarding,
) -> None:
    first = onboarding.onboard(application(**{**AMINA, "address": None, "housing_situation": "no_fixed_address"}))
    second = onboarding.onboard(application(**{**AMINA_AGAIN, "phone": "+33611111111"}))
    onboarding.review(second, "same-person")
    existing = onboarding.client(first)
    # the email and the address were missing: they come from the merged application
    assert existing["email"] == "amina.diallo@example.org"
    assert existing["address"]["line1"] == "12 rue des Lilas"
    assert existing["housing_situation"] == "fixed_address"
    # the phone had a value: it stays
    assert existing["phone"] == "+33612345678"
    with UnitOfWork("test") as uow:
        merged = uow.session.scalars(select(AuditEntry).filter_by(entity_id=second, action="client.merged")).one()
    assert merged.details == {"merged_into": first, "filled": ["email", "address"]}
    # and the filled email now finds her as a duplicate
    third = onboarding.onboard(application(first_name="Aminata", last_name="Sow", birth_date="1980-01-01",
                                           phone=None, email="AMINA.DIALLO@example.org"))  # fmt: skip
    assert onboarding.client(third)["duplicate_of"] == first


def test_erasure_reaches_the_merged_application_the_documents_and_the_queued_welcome(onboarding: Onboarding) -> None:
    first, second = _merged_pair(onboarding)
    with UnitOfWork("test") as uow:
        assert uow.notifications.by_dedup_key(f"welcome:{first}").status == "pending"
    # When a manager erases her
    status, body = onboarding.erase(first)
    assert status == 200, body
    assert sorted(body["erased"]) == sorted([first, second])
    # Then no record says anything about her any more
    stored = _every_value_stored()
    for value in ("Amina", "Diallo", "1961-04-02", "612345678", "amina.diallo", "Lilas", "Saint-Denis", "93200",
                  "AVIS-AMINA-2026", "CSS-2026-0042"):  # fmt: skip
        assert value not in stored, value
    for client_id in (first, second):
        client = onboarding.client(client_id)
        assert (client["status"], client["first_name"]) == ("erased", "erased")
    with UnitOfWork("test") as uow:
        assert uow.notifications.by_dedup_key(f"welcome:{first}").status == "cancelled"
        keys = uow.session.execute(select(func.count()).select_from(IdempotencyRecord)).scalar_one()
        assert keys == 0  # the same application may be made again, as a new person
    # and searching her name finds nobody
    status, page = call_api(api_event("GET", "/clients", query={"q": "diallo"}))
    assert (status, page["items"]) == (200, [])
    status, page = call_api(api_event("GET", "/clients", query={"q": "06 12 34 56"}))
    assert (status, page["items"]) == (200, [])


def test_erasure_follows_a_chain_of_merges(onboarding: Onboarding) -> None:
    # Given Amina (Z), her second application (A) awaiting review, and a third (B) that only A's email
    # links to her, merged into A before A is merged into Z: B -> A -> Z
    z = onboarding.onboard(application(**AMINA))
    a = onboarding.onboard(application(**AMINA_AGAIN))
    b = onboarding.onboard(application(**{**AMINA_AGAIN, "first_name": "Mina", "last_name": "D.", "phone": None}))
    assert (onboarding.client(a)["duplicate_of"], onboarding.client(b)["duplicate_of"]) == (z, a)
    assert onboarding.review(b, "same-person")[0] == 202
    assert onboarding.review(a, "same-person")[0] == 202
    assert [onboarding.client(each)["status"] for each in (a, b)] == ["merged", "merged"]
    # When a manager erases Z, Then the application merged into the one merged into her is erased too
    status, body = onboarding.erase(z)
    assert (status, sorted(body["erased"])) == (200, sorted([z, a, b]))
    assert [onboarding.client(each)["first_name"] for each in (z, a, b)] == ["erased"] * 3
    assert "Mina" not in _every_value_stored()


def test_erasure_keeps_orders_for_the_counts_but_not_their_prescriptions(onboarding: Onboarding, sessions) -> None:
    client_id = onboarding.onboard(application(**AMINA))
    with sessions.begin() as session:
        session.add(Site(id="site-1", name="Saint-Denis", configured_by="test"))
        session.flush()
        session.add(Prescription(id="rx-1", client_id=client_id, version=1, rx={"right": {"sphere": "-2.25"}},
                                 prescriber="Dr Martin", written_on=date(2026, 3, 1), recorded_by="test"))  # fmt: skip
        session.flush()
        session.add(Order(id="order-1", client_id=client_id, site_id="site-1", prescription_id="rx-1",
                          frame_sku="RAY-01", lens={"type": "single_vision"}, created_by="test",
                          reason="Mme Diallo prefers thin lenses"))  # fmt: skip
    onboarding.erase(client_id)
    with UnitOfWork("test") as uow:
        order = uow.session.get(Order, "order-1")
        assert (order.client_id, order.prescription_id, order.reason) == (client_id, None, None)
        assert uow.session.execute(select(func.count()).select_from(Prescription)).scalar_one() == 0


def test_erasure_keeps_tickets_for_the_counts_but_not_the_names_they_carry(onboarding: Onboarding) -> None:
    from lambdas.shared.db.queue.models import Ticket
    from lambdas.shared.queue.tickets import CheckIn, check_in
    from local.seed import SITE_ID, seed

    client_id = onboarding.onboard(application(**AMINA))
    seed()
    with UnitOfWork("desk") as uow:
        # a ticket taken before she was known by her id, then linked to her
        ticket_id = check_in(uow, SITE_ID, CheckIn(display_name="Amina D."), "desk").ticket_id
        uow.session.get(Ticket, ticket_id).client_id = client_id
    onboarding.erase(client_id)
    with UnitOfWork("test") as uow:
        ticket = uow.session.get(Ticket, ticket_id)
        assert (ticket.client_id, ticket.display_name, ticket.number) == (client_id, None, 1)


def test_a_redriven_execution_of_an_erased_client_ends_at_once_as_erased(onboarding: Onboarding) -> None:
    # Given an onboarding stopped by hand while it waited, and the client erased since
    client_id = onboarding.onboard(application(evidence=None))
    onboarding.service.StopExecution({"executionArn": onboarding.arn(client_id), "error": "Stuck", "cause": "ops"})
    onboarding.settle()
    onboarding.erase(client_id)
    assert onboarding.execution(client_id)["status"] == "ABORTED"
    # When ops redrive it
    onboarding.service.RedriveExecution({"executionArn": onboarding.arn(client_id)})
    onboarding.settle()
    # Then it ends cleanly, with the outcome erased: nothing is left failed for ops
    execution = onboarding.execution(client_id)
    assert execution["status"] == "SUCCEEDED"
    assert json.loads(execution["output"]) == {"outcome": "erased", "client_id": client_id}


def test_a_same_person_decision_for_an_erased_client_erases_the_application_too(onboarding: Onboarding) -> None:
    # Given an application waiting for review as a duplicate of a client who is then erased
    first = onboarding.onboard(application(**AMINA))
    second = onboarding.onboard(application(**AMINA_AGAIN))
    onboarding.erase(first)
    # When the reviewer says it is the same person
    status, _ = onboarding.review(second, "same-person")
    assert status == 202
    # Then the application is erased as well, and its execution ends as erased
    assert onboarding.client(second)["status"] == "erased"
    assert json.loads(onboarding.execution(second)["output"])["outcome"] == "erased"
    assert "amina.diallo" not in _every_value_stored()
