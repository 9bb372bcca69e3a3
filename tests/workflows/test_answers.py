"""An answer is committed before it is delivered, and taken back when it never arrives: nothing is
lost and nothing is half-written, whether Step Functions is unreachable or no longer waits."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from lambdas.shared.db.clients.models import EligibilityEvidence
from lambdas.shared.db.unit_of_work import UnitOfWork
from tests.workflows.conftest import Onboarding, StepFunctions, application

DOCUMENTS = {"type": "income_statement", "reference": "AVIS-2025-77"}


def _evidence(client_id: str) -> int:
    with UnitOfWork("test") as uow:
        query = select(func.count()).select_from(EligibilityEvidence).filter_by(client_id=client_id)
        return uow.session.execute(query).scalar_one()


@pytest.fixture
def step_functions(onboarding: Onboarding, monkeypatch: pytest.MonkeyPatch) -> StepFunctions:
    return StepFunctions(monkeypatch)


def test_documents_that_cannot_be_delivered_are_taken_back_and_can_be_given_again(
    onboarding: Onboarding, step_functions: StepFunctions
) -> None:
    client_id = onboarding.onboard(application(evidence=None))
    before = _evidence(client_id)
    # When the documents arrive while Step Functions cannot be reached
    step_functions.cut()
    status, body = onboarding.documents(client_id, DOCUMENTS)
    # Then the answer is a 503 to repeat, the documents are not kept, and the client still waits
    assert (status, body["error"]) == (503, "unavailable")
    assert _evidence(client_id) == before
    client = onboarding.client(client_id)
    assert (client["status"], client["waiting_for"]) == ("awaiting_documents", "documents")
    # And once it is back, the same request goes through
    step_functions.restore()
    status, _ = onboarding.documents(client_id, DOCUMENTS)
    assert status == 202
    assert onboarding.client(client_id)["status"] == "active"
    assert _evidence(client_id) == before + 1


def test_a_review_that_cannot_be_delivered_reopens_the_wait(
    onboarding: Onboarding, step_functions: StepFunctions
) -> None:
    onboarding.onboard()
    second = onboarding.onboard(application(first_name="A.", email="other@example.org"))
    step_functions.cut()
    status, _ = onboarding.review(second, "different-person")
    assert status == 503
    assert onboarding.client(second)["waiting_for"] == "duplicate_review"
    step_functions.restore()
    assert onboarding.review(second, "different-person")[0] == 202
    assert onboarding.client(second)["status"] == "active"


def test_documents_for_an_execution_that_no_longer_waits_are_a_409_and_not_kept(onboarding: Onboarding) -> None:
    # Given an onboarding stopped by ops while it waited for documents
    client_id = onboarding.onboard(application(evidence=None))
    onboarding.service.StopExecution({"executionArn": onboarding.arn(client_id)})
    onboarding.settle()
    before = _evidence(client_id)
    # When the documents arrive
    status, body = onboarding.documents(client_id, DOCUMENTS)
    # Then nothing is half-written: the answer is refused and the documents are not kept
    assert (status, body["error"]) == (409, "conflict")
    assert _evidence(client_id) == before


def test_documents_the_database_refuses_never_reach_the_execution(onboarding: Onboarding, database_url: str) -> None:
    from sqlalchemy import create_engine

    client_id = onboarding.onboard(application(evidence=None))
    history = len(onboarding.history(client_id))
    engine = create_engine(database_url)
    with engine.begin() as connection:  # the database refuses to store documents (any failure at commit)
        connection.exec_driver_sql(
            "CREATE TRIGGER refuse_documents BEFORE INSERT ON eligibility_evidence "
            "BEGIN SELECT RAISE(ABORT, 'refused'); END"
        )
    status, _ = onboarding.documents(client_id, DOCUMENTS)
    with engine.begin() as connection:
        connection.exec_driver_sql("DROP TRIGGER refuse_documents")
    engine.dispose()
    # the answer failed, and the execution never heard of it: it still waits, the request can be repeated
    assert status >= 500
    assert len(onboarding.history(client_id)) == history
    assert onboarding.client(client_id)["waiting_for"] == "documents"
    assert onboarding.documents(client_id, DOCUMENTS)[0] == 202
    assert onboarding.client(client_id)["status"] == "active"
