"""Executions: names, idempotent start, stop, execution timeout, listing and history paging.

Pages: API_StartExecution, API_StopExecution, API_DescribeExecution, API_ListExecutions,
API_GetExecutionHistory, statemachine-structure.html.
"""

import json

import pytest

from local.sfn.errors import ServiceError
from tests.engine.conftest import Sfn, task

WAIT = {"W": {"Type": "Wait", "Seconds": 100, "End": True}}


def _error(call, request) -> str:
    with pytest.raises(ServiceError) as raised:
        call(request)
    return raised.value.code


def test_same_name_and_input_while_running_returns_the_same_execution(sfn: Sfn) -> None:
    machine = sfn.machine(WAIT)
    first = sfn.service.StartExecution({"stateMachineArn": machine, "name": "client-1", "input": '{"id": 1}'})
    again = sfn.service.StartExecution({"stateMachineArn": machine, "name": "client-1", "input": '{"id": 1}'})
    assert again == first
    assert first["executionArn"] == f"{machine.replace(':stateMachine:', ':execution:')}:client-1"
    request = {"stateMachineArn": machine, "name": "client-1", "input": '{"id": 2}'}
    assert _error(sfn.service.StartExecution, request) == "ExecutionAlreadyExists"


def test_a_closed_execution_name_cannot_be_reused(sfn: Sfn) -> None:
    machine = sfn.machine({"P": {"Type": "Pass", "End": True}})
    sfn.start(machine, {"id": 1}, name="client-2")
    sfn.settle()
    request = {"stateMachineArn": machine, "name": "client-2", "input": '{"id": 1}'}
    assert _error(sfn.service.StartExecution, request) == "ExecutionAlreadyExists"


@pytest.mark.parametrize(
    ("request_changes", "code"),
    [
        ({"name": "has space"}, "InvalidName"),
        ({"name": "x" * 81}, "InvalidName"),
        ({"name": "a/b"}, "InvalidName"),
        ({"input": "{not json"}, "InvalidExecutionInput"),
        ({"input": json.dumps({"x": "y" * 262_144})}, "InvalidExecutionInput"),
        ({"stateMachineArn": "arn:aws:states:us-east-1:000000000000:stateMachine:nope"}, "StateMachineDoesNotExist"),
        ({"stateMachineArn": "not-an-arn"}, "InvalidArn"),
        ({"stateMachineArn": None}, "ValidationException"),
    ],
)
def test_start_execution_validates_its_request(sfn: Sfn, request_changes: dict, code: str) -> None:
    request = {"stateMachineArn": sfn.machine(WAIT), "input": "{}", **request_changes}
    assert _error(sfn.service.StartExecution, request) == code


def test_a_generated_name_is_a_uuid(sfn: Sfn) -> None:
    arn = sfn.service.StartExecution({"stateMachineArn": sfn.machine(WAIT)})["executionArn"]
    assert len(arn.rsplit(":", 1)[1]) == 36


def test_execution_timeout_seconds_times_the_execution_out(sfn: Sfn) -> None:
    arn = sfn.start(sfn.machine(WAIT, TimeoutSeconds=30))
    sfn.settle()
    sfn.advance(30)
    result = sfn.result(arn)
    assert (result.status, result.error) == ("TIMED_OUT", "States.Timeout")
    assert result.types()[-1] == "ExecutionTimedOut"


def test_stop_aborts_a_running_execution(sfn: Sfn) -> None:
    arn = sfn.start(sfn.machine(WAIT))
    sfn.settle()
    response = sfn.service.StopExecution({"executionArn": arn})
    result = sfn.result(arn)
    assert result.status == "ABORTED"
    assert result.details(result.events("ExecutionAborted")[0]) == {}
    assert "WaitStateExited" not in result.types()  # the interrupted state gets no Exited event
    described = sfn.service.DescribeExecution({"executionArn": arn})
    assert described["stopDate"] == response["stopDate"]
    sfn.advance(100)
    assert sfn.result(arn).status == "ABORTED"


def test_describe_execution(sfn: Sfn) -> None:
    arn = sfn.start(sfn.machine({"P": {"Type": "Pass", "Output": {"ok": True}, "End": True}}), {"id": "c-9"})
    sfn.settle()
    described = sfn.service.DescribeExecution({"executionArn": arn})
    assert described["status"] == "SUCCEEDED"
    assert json.loads(described["input"]) == {"id": "c-9"}
    assert json.loads(described["output"]) == {"ok": True}
    assert described["redriveCount"] == 0
    assert described["redriveStatus"] == "NOT_REDRIVABLE"
    assert described["redriveStatusReason"] == "Execution is SUCCEEDED and cannot be redriven"
    assert described["stopDate"] >= described["startDate"]
    missing = arn.rsplit(":", 1)[0] + ":nope"
    assert _error(sfn.service.DescribeExecution, {"executionArn": missing}) == "ExecutionDoesNotExist"


def test_list_executions_filters_by_status_and_pages(sfn: Sfn) -> None:
    machine = sfn.machine(
        {
            "C": {"Type": "Choice", "Choices": [{"Condition": "{% $states.input.ok %}", "Next": "S"}], "Default": "F"},
            "S": {"Type": "Succeed"},
            "F": {"Type": "Fail", "Error": "No"},
        }
    )
    for index in range(5):
        sfn.start(machine, {"ok": index % 2 == 0}, name=f"run-{index}")
    sfn.settle()
    succeeded = sfn.service.ListExecutions({"stateMachineArn": machine, "statusFilter": "SUCCEEDED"})["executions"]
    assert sorted(item["name"] for item in succeeded) == ["run-0", "run-2", "run-4"]
    names, token = [], None
    while True:
        page = sfn.service.ListExecutions(
            {"stateMachineArn": machine, "maxResults": 2, **({"nextToken": token} if token else {})}
        )
        names += [item["name"] for item in page["executions"]]
        token = page.get("nextToken")
        if not token:
            break
    assert sorted(names) == [f"run-{index}" for index in range(5)]
    request = {"stateMachineArn": machine, "statusFilter": "BOGUS"}
    assert _error(sfn.service.ListExecutions, request) == "ValidationException"


def test_history_ids_previous_ids_paging_order_and_data(sfn: Sfn) -> None:
    states = {"A": {"Type": "Pass", "Next": "T"}, "T": task("echo", Next="B"), "B": {"Type": "Succeed"}}
    arn = sfn.start(sfn.machine(states), {"secret": "x"})
    sfn.settle()
    events = sfn.result(arn).history
    assert [event["id"] for event in events] == list(range(1, len(events) + 1))
    by_type = {event["type"]: event for event in events}
    assert by_type["ExecutionStarted"]["previousEventId"] == 0
    assert by_type["PassStateEntered"]["previousEventId"] == 0  # the first state's Entered points at 0
    assert by_type["TaskStateEntered"]["previousEventId"] == by_type["PassStateExited"]["id"]
    assert by_type["TaskScheduled"]["previousEventId"] == by_type["TaskStateEntered"]["id"]
    assert by_type["TaskStarted"]["previousEventId"] == by_type["TaskScheduled"]["id"]
    assert by_type["TaskSucceeded"]["previousEventId"] == by_type["TaskStarted"]["id"]
    assert by_type["ExecutionSucceeded"]["previousEventId"] == events[-2]["id"]
    assert all(isinstance(event["timestamp"], float) for event in events)

    first = sfn.service.GetExecutionHistory({"executionArn": arn, "maxResults": 3})
    second = sfn.service.GetExecutionHistory({"executionArn": arn, "maxResults": 3, "nextToken": first["nextToken"]})
    assert [event["id"] for event in first["events"] + second["events"]] == [1, 2, 3, 4, 5, 6]
    newest = sfn.service.GetExecutionHistory({"executionArn": arn, "reverseOrder": True, "maxResults": 1})
    assert newest["events"][0]["type"] == "ExecutionSucceeded"
    lean = sfn.service.GetExecutionHistory({"executionArn": arn, "includeExecutionData": False})["events"]
    assert "secret" not in json.dumps(lean)
    assert lean[0]["executionStartedEventDetails"] == {"roleArn": lean[0]["executionStartedEventDetails"]["roleArn"]}


def test_state_machines_can_be_created_described_listed_and_deleted(sfn: Sfn) -> None:
    machine = sfn.machine({"P": {"Type": "Pass", "End": True}})
    described = sfn.service.DescribeStateMachine({"stateMachineArn": machine})
    assert (described["status"], described["type"]) == ("ACTIVE", "STANDARD")
    assert machine in [item["stateMachineArn"] for item in sfn.service.ListStateMachines({})["stateMachines"]]
    other = json.dumps({"QueryLanguage": "JSONata", "StartAt": "S", "States": {"S": {"Type": "Succeed"}}})
    request = {"name": described["name"], "definition": other, "roleArn": described["roleArn"]}
    assert _error(sfn.service.CreateStateMachine, request) == "StateMachineAlreadyExists"
    bad = {"name": "bad-one", "definition": '{"StartAt": "X", "States": {}}', "roleArn": described["roleArn"]}
    assert _error(sfn.service.CreateStateMachine, bad) == "InvalidDefinition"
    sfn.service.DeleteStateMachine({"stateMachineArn": machine})
    assert _error(sfn.service.DescribeStateMachine, {"stateMachineArn": machine}) == "StateMachineDoesNotExist"


SPIN = {
    "Spin": {"Type": "Pass", "Next": "Again"},
    "Again": {"Type": "Choice", "Choices": [{"Condition": "{% true %}", "Next": "Spin"}], "Default": "Spin"},
}


def _last_events(sfn: Sfn, arn: str) -> list[dict]:
    request = {"executionArn": arn, "reverseOrder": True, "maxResults": 2}
    return sfn.service.GetExecutionHistory(request)["events"]


@pytest.mark.parametrize(
    "states",
    [
        SPIN,
        {"Each": {"Type": "Map", "Items": [1, 2], "ItemProcessor": {"StartAt": "Spin", "States": SPIN}, "End": True}},
        {**SPIN, "Spin": task("trivial", Next="Again")},
    ],
    ids=["top level", "in a Map's iterations", "through a function"],
)
def test_a_loop_that_never_ends_fails_at_the_history_quota(sfn: Sfn, states: dict) -> None:
    # A loop of states that neither wait nor call anything: one commit would hold it for ever
    arn = sfn.start(sfn.machine(states))
    sfn.settle()
    # It fails as Step Functions fails it: the 25,000th event is the failure
    described = sfn.service.DescribeExecution({"executionArn": arn})
    cause = "The execution reached the maximum number of history events (25000)."
    assert (described["status"], described["error"], described["cause"]) == ("FAILED", "States.Runtime", cause)
    failed, before = _last_events(sfn, arn)
    assert (failed["type"], failed["id"], failed["previousEventId"]) == ("ExecutionFailed", 25000, 24999)
    assert failed["executionFailedEventDetails"] == {"error": "States.Runtime", "cause": cause}
    assert before["id"] == 24999
    # and it cannot be redriven into the same wall
    assert described["redriveStatus"] == "NOT_REDRIVABLE"
    assert described["redriveStatusReason"] == "Execution history event limit exceeded"
    assert _error(sfn.service.RedriveExecution, {"executionArn": arn}) == "ExecutionNotRedrivable"
