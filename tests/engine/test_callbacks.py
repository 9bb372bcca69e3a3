"""The callback pattern: .waitForTaskToken, SendTaskSuccess/Failure/Heartbeat, heartbeat and task timeouts.

Pages: .../connect-to-resource.html#connect-wait-token, API_SendTaskSuccess/Failure/Heartbeat
.
"""

import json

import pytest

from local.sfn.errors import ServiceError
from tests.engine import handlers
from tests.engine.conftest import INVOKE_WAIT, Sfn, task


def _callback(**fields) -> dict:
    payload = {"token": "{% $states.context.Task.Token %}", "client": "{% $states.input.id %}"}
    return {"Ask": task("echo", payload=payload, Resource=INVOKE_WAIT, Output="{% $states.result %}", **fields)}


def _token() -> str:
    return next(event["token"] for name, event in reversed(handlers.SWITCHES["calls"]) if name == "echo")


def _waiting(sfn: Sfn, **fields) -> str:
    arn = sfn.start(sfn.machine(_callback(**fields)), {"id": "c-1"})
    sfn.settle()
    return arn


def test_send_task_success_delivers_the_result(sfn: Sfn) -> None:
    arn = _waiting(sfn)
    result = sfn.result(arn)
    assert result.status == "RUNNING"
    assert result.types()[-3:] == ["TaskScheduled", "TaskStarted", "TaskSubmitted"]
    submitted = json.loads(result.details(result.events("TaskSubmitted")[0])["output"])
    assert submitted["StatusCode"] == 200  # the invoke's own response
    sfn.service.SendTaskSuccess({"taskToken": _token(), "output": json.dumps({"decision": "same-person"})})
    sfn.settle()
    result = sfn.result(arn)
    assert (result.status, result.output) == ("SUCCEEDED", {"decision": "same-person"})
    assert result.events("TaskSucceeded")[0]["previousEventId"] == result.events("TaskSubmitted")[0]["id"]


def test_send_task_failure_is_caught_like_any_error(sfn: Sfn) -> None:
    catch = [{"ErrorEquals": ["States.ALL"], "Next": "Caught", "Output": "{% $states.errorOutput %}"}]
    states = {
        **_callback(Catch=catch, Next="Done"),
        "Done": {"Type": "Succeed"},
        "Caught": {"Type": "Pass", "End": True},
    }
    arn = sfn.start(sfn.machine(states), {"id": "c-1"})
    sfn.settle()
    sfn.service.SendTaskFailure({"taskToken": _token(), "error": "Rejected", "cause": "lab said no"})
    sfn.settle()
    assert sfn.result(arn).output == {"Error": "Rejected", "Cause": "lab said no"}


def test_send_task_failure_without_error_or_cause_is_still_caught(sfn: Sfn) -> None:
    catch = [{"ErrorEquals": ["States.ALL"], "Next": "Caught", "Output": "{% $states.errorOutput %}"}]
    states = {**_callback(Catch=catch, Next="Caught"), "Caught": {"Type": "Pass", "End": True}}
    arn = sfn.start(sfn.machine(states), {"id": "c-1"})
    sfn.settle()
    sfn.service.SendTaskFailure({"taskToken": _token()})
    sfn.settle()
    result = sfn.result(arn)
    assert result.output == {"Error": None, "Cause": None}
    assert set(result.details(result.events("TaskFailed")[0])) == {"resourceType", "resource"}


def test_a_missed_heartbeat_times_the_task_out_and_heartbeats_keep_it_alive(sfn: Sfn) -> None:
    arn = _waiting(sfn, HeartbeatSeconds=60, TimeoutSeconds=600)
    token = _token()
    for _ in range(3):
        sfn.advance(50)
        sfn.service.SendTaskHeartbeat({"taskToken": token})
    assert sfn.result(arn).status == "RUNNING"
    assert "TaskTimedOut" not in sfn.result(arn).types()
    sfn.advance(60)
    result = sfn.result(arn)
    # as AWS does: a missed heartbeat is reported as States.Timeout
    assert (result.status, result.error) == ("FAILED", "States.Timeout")
    assert result.types()[-2:] == ["TaskTimedOut", "ExecutionFailed"]


def test_timeout_seconds_caps_the_wait_however_many_heartbeats(sfn: Sfn) -> None:
    arn = _waiting(sfn, HeartbeatSeconds=60, TimeoutSeconds=100)
    token = _token()
    sfn.advance(50)
    sfn.service.SendTaskHeartbeat({"taskToken": token})
    sfn.advance(50)
    assert sfn.result(arn).error == "States.Timeout"


def test_token_answers_after_the_task_closed_or_for_unknown_tokens(sfn: Sfn) -> None:
    arn = _waiting(sfn)
    token = _token()
    sfn.service.SendTaskSuccess({"taskToken": token, "output": "{}"})
    sfn.settle()
    assert sfn.result(arn).status == "SUCCEEDED"
    cases = [
        ({"taskToken": token, "output": "{}"}, "TaskTimedOut"),
        ({"taskToken": "AQ" + "x" * 60, "output": "{}"}, "TaskDoesNotExist"),
        ({"taskToken": "not-a-token", "output": "{}"}, "InvalidToken"),
    ]
    for request, code in cases:
        with pytest.raises(ServiceError) as raised:
            sfn.service.SendTaskSuccess(request)
        assert raised.value.code == code
    with pytest.raises(ServiceError) as raised:
        sfn.service.SendTaskHeartbeat({"taskToken": token})
    assert raised.value.code == "TaskTimedOut"


def test_output_that_is_not_json_is_invalid_output(sfn: Sfn) -> None:
    arn = _waiting(sfn)
    with pytest.raises(ServiceError) as raised:
        sfn.service.SendTaskSuccess({"taskToken": _token(), "output": "{nope"})
    assert raised.value.code == "InvalidOutput"
    assert sfn.result(arn).status == "RUNNING"


def test_stopping_the_execution_spends_the_token(sfn: Sfn) -> None:
    arn = _waiting(sfn)
    sfn.service.StopExecution({"executionArn": arn, "error": "Erased", "cause": "client erased"})
    with pytest.raises(ServiceError) as raised:
        sfn.service.SendTaskSuccess({"taskToken": _token(), "output": "{}"})
    assert raised.value.code == "TaskTimedOut"
    result = sfn.result(arn)
    assert (result.status, result.error, result.cause) == ("ABORTED", "Erased", "client erased")
    aborted = result.events("ExecutionAborted")[0]
    assert result.details(aborted) == {"error": "Erased", "cause": "client erased"}
    assert aborted["previousEventId"] == result.events("TaskStateEntered")[0]["previousEventId"]
