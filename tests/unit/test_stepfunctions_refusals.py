"""How the Step Functions client reads a refusal: the wait is over (closed), Step Functions cannot
take it now (unavailable: retried), or never will (refused: ops look)."""

from __future__ import annotations

from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from lambdas.shared.config import WorkflowSettings
from lambdas.shared.errors import WorkflowUnavailable
from lambdas.shared.stepfunctions import CallbackClosed, WorkflowRefused, Workflows
from workflows.queue_progression import WORKFLOW as QUEUE_PROGRESSION

MACHINE = "arn:aws:states:us-east-1:000000000000:stateMachine:queue-progression"


def _refusing(operation: str, code: str, status: int) -> tuple[Workflows, Stubber]:
    client = boto3.client("stepfunctions", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")
    stubber = Stubber(client)
    stubber.add_client_error(operation, service_error_code=code, http_status_code=status)
    stubber.activate()
    return Workflows(WorkflowSettings(state_machine_arns={"queue-progression": MACHINE}), client), stubber


@pytest.mark.parametrize(
    ("code", "status", "read_as"),
    [
        ("TaskTimedOut", 400, CallbackClosed),
        ("TaskDoesNotExist", 400, CallbackClosed),
        ("InvalidToken", 400, WorkflowRefused),  # never issued: no wait that ended
        ("AccessDeniedException", 400, WorkflowRefused),
        ("ThrottlingException", 400, WorkflowUnavailable),
        ("InternalFailure", 500, WorkflowUnavailable),
        ("SomethingNew", 503, WorkflowUnavailable),
    ],
)
def test_an_answer_refused_is_read_by_its_code(code: str, status: int, read_as: type[Exception]) -> None:
    workflows, stubber = _refusing("send_task_success", code, status)
    with pytest.raises(read_as):
        workflows.resume("token-1", {"status": "called"})
    stubber.assert_no_pending_responses()


def test_a_failure_sent_to_a_wait_that_is_over_is_no_error() -> None:
    workflows, _ = _refusing("send_task_failure", "TaskTimedOut", 400)
    assert workflows.fail("token-1", "ClientErased", "erased") is False


@pytest.mark.parametrize(
    ("code", "status", "read_as"),
    [("AccessDeniedException", 400, WorkflowRefused), ("ThrottlingException", 400, WorkflowUnavailable)],
)
def test_a_start_refused_is_read_by_its_code(code: str, status: int, read_as: type[Exception]) -> None:
    workflows, _ = _refusing("start_execution", code, status)
    with pytest.raises(read_as):
        workflows.start(QUEUE_PROGRESSION, "t-1", {"ticket_id": "t-1"})


def test_a_start_of_an_execution_that_exists_is_its_arn() -> None:
    workflows, _ = _refusing("start_execution", "ExecutionAlreadyExists", 400)
    arn: Any = workflows.start(QUEUE_PROGRESSION, "t-1", {"ticket_id": "t-1"})
    assert arn == "arn:aws:states:us-east-1:000000000000:execution:queue-progression:ticket-t-1"
