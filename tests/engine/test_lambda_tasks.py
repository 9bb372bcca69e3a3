"""Lambda tasks run in-process as the optimized integration runs them.

Page: https://docs.aws.amazon.com/step-functions/latest/dg/connect-lambda.html.
"""

import json
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from local.sfn import functions, workers
from local.sfn.functions import LocalFunction
from tests.engine import handlers
from tests.engine.conftest import INVOKE, Sfn, make_sfn, task


def test_the_result_is_the_invoke_response_with_the_payload_parsed(sfn: Sfn) -> None:
    states = {"T": {**task("echo", payload={"a": 1}), "Output": "{% $states.result %}"}}
    result = sfn.run(states)
    response = result.output
    assert response["Payload"] == {"a": 1}
    assert response["StatusCode"] == 200
    assert response["ExecutedVersion"] == "$LATEST"
    assert response["SdkHttpMetadata"]["HttpStatusCode"] == 200
    assert response["SdkResponseMetadata"]["RequestId"]
    succeeded = result.details(result.events("TaskSucceeded")[0])
    assert succeeded["output"] == json.dumps(response, separators=(",", ":"), ensure_ascii=False)  # compact, as AWS
    scheduled = result.details(result.events("TaskScheduled")[0])
    assert (scheduled["resourceType"], scheduled["resource"], scheduled["region"]) == ("lambda", "invoke", "us-east-1")
    assert json.loads(scheduled["parameters"])["Payload"] == {"a": 1}
    assert result.types() == [
        "ExecutionStarted",
        "TaskStateEntered",
        "TaskScheduled",
        "TaskStarted",
        "TaskSucceeded",
        "TaskStateExited",
        "ExecutionSucceeded",
    ]


def test_the_handler_gets_a_lambda_like_context(sfn: Sfn) -> None:
    output = sfn.run({"T": task("context-probe")}).output
    assert output["function_name"] == "context-probe"
    assert output["invoked_function_arn"] == "arn:aws:lambda:us-east-1:000000000000:function:context-probe"
    assert output["memory_limit_in_mb"] == 512
    assert output["aws_request_id"]
    assert 6000 < output["remaining_ms"] <= 7000


def test_payloads_cross_as_json_both_ways(sfn: Sfn) -> None:
    handlers.SWITCHES["calls"] = []
    sfn.run({"T": task("echo", payload={"n": 1.0, "t": [1, 2]})})
    received = next(event for name, event in handlers.SWITCHES["calls"] if name == "echo")
    assert received == {"n": 1, "t": [1, 2]}
    result = sfn.run({"T": task("not-json")})
    assert result.error == "Runtime.MarshalError"
    assert json.loads(result.cause)["errorMessage"].startswith("Unable to marshal response")


def test_an_exception_is_the_error_named_by_its_class_with_lambdas_error_document(sfn: Sfn) -> None:
    result = sfn.run({"T": task("reject", payload={"evidence": "CSS-7"})})
    assert (result.status, result.error) == ("FAILED", "CustomerNotEligible")
    document = json.loads(result.cause)
    assert list(document) == ["errorMessage", "errorType", "requestId", "stackTrace"]
    assert document["errorMessage"] == "evidence CSS-7 expired"
    assert document["errorType"] == "CustomerNotEligible"
    assert any("in reject" in frame for frame in document["stackTrace"])
    failed = result.details(result.events("TaskFailed")[0])
    assert (failed["error"], failed["resource"]) == ("CustomerNotEligible", "invoke")


def test_a_function_running_past_its_timeout_fails_with_sandbox_timedout(sfn: Sfn) -> None:
    arn = sfn.start(sfn.machine({"T": task("slow")}))  # the function's timeout is 1s
    sfn.time_out_slow_task(arn, 1, "TaskFailed")
    result = sfn.result(arn)
    assert (result.status, result.error) == ("FAILED", "Sandbox.Timedout")
    assert json.loads(result.cause)["errorMessage"].endswith("Task timed out after 1.00 seconds")


def test_the_state_timeout_fails_with_states_timeout(sfn: Sfn) -> None:
    sfn.engine.functions.resolve("slow").timeout_seconds = 60
    arn = sfn.start(sfn.machine({"T": task("slow", TimeoutSeconds=2)}))
    sfn.time_out_slow_task(arn, 2, "TaskTimedOut")
    result = sfn.result(arn)
    assert (result.status, result.error, result.cause) == ("FAILED", "States.Timeout", "")
    assert "TaskTimedOut" in result.types()


def test_an_unknown_function_is_resource_not_found(sfn: Sfn) -> None:
    states = {"T": {"Type": "Task", "Resource": INVOKE, "Arguments": {"FunctionName": "nobody"}, "End": True}}
    result = sfn.run(states)
    assert result.error == "Lambda.ResourceNotFoundException"
    assert result.cause.startswith(
        "Function not found: arn:aws:lambda:us-east-1:000000000000:function:nobody:$LATEST (Service: AWSLambda; "
        "Status Code: 404; Error Code: ResourceNotFoundException;"
    )


@pytest.mark.parametrize(
    ("handler_path", "error", "message"),
    [
        ("tests.engine.nowhere.handler", "Runtime.ImportModuleError", "Unable to import module 'tests.engine.nowhere'"),
        ("tests.engine.handlers.nobody", "Runtime.HandlerNotFound", "Handler 'nobody' missing on module"),
    ],
)
def test_a_handler_that_cannot_be_loaded_fails_as_lambdas_runtime_does(
    sfn: Sfn, handler_path: str, error: str, message: str
) -> None:
    sfn.engine.functions.register(LocalFunction("unloadable", handler_path))
    result = sfn.run({"T": task("unloadable")})
    assert (result.status, result.error) == ("FAILED", error)
    assert json.loads(result.cause)["errorType"] == error
    assert json.loads(result.cause)["errorMessage"].startswith(message)


def test_function_name_may_be_a_name_an_alias_or_an_arn(sfn: Sfn) -> None:
    for reference in ("add-one", "add-one:live", "arn:aws:lambda:us-east-1:000000000000:function:add-one:1"):
        states = {
            "T": {
                "Type": "Task",
                "Resource": INVOKE,
                "Output": "{% $states.result.Payload %}",
                "Arguments": {"FunctionName": reference, "Payload": {"value": 1}},
                "End": True,
            }
        }
        assert sfn.run(states).output == {"value": 2}, reference


def _map_of(function: str, items: int, **fields: object) -> dict:
    iteration = {"StartAt": "Call", "States": {"Call": task(function)}}
    return {"Each": {"Type": "Map", "Items": list(range(items)), "ItemProcessor": iteration, "End": True, **fields}}


def test_a_quick_function_is_called_in_the_thread_that_reached_it_a_slow_one_in_threads_of_its_own(
    sfn: Sfn, monkeypatch: pytest.MonkeyPatch
) -> None:
    handlers.SWITCHES["calls"].clear()
    threshold = functions.QUICK_SECONDS
    monkeypatch.setattr(functions, "QUICK_SECONDS", 10.0)  # however busy the machine, "where" counts as quick
    monkeypatch.setattr(workers, "STALLED", 10.0)  # and no pause of the machine counts as a stall
    assert sfn.run({"Warm": task("where")}).status == "SUCCEEDED"  # now known to answer at once
    assert sfn.run(_map_of("where", 12)).status == "SUCCEEDED"
    threads = {thread for name, (thread, _, _) in handlers.SWITCHES["calls"][1:] if name == "where"}
    assert len(threads) == 1  # twelve calls, no thread hand-over
    # a function that takes its time (20 ms, ten times the threshold) runs beside the others, as Lambda runs them
    monkeypatch.setattr(functions, "QUICK_SECONDS", threshold)
    assert sfn.run({"Warm": task("pause")}).status == "SUCCEEDED"
    assert sfn.run(_map_of("pause", 6, MaxConcurrency=3)).status == "SUCCEEDED"
    spans = sorted((start, end) for name, (_, start, end) in handlers.SWITCHES["calls"][-6:] if name == "pause")
    overlapping = max(sum(1 for start, end in spans if start <= moment < end) for moment, _ in spans)
    assert overlapping == 3


def test_a_quick_function_that_hangs_holds_up_no_other_call(sfn: Sfn, monkeypatch: pytest.MonkeyPatch) -> None:
    # Given a function known to answer at once, and a Map whose third item makes it hang
    monkeypatch.setattr(functions, "QUICK_SECONDS", 10.0)
    monkeypatch.setitem(handlers.SWITCHES, "hold", 2)
    monkeypatch.setitem(handlers.SWITCHES, "gate", threading.Event())
    assert sfn.run({"Warm": task("hold-one", payload=0)}).status == "SUCCEEDED"
    arn = sfn.start(sfn.machine(_map_of("hold-one", 5, ToleratedFailurePercentage=100)), {})
    # Then the items before and after it are called and taken in while it hangs
    deadline = time.monotonic() + 5
    while sfn.result(arn).types().count("MapIterationSucceeded") < 4:
        assert time.monotonic() < deadline, sfn.result(arn).types()
        time.sleep(0.01)
    assert sfn.result(arn).status == "RUNNING"
    handlers.SWITCHES["gate"].set()
    sfn.wait_for_event(arn, "ExecutionSucceeded")
    assert sfn.result(arn).output == [0, 1, 2, 3, 4]


def test_a_handler_calling_sys_exit_cancelled_or_interrupted_fails_its_own_task_only(
    sfn: Sfn, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(functions, "QUICK_SECONDS", 10.0)  # called in turn with its neighbours
    monkeypatch.setitem(handlers.SWITCHES, "exit", 1)
    monkeypatch.setitem(handlers.SWITCHES, "cancel", 3)
    monkeypatch.setitem(handlers.SWITCHES, "interrupt", 4)  # raised by the handler, in an engine thread
    assert sfn.run({"Warm": task("exits", payload=0)}).status == "SUCCEEDED"
    result = sfn.run(_map_of("exits", 6, ToleratedFailureCount=3))
    assert result.status == "SUCCEEDED"
    errors = [item if isinstance(item, int) else item["Error"] for item in result.output]
    assert errors == [0, "Runtime.ExitError", 2, "CancelledError", "KeyboardInterrupt", 5]
    assert "Runtime exited with error: exit status 3" in result.output[1]["Cause"]


def test_timers_fire_while_every_worker_waits_on_a_function(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Given an engine of two workers, an execution in a Wait, and two functions that hang in both workers
    monkeypatch.setitem(handlers.SWITCHES, "gate", threading.Event())
    sfn = make_sfn(tmp_path, workers=2)
    try:
        waiting = sfn.start(sfn.machine({"Hold": {"Type": "Wait", "Seconds": 1, "End": True}}), {})
        sfn.wait_for_event(waiting, "WaitStateEntered")
        hang = {**_map_of("slow", 2)["Each"], "Items": [{"seconds": 30}, {"seconds": 30}]}
        hanging = sfn.start(sfn.machine({"Each": hang}), {})
        deadline = time.monotonic() + 5
        while sfn.result(hanging).types().count("TaskStarted") < 2:
            assert time.monotonic() < deadline
            time.sleep(0.01)
        # When the Wait's time comes
        sfn.clock.advance(1)
        # Then it ends, though no worker is free
        sfn.wait_for_event(waiting, "ExecutionSucceeded", timeout=5)
    finally:
        handlers.SWITCHES["gate"].set()
        sfn.engine.shutdown()


def test_idleness_is_not_reported_while_calls_rescued_from_a_stalled_turn_are_in_hand(
    sfn: Sfn, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given calls made in turn, the second of which stalls, and a rescue slow to hand the rest over
    monkeypatch.setattr(functions, "QUICK_SECONDS", 10.0)
    monkeypatch.setitem(handlers.SWITCHES, "hold", 1)
    monkeypatch.setitem(handlers.SWITCHES, "gate", threading.Event())
    handing_over = workers.Workers.submit_invocations

    def slowly(self: workers.Workers, execution: Any, calls: Any) -> None:
        if threading.current_thread().name == "sfn-turns":
            time.sleep(0.2)
        handing_over(self, execution, calls)

    monkeypatch.setattr(workers.Workers, "submit_invocations", slowly)
    assert sfn.run({"Warm": task("hold-one", payload=0)}).status == "SUCCEEDED"
    arn = sfn.start(sfn.machine(_map_of("hold-one", 6)), {})
    threading.Timer(0.08, handlers.SWITCHES["gate"].set).start()  # the stall ends soon after the rescue
    # Then settling waits for every rescued call
    sfn.settle()
    assert sfn.result(arn).status == "SUCCEEDED"


def test_calls_waiting_in_turn_are_not_made_after_a_shutdown(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(functions, "QUICK_SECONDS", 10.0)
    monkeypatch.setattr(workers, "STALLED", 10.0)  # no rescue: the turn itself must stop
    monkeypatch.setitem(handlers.SWITCHES, "hold", 1)
    monkeypatch.setitem(handlers.SWITCHES, "gate", threading.Event())
    sfn = make_sfn(tmp_path)
    assert sfn.run({"Warm": task("hold-one", payload=0)}).status == "SUCCEEDED"
    handlers.SWITCHES["calls"].clear()
    sfn.start(sfn.machine(_map_of("hold-one", 10)), {})
    deadline = time.monotonic() + 5
    while ("hold_one", 1) not in handlers.SWITCHES["calls"]:
        assert time.monotonic() < deadline
        time.sleep(0.005)
    sfn.engine.shutdown()
    handlers.SWITCHES["gate"].set()
    time.sleep(0.2)
    assert [event for name, event in handlers.SWITCHES["calls"] if name == "hold_one"] == [0, 1]
