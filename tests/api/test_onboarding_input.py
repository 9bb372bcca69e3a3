"""Bad input to the onboarding routes: a 4xx naming each field, and nothing stored."""

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from lambdas.shared.db.clients.models import Client, EligibilityEvidence
from lambdas.shared.db.records.models import AuditEntry, IdempotencyRecord
from lambdas.shared.db.signals.models import Signal
from lambdas.shared.db.unit_of_work import UnitOfWork
from tests.events import api_event, call_api
from tests.workflows.conftest import application

TOMORROW = (date.today() + timedelta(days=1)).isoformat()


def _stored() -> int:
    with UnitOfWork("test") as uow:
        return sum(
            uow.session.execute(select(func.count()).select_from(model)).scalar_one()
            for model in (Client, EligibilityEvidence, IdempotencyRecord, AuditEntry)
        )


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"first_name": ""}, "body.first_name"),
        ({"first_name": "   "}, "body.first_name"),
        ({"last_name": "x" * 101}, "body.last_name"),
        ({"birth_date": TOMORROW}, "body.birth_date"),
        ({"birth_date": "1890-01-01"}, "body.birth_date"),
        ({"birth_date": "02/04/1961"}, "body.birth_date"),
        ({"phone": "call me"}, "body.phone"),
        ({"phone": "123"}, "body.phone"),
        ({"email": "not-an-email"}, "body.email"),
        ({"phone": "+33 7 00 00 00 01"}, "body.phone"),
        ({"phone": "+999 1234 5678"}, "body.phone"),
        ({"email": "a" * 250 + "@example.org"}, "body.email"),
        ({"first_name": "Amina\u0000"}, "body.first_name"),
        ({"first_name": "Ab\u2028cd"}, "body.first_name"),
        ({"first_name": "\u200b"}, "body.first_name"),
        ({"first_name": "\ufeff "}, "body.first_name"),
        ({"last_name": "Diallo\u202eollaid"}, "body.last_name"),
        ({"birth_date": 0}, "body.birth_date"),
        ({"birth_date": "1961-04-02T00:00:00Z"}, "body.birth_date"),
        ({"email": "Amina <amina@example.org>"}, "body.email"),
        ({"last_name": "Dia\u001bllo"}, "body.last_name"),
        (
            {"address": {"line1": "12 rue\ndes Lilas", "postal_code": "93200", "city": "Saint-Denis"}},
            "body.address.line1",
        ),
        ({"evidence": {"type": "income_statement", "reference": "A\tB"}}, "body.evidence.reference"),
        ({"evidence": {"type": "income_statement", "reference": "x" * 101}}, "body.evidence.reference"),
        ({"consents": {"data_processing": "yes"}}, "body.consents.data_processing"),
        ({"consents": {"data_processing": 1}}, "body.consents.data_processing"),
        ({"consents": {"data_processing": True, "sms": "true"}}, "body.consents.sms"),
        ({"emergency_first_visit": 0}, "body.emergency_first_visit"),
        ({"address": None}, "body.address"),
        ({"housing_situation": "no_fixed_address"}, "body.address"),
        ({"housing_situation": "care_of"}, "body.address"),
        ({"housing_situation": "castle"}, "body.housing_situation"),
        ({"birth_date_quality": "unknown"}, "body.birth_date"),
        ({"birth_date_quality": "year_only", "birth_date": None}, "body.birth_date"),
        ({"birth_date_quality": "roughly"}, "body.birth_date_quality"),
        ({"address": {"line1": "12 rue des Lilas", "city": "Saint-Denis"}}, "body.address.postal_code"),
        ({"address": {"line1": "", "postal_code": "93200", "city": "Saint-Denis"}}, "body.address.line1"),
        ({"language": "klingon"}, "body.language"),
        ({"consents": {"data_processing": False, "sms": True}}, "body.consents.data_processing"),
        ({"consents": {"sms": True}}, "body.consents.data_processing"),
        ({"evidence": {"type": "payslip", "reference": "x"}}, "body.evidence.type"),
        ({"evidence": {"type": "income_statement"}}, "body.evidence.reference"),
        (
            {"evidence": {"type": "income_statement", "reference": "A", "expires_on": "soon"}},
            "body.evidence.expires_on",
        ),
        ({"emergency_first_visit": "maybe"}, "body.emergency_first_visit"),
        ({"nickname": "Mimi"}, "body.nickname"),
    ],
)
def test_each_invalid_field_is_named_and_nothing_is_stored(changes: dict, field: str) -> None:
    status, body = call_api(api_event("POST", "/clients", body=application(**changes)))
    assert status == 422, body
    assert body["error"] == "invalid_request"
    assert field in [detail["field"] for detail in body["details"]]
    assert _stored() == 0


def test_a_missing_field_is_named() -> None:
    incomplete = application()
    del incomplete["birth_date"]
    status, body = call_api(api_event("POST", "/clients", body=incomplete))
    assert status == 422
    assert [detail["field"] for detail in body["details"]] == ["body.birth_date"]


def test_a_body_that_is_not_json_is_a_400() -> None:
    status, body = call_api(api_event("POST", "/clients", body="{not json"))
    assert (status, body["error"]) == (400, "invalid_json")
    assert _stored() == 0


def test_an_overlong_idempotency_key_is_named() -> None:
    status, body = call_api(api_event("POST", "/clients", body=application(), headers={"Idempotency-Key": "k" * 201}))
    assert status == 422
    assert "header.idempotency-key" in [detail["field"] for detail in body["details"]]


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("duplicate-review", {"decision": "maybe"}, "body.decision"),
        ("duplicate-review", {}, "body.decision"),
        ("documents", {"type": "none_yet", "reference": "x"}, "body.type"),
        ("documents", {"type": "income_statement"}, "body.reference"),
    ],
)
def test_decisions_name_their_invalid_fields(make_client, path: str, body: dict, field: str) -> None:
    client = make_client(status="awaiting_review")
    status, answer = call_api(api_event("POST", f"/clients/{client.id}/{path}", body=body))
    assert status == 422, answer
    assert field in [detail["field"] for detail in answer["details"]]


def test_an_unreachable_step_functions_keeps_the_application_and_its_start_for_later() -> None:
    # nothing listens where Step Functions is (the conftest): the application is kept all the same
    first = call_api(api_event("POST", "/clients", body=application(), headers={"Idempotency-Key": "k-1"}))
    again = call_api(api_event("POST", "/clients", body=application(), headers={"Idempotency-Key": "k-1"}))
    assert (first[0], again[0]) == (202, 202), (first, again)
    assert again[1] == first[1]
    assert first[1]["execution_arn"].endswith(f":execution:client-onboarding:client-{first[1]['client_id']}")
    with UnitOfWork("test") as uow:
        assert uow.session.execute(select(func.count()).select_from(Client)).scalar_one() == 1
        starts = uow.session.execute(select(Signal.kind, Signal.entity_id, Signal.status)).all()
    # one start, left to the relay: the repeat found the application and started nothing more
    assert starts == [("start", first[1]["client_id"], "pending")]
