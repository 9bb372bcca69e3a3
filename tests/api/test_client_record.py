"""PATCH /clients/{id} and POST /clients/{id}/consents: a client's record kept right at the front desk."""

from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import select

from lambdas.shared.db.clients.models import Client
from lambdas.shared.db.records.models import AuditEntry
from lambdas.shared.db.unit_of_work import UnitOfWork
from tests.databases import ON_BOTH_DATABASES
from tests.events import api_event, call_api
from tests.matrix import FAKE_ID

pytestmark = ON_BOTH_DATABASES

ADDRESS = {"line1": "12 rue des Lilas", "postal_code": "93200", "city": "Saint-Denis"}


def _correct(client_id: str, body: Any) -> tuple[int, Any]:
    return call_api(api_event("PATCH", f"/clients/{client_id}", body=body, username="desk-1"))


def _consent(client_id: str, body: Any) -> tuple[int, Any]:
    return call_api(api_event("POST", f"/clients/{client_id}/consents", body=body, username="desk-1"))


def _audits(client_id: str) -> list[AuditEntry]:
    with UnitOfWork("test") as uow:
        query = select(AuditEntry).where(AuditEntry.entity_id == client_id).order_by(AuditEntry.id)
        return list(uow.session.scalars(query))


def _fields(body: dict[str, Any]) -> list[str]:
    return [detail["field"] for detail in body["details"]]


def test_a_person_who_lost_her_phone_and_home_is_corrected_and_audited_by_field(
    make_client: Callable[..., Client],
) -> None:
    # Given a client with a phone and an address
    client = make_client(housing_situation="fixed_address", address_line1="12 rue des Lilas", city="Saint-Denis")
    # When the front desk records that she has no phone and no fixed address any more, and reads Arabic
    status, body = _correct(client.id, {"phone": None, "housing_situation": "no_fixed_address", "language": "ar"})
    # Then the record says so
    assert status == 200, body
    assert (body["phone"], body["housing_situation"], body["language"]) == (None, "no_fixed_address", "ar")
    assert body["address"] == {"care_of": None, "line1": None, "line2": None, "postal_code": None, "city": None}
    # and the audit names the fields that changed, never their values
    [audit] = [entry for entry in _audits(client.id) if entry.action == "client.corrected"]
    assert sorted(audit.details["fields"]) == ["housing", "language", "phone"]
    assert "+33612345678" not in str(audit.details)
    assert "Lilas" not in str(audit.details)


def test_mail_care_of_a_charity_and_a_phone_as_written(make_client: Callable[..., Client]) -> None:
    client = make_client(housing_situation="no_fixed_address", phone=None)
    address = {**ADDRESS, "care_of": "Secours Populaire"}
    status, body = _correct(client.id, {"housing_situation": "care_of", "address": address, "phone": "06 98 76 54 32"})
    assert status == 200, body
    assert (body["housing_situation"], body["address"]["care_of"], body["phone"]) == (
        "care_of",
        "Secours Populaire",
        "+33698765432",
    )


def test_the_same_values_again_change_nothing_and_audit_nothing(make_client: Callable[..., Client]) -> None:
    client = make_client(language="fr")
    status, _ = _correct(client.id, {"language": "fr", "phone": "+33 6 12 34 56 78"})
    assert status == 200
    assert [entry.action for entry in _audits(client.id)] == []


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "body"),
        ({"language": None}, "body.language"),
        ({"housing_situation": None}, "body.housing_situation"),
        ({"housing_situation": "fixed_address"}, "body.address"),  # a home needs its address
        ({"housing_situation": "no_fixed_address", "address": ADDRESS}, "body.address"),
        ({"housing_situation": "care_of", "address": ADDRESS}, "body.address"),  # care of whom?
        ({"phone": "12"}, "body.phone"),
        ({"email": "Amina <amina@example.org>"}, "body.email"),
        ({"first_name": "Aminata"}, "body.first_name"),  # not a correction this route makes
        ({"address": ADDRESS}, "body.address"),  # the record says no fixed address: an address alone does not fit
    ],
)
def test_a_bad_correction_names_its_field_and_changes_nothing(
    make_client: Callable[..., Client], body: dict[str, Any], field: str
) -> None:
    client = make_client(housing_situation="no_fixed_address", language="fr")
    status, answer = _correct(client.id, {**body, "language": "en"} if body and "language" not in body else body)
    assert status == 422, answer
    assert field in _fields(answer)
    assert call_api(api_event("GET", f"/clients/{client.id}"))[1]["language"] == "fr"


def test_corrections_to_missing_erased_or_merged_clients_are_refused(make_client: Callable[..., Client]) -> None:
    assert _correct(FAKE_ID, {"language": "en"})[0] == 404
    erased = make_client(status="erased", phone=None)
    merged = make_client(status="merged", phone=None)
    for client in (erased, merged):
        status, body = _correct(client.id, {"language": "en"})
        assert (status, body["error"]) == (409, "conflict")


def test_a_phone_that_is_another_clients_flags_both_for_a_review_never_merges(
    make_client: Callable[..., Client],
) -> None:
    # Given two clients
    amina = make_client()
    paul = make_client(first_name="Paul", last_name="Bernard", phone=None, email="paul@example.org")
    # When Paul's record is corrected to Amina's phone
    status, body = _correct(paul.id, {"phone": "06 12 34 56 78"})
    # Then it is flagged for a review, naming Amina and why, and both records stay
    assert status == 200, body
    assert (body["flagged_match_of"], body["flagged_match"], body["status"]) == (amina.id, "phone", "active")
    status, page = call_api(api_event("GET", "/clients", query={"flagged": "true"}))
    assert [item["client_id"] for item in page["items"]] == [paul.id]
    # When a person says they are the same person, it is refused: records in use are not merged
    review = f"/clients/{paul.id}/duplicate-review"
    status, refused = call_api(api_event("POST", review, body={"decision": "same-person"}))
    assert (status, "not merged" in refused["message"]) == (409, True)
    # and when they are different people the flag goes
    status, _ = call_api(api_event("POST", review, body={"decision": "different-person"}))
    assert status == 202
    assert call_api(api_event("GET", "/clients", query={"flagged": "true"}))[1]["items"] == []
    # and an e-mail shared later flags it again, by e-mail
    make_client(first_name="Awa", last_name="Sow", phone=None, email="awa@example.org")
    status, body = _correct(paul.id, {"email": "AWA@example.org"})
    assert (body["flagged_match"], body["email"]) == ("email", "AWA@example.org")


def test_an_sms_consent_withdrawn_then_given_again_is_recorded_each_time(make_client: Callable[..., Client]) -> None:
    client = make_client()
    # When the person withdraws her SMS consent by phone
    status, body = _consent(client.id, {"purpose": "sms", "given": False, "channel": "phone"})
    # Then the record shows it withdrawn, with the text version, the channel and who recorded it
    assert status == 200, body
    [sms] = [consent for consent in body["consents"] if consent["purpose"] == "sms"]
    desk = _audits(client.id)[-1].actor  # the desk worker's account
    assert (sms["granted"], sms["channel"], sms["recorded_by"], sms["text_version"]) == (
        False,
        "phone",
        desk,
        "2026-01",
    )
    assert sms["withdrawn_at"] is not None
    # and given again at the desk, it is granted again
    status, body = _consent(client.id, {"purpose": "sms", "given": True})
    [sms] = [consent for consent in body["consents"] if consent["purpose"] == "sms"]
    assert (sms["granted"], sms["channel"], sms["withdrawn_at"]) == (True, "front_desk", None)
    audits = [entry.details for entry in _audits(client.id) if entry.action == "client.consent_recorded"]
    assert [(audit["purpose"], audit["given"]) for audit in audits] == [("sms", False), ("sms", True)]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"purpose": "data_processing", "given": False}, "body.given"),  # that is an erasure
        ({"purpose": "marketing", "given": True}, "body.purpose"),
        ({"purpose": "sms", "given": "no"}, "body.given"),
        ({"purpose": "sms", "given": False, "channel": "pigeon"}, "body.channel"),
        ({"purpose": "sms"}, "body.given"),
    ],
)
def test_a_bad_consent_names_its_field_and_records_nothing(
    make_client: Callable[..., Client], body: dict[str, Any], field: str
) -> None:
    client = make_client()
    status, answer = _consent(client.id, body)
    assert (status, _fields(answer)) == (422, [field])
    assert [entry.action for entry in _audits(client.id)] == []


def test_an_application_waiting_for_its_review_is_answered_there_not_as_a_flag(
    make_client: Callable[..., Client],
) -> None:
    # Given an application waiting for its onboarding's review, corrected to another client's phone
    amina = make_client()
    waiting = make_client(first_name="Awa", last_name="Sow", phone=None, status="awaiting_review")
    status, body = _correct(waiting.id, {"phone": "06 12 34 56 78"})
    assert (status, body["flagged_match_of"]) == (200, amina.id)
    # Then it is not listed as a flag: its review decides, with the onboarding's own match
    assert call_api(api_event("GET", "/clients", query={"flagged": "true"}))[1]["items"] == []
