"""The client-onboarding workflow in the local engine with the real handlers: every business branch.

Runs on SQLite and on the real MariaDB/MySQL server (``mysql`` marker).
"""

import json
from datetime import date, timedelta

from sqlalchemy import func, select

from lambdas.shared.db.clients.models import Client, ConsentRecord, EligibilityEvidence
from lambdas.shared.db.notifications.models import Notification
from lambdas.shared.db.records.models import AuditEntry
from lambdas.shared.db.unit_of_work import UnitOfWork
from tests.databases import ON_BOTH_DATABASES
from tests.workflows.conftest import DAY, Onboarding, application

pytestmark = ON_BOTH_DATABASES


def _count(model, **filters) -> int:
    with UnitOfWork("test") as uow:
        query = select(func.count()).select_from(model).filter_by(**filters)
        return uow.session.execute(query).scalar_one()


def _output(onboarding: Onboarding, client_id: str) -> dict:
    import json

    return json.loads(onboarding.execution(client_id)["output"])


def test_happy_path_activates_the_client_and_queues_a_welcome_sms(onboarding: Onboarding) -> None:
    # Given a complete application with valid evidence and SMS consent
    client_id = onboarding.onboard()
    # Then the client is active, the execution ended with that outcome in four transitions
    client = onboarding.client(client_id)
    assert client["status"] == "active"
    assert client["execution_arn"] == onboarding.arn(client_id)
    assert onboarding.execution(client_id)["status"] == "SUCCEEDED"
    assert _output(onboarding, client_id) == {"outcome": "active", "client_id": client_id, "welcome": "sms"}
    assert onboarding.entered(client_id) == [
        "FindDuplicates", "RegisterClient", "CheckEligibility", "Eligibility", "ActivateClient",
    ]  # fmt: skip
    # And the consents were recorded with their purpose, text version, channel and recorder
    with UnitOfWork("test") as uow:
        consents = {record.purpose: record for record in uow.consents.of(client_id).values()}
        assert {purpose.value: record.granted for purpose, record in consents.items()} == {
            "data_processing": True,
            "sms": True,
        }
        assert all(record.text_version == "2026-01" and record.channel == "front_desk" for record in consents.values())
        notification = uow.notifications.by_dedup_key(f"welcome:{client_id}")
        assert (notification.channel, notification.language, notification.template) == ("sms", "fr", "welcome")


def test_welcome_goes_by_email_without_sms_consent_and_in_person_without_email(onboarding: Onboarding) -> None:
    by_email = onboarding.onboard(application(email="awa@example.org", consents={"data_processing": True}))
    in_person = onboarding.onboard(
        application(first_name="Lea", last_name="Roux", phone="+33611111111", birth_date="1990-01-01",
                    consents={"data_processing": True, "sms": False})
    )  # fmt: skip
    assert _output(onboarding, by_email)["welcome"] == "email"
    assert _count(Notification, client_id=by_email) == 1
    # nothing can be sent: the welcome is given at the desk, and recorded as such
    assert _output(onboarding, in_person)["welcome"] == "in_person"
    assert _count(Notification, client_id=in_person) == 0
    assert _count(AuditEntry, entity_id=in_person, action="client.welcomed_in_person") == 1


def test_exact_duplicate_reviewed_as_same_person_is_merged(onboarding: Onboarding) -> None:
    # Given an active client and a second application with the same phone number
    first = onboarding.onboard()
    second = onboarding.onboard(application(first_name="A.", email="other@example.org"))
    # Then the second waits for a review, naming the client it looks like
    waiting = onboarding.client(second)
    assert (waiting["status"], waiting["waiting_for"], waiting["duplicate_of"]) == (
        "awaiting_review",
        "duplicate_review",
        first,
    )
    assert onboarding.execution(second)["status"] == "RUNNING"
    # When the front desk says it is the same person
    status, answer = onboarding.review(second, "same-person")
    # Then the application is merged and the execution ends with the existing client's id
    assert status == 202, answer
    assert onboarding.client(second)["status"] == "merged"
    assert onboarding.client(second)["merged_into"] == first
    assert _output(onboarding, second) == {"outcome": "merged", "client_id": first, "merged": second}
    assert _count(Client, status="active") == 1


def test_fuzzy_duplicate_reviewed_as_different_person_continues(onboarding: Onboarding) -> None:
    first = onboarding.onboard()
    # swapped names, accents and case differ, another phone: a similar name with the same birth date
    second = onboarding.onboard(application(first_name="DIALLÖ", last_name="amina", phone="+33699999999"))
    assert onboarding.client(second)["status"] == "awaiting_review"
    onboarding.review(second, "different-person")
    assert onboarding.client(second)["status"] == "active"
    assert _output(onboarding, second)["client_id"] == second
    assert onboarding.entered(second)[-5:] == [
        "ReviewDecision", "RegisterClient", "CheckEligibility", "Eligibility", "ActivateClient",
    ]  # fmt: skip
    assert first != second


def test_unreviewed_duplicate_expires_after_seven_days(onboarding: Onboarding) -> None:
    onboarding.onboard()
    second = onboarding.onboard(application(email="x@example.org"))
    onboarding.advance(7 * DAY - 60)
    assert onboarding.client(second)["status"] == "awaiting_review"
    onboarding.advance(60)
    assert onboarding.client(second)["status"] == "expired"
    assert _output(onboarding, second) == {"outcome": "expired", "client_id": second}


def test_without_evidence_the_onboarding_waits_for_documents(onboarding: Onboarding) -> None:
    client_id = onboarding.onboard(application(evidence={"type": "none_yet"}))
    client = onboarding.client(client_id)
    assert (client["status"], client["waiting_for"]) == ("awaiting_documents", "documents")
    # When the documents arrive
    documents = {"type": "income_statement", "reference": "AVIS-2025-77", "expires_on": "2030-01-01"}
    status, answer = onboarding.documents(client_id, documents)
    # Then eligibility is checked again and the client activated
    assert status == 202, answer
    assert onboarding.client(client_id)["status"] == "active"
    assert onboarding.entered(client_id).count("CheckEligibility") == 2


def test_documents_that_never_come_leave_the_client_incomplete_after_thirty_days(onboarding: Onboarding) -> None:
    client_id = onboarding.onboard(application(evidence=None))
    onboarding.advance(30 * DAY)
    client = onboarding.client(client_id)
    assert (client["status"], client["outcome_reason"]) == ("incomplete", "no documents within 30 days")
    assert _output(onboarding, client_id)["outcome"] == "incomplete"


def test_expired_evidence_makes_the_client_ineligible_with_the_reason(onboarding: Onboarding) -> None:
    expired = (date.today() - timedelta(days=1)).isoformat()
    client_id = onboarding.onboard(application(evidence={"type": "social_benefit_certificate", "reference": "C-1",
                                                         "expires_on": expired}))  # fmt: skip
    client = onboarding.client(client_id)
    assert (client["status"], client["outcome_reason"]) == ("ineligible", f"evidence expired on {expired}")
    assert onboarding.execution(client_id)["status"] == "SUCCEEDED"
    assert _output(onboarding, client_id) == {
        "outcome": "ineligible",
        "client_id": client_id,
        "reason": "evidence_expired",
    }


def test_rejected_documents_make_the_client_ineligible(onboarding: Onboarding) -> None:
    client_id = onboarding.onboard(application(evidence=None))
    onboarding.documents(
        client_id, {"type": "referral_letter", "reference": "R-9", "rejected_reason": "letter is not signed"}
    )
    assert onboarding.client(client_id)["outcome_reason"] == "evidence rejected: letter is not signed"
    # the note stays in the (erasable) record: the execution sees only the reason's code
    assert _output(onboarding, client_id)["reason"] == "evidence_rejected"
    assert "signed" not in json.dumps(onboarding.history(client_id))


def test_an_emergency_first_visit_is_allowed_without_documents_and_audited(onboarding: Onboarding) -> None:
    client_id = onboarding.onboard(application(evidence=None, emergency_first_visit=True))
    client = onboarding.client(client_id)
    assert (client["status"], client["emergency_first_visit"]) == ("active", True)
    assert client["outcome_reason"] == "first emergency visit allowed without documents"
    assert _count(AuditEntry, entity_id=client_id, action="client.emergency_first_visit_allowed") == 1


def test_erasure_while_waiting_ends_the_execution_and_keeps_an_anonymous_row(onboarding: Onboarding) -> None:
    client_id = onboarding.onboard(application(evidence=None, email="amina@example.org"))
    assert onboarding.client(client_id)["status"] == "awaiting_documents"
    status, body = onboarding.erase(client_id)
    assert (status, body) == (
        200,
        {"client_id": client_id, "status": "erased", "execution_stopped": True, "erased": [client_id]},
    )
    # the execution ends at once, cleanly: nothing for ops to fix
    assert onboarding.execution(client_id)["status"] == "SUCCEEDED"
    assert _output(onboarding, client_id) == {"outcome": "erased", "client_id": client_id}
    client = onboarding.client(client_id)
    assert client["status"] == "erased"
    assert (client["first_name"], client["birth_date"], client["phone"], client["email"]) == (
        "erased",
        None,
        None,
        None,
    )
    assert client["address"] == {"care_of": None, "line1": None, "line2": None, "postal_code": None, "city": None}
    assert (client["housing_situation"], client["birth_date_quality"]) == (None, None)
    with UnitOfWork("test") as uow:
        assert all(record.withdrawn_at is not None for record in uow.consents.of(client_id).values())
        assert uow.clients.get(client_id).task_token is None
    # the documents route now finds nothing waiting
    status, body = onboarding.documents(client_id, {"type": "income_statement", "reference": "X"})
    assert status == 409
    # erasing again is harmless
    assert onboarding.erase(client_id) == (
        200,
        {"client_id": client_id, "status": "erased", "execution_stopped": False, "erased": [client_id]},
    )


def test_a_decision_nobody_waits_for_is_a_conflict(onboarding: Onboarding) -> None:
    client_id = onboarding.onboard()
    status, body = onboarding.review(client_id, "same-person")
    assert (status, body["error"]) == (409, "conflict")
    assert "is not waiting for duplicate review" in body["message"]
    status, body = onboarding.documents(client_id, {"type": "income_statement", "reference": "X"})
    assert status == 409
    assert _count(EligibilityEvidence, client_id=client_id) == 1  # nothing half-written
    assert _count(ConsentRecord, client_id=client_id) == 2
