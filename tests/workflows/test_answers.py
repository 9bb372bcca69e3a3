"""An answer is committed with its signal to the workflow, then delivered: nothing is lost and
nothing is half-written, whether Step Functions is unreachable or the wait is over."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from lambdas.shared.db.clients.models import EligibilityEvidence
from lambdas.shared.db.unit_of_work import UnitOfWork
from tests.events import api_event, call_api
from tests.signals import written
from tests.workflows.conftest import Onboarding, StepFunctions, application

OPS = ("ops",)
DOCUMENTS = {"type": "income_statement", "reference": "AVIS-2025-77"}


def _evidence(client_id: str) -> int:
    with UnitOfWork("test") as uow:
        query = select(func.count()).select_from(EligibilityEvidence).filter_by(client_id=client_id)
        return uow.session.execute(query).scalar_one()


@pytest.fixture
def step_functions(onboarding: Onboarding, monkeypatch: pytest.MonkeyPatch) -> StepFunctions:
    return StepFunctions(monkeypatch)


def test_documents_given_while_step_functions_is_unreachable_are_kept_and_reach_the_workflow_later(
    onboarding: Onboarding, step_functions: StepFunctions
) -> None:
    client_id = onboarding.onboard(application(evidence=None))
    before = _evidence(client_id)
    # When the documents arrive while Step Functions cannot be reached
    step_functions.cut()
    status, _ = onboarding.documents(client_id, DOCUMENTS)
    # Then the answer stands: the documents are kept, and the wait is answered (a second answer is a 409)
    assert status == 202
    assert _evidence(client_id) == before + 1
    assert onboarding.client(client_id)["waiting_for"] is None
    assert onboarding.documents(client_id, DOCUMENTS)[0] == 409
    assert onboarding.execution(client_id)["status"] == "RUNNING"
    # And once it is back, the relay delivers the answer: the onboarding goes on
    step_functions.restore()
    assert step_functions.relay() == {"delivered": 1}
    onboarding.settle()
    assert onboarding.client(client_id)["status"] == "active"
    assert _evidence(client_id) == before + 1


def test_a_review_given_while_step_functions_is_unreachable_reaches_the_workflow_later(
    onboarding: Onboarding, step_functions: StepFunctions
) -> None:
    onboarding.onboard()
    second = onboarding.onboard(application(first_name="A.", email="other@example.org"))
    step_functions.cut()
    assert onboarding.review(second, "different-person")[0] == 202
    assert onboarding.client(second)["status"] == "pending"
    step_functions.restore()
    assert step_functions.relay() == {"delivered": 1}
    onboarding.settle()
    assert onboarding.client(second)["status"] == "active"


def test_documents_for_an_onboarding_ops_stopped_are_a_409_and_not_kept(onboarding: Onboarding) -> None:
    # Given an onboarding stopped by ops while it waited for documents
    client_id = onboarding.onboard(application(evidence=None))
    name = f"client-{client_id}"
    path = f"/workflows/client-onboarding/executions/{name}/stop"
    status, answer = call_api(api_event("POST", path, groups=OPS))
    assert status == 202, answer
    onboarding.settle()
    before = _evidence(client_id)
    # When the documents arrive
    status, body = onboarding.documents(client_id, DOCUMENTS)
    # Then nothing is half-written: the answer is refused and the documents are not kept
    assert (status, body["error"]) == (409, "conflict")
    assert _evidence(client_id) == before


def test_an_answer_whose_wait_is_over_when_it_comes_is_kept_and_its_signal_closed(
    onboarding: Onboarding, step_functions: StepFunctions
) -> None:
    # Given documents given while Step Functions is unreachable, and the execution stopped meanwhile
    # (from Step Functions itself: nothing in the API heard of it)
    client_id = onboarding.onboard(application(evidence=None))
    step_functions.cut()
    assert onboarding.documents(client_id, DOCUMENTS)[0] == 202
    onboarding.service.StopExecution({"executionArn": onboarding.arn(client_id)})
    onboarding.settle()
    # When the relay delivers the answer: the wait is over; that is no error, and nothing is retried
    step_functions.restore()
    assert step_functions.relay() == {"closed": 1}
    assert step_functions.relay() == {}
    assert [signal.status for signal in written("resume")] == ["closed"]


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
