"""What the engine does when something it runs goes wrong: a bug while running the branches a
commit made ready fails that execution instead of leaving it RUNNING; a Parallel that failed after
its branches succeeded is redriven, not left waiting; numbers JSON cannot hold are refused at the door."""

from __future__ import annotations

import json
import threading
from types import SimpleNamespace
from typing import Any

import pytest

from local.sfn.errors import ServiceError
from local.sfn.functions import function_arn
from local.sfn.states import BEGIN
from tests.engine.conftest import INVOKE_WAIT, Sfn


def test_a_bug_in_what_an_answer_made_ready_fails_the_execution_instead_of_hanging_it(
    sfn: Sfn, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a Parallel whose branch waits for a callback, a Wait after it, and a bug in Wait
    ask = {
        "Type": "Task",
        "Resource": INVOKE_WAIT,
        "Arguments": {"FunctionName": function_arn("echo"), "Payload": {"token": "{% $states.context.Task.Token %}"}},
        "End": True,
    }
    states = {
        "Both": {"Type": "Parallel", "Branches": [{"StartAt": "Ask", "States": {"Ask": ask}}], "Next": "Hold"},
        "Hold": {"Type": "Wait", "Seconds": 5, "End": True},
    }
    arn = sfn.start(sfn.machine(states), {})
    sfn.wait_for_event(arn, "TaskSubmitted")
    submitted = sfn.result(arn).details(sfn.result(arn).events("TaskSubmitted")[0])
    token = json.loads(submitted["output"])["Payload"]["token"]

    def broken(*args: object) -> None:
        raise RuntimeError("a bug")

    monkeypatch.setitem(BEGIN, "Wait", broken)
    # When the answer comes: its commit runs the Parallel on to the Wait, in the API's thread
    sfn.service.SendTaskSuccess({"taskToken": token, "output": "{}"})
    sfn.settle()
    # Then the execution failed with the bug, stored: nothing hangs RUNNING
    result = sfn.result(arn)
    assert (result.status, result.error) == ("FAILED", "States.Runtime")
    assert "the local engine failed: RuntimeError: a bug" in result.cause


def test_a_parallel_that_failed_after_its_branches_succeeded_is_redriven_not_left_running(sfn: Sfn) -> None:
    branch = {"StartAt": "P", "States": {"P": {"Type": "Pass", "Result": {"flag": 1}, "End": True}}}
    states = {
        "Both": {"Type": "Parallel", "Branches": [branch], "ResultSelector": {"x.$": "$[0].missing"}, "End": True}
    }
    failed = sfn.run(states, QueryLanguage="JSONPath")
    assert (failed.status, failed.error) == ("FAILED", "States.Runtime")
    sfn.service.RedriveExecution({"executionArn": failed.arn})
    sfn.settle()
    again = sfn.result(failed.arn)
    assert (again.status, again.error) == ("FAILED", "States.Runtime")  # the same fault, reached again
    assert again.types().count("ParallelStateEntered") == 2


@pytest.mark.parametrize(
    "text", ['{"n": NaN}', '{"n": Infinity}', '{"n": -Infinity}', '{"n": 1e999}', '{"n": 1' + "0" * 400 + "}"]
)
def test_numbers_json_cannot_hold_are_refused_as_input_and_as_a_callbacks_output(sfn: Sfn, text: str) -> None:
    machine = sfn.machine({"A": {"Type": "Pass", "End": True}})
    with pytest.raises(ServiceError) as refused:
        sfn.service.StartExecution({"stateMachineArn": machine, "input": text})
    assert refused.value.code == "InvalidExecutionInput"
    state = {
        "Type": "Task",
        "Resource": INVOKE_WAIT,
        "Arguments": {"FunctionName": function_arn("echo"), "Payload": {"token": "{% $states.context.Task.Token %}"}},
        "End": True,
    }
    arn = sfn.start(sfn.machine({"Ask": state}), {})
    sfn.wait_for_event(arn, "TaskSubmitted")
    submitted = sfn.result(arn).details(sfn.result(arn).events("TaskSubmitted")[0])
    token = json.loads(submitted["output"])["Payload"]["token"]
    with pytest.raises(ServiceError) as answered:
        sfn.service.SendTaskSuccess({"taskToken": token, "output": text})
    assert answered.value.code == "InvalidOutput"


def test_a_seconds_path_beyond_a_double_is_a_runtime_error_not_an_engine_bug(sfn: Sfn) -> None:
    states = {"Hold": {"Type": "Wait", "SecondsPath": "$.s", "End": True}}
    result = sfn.run(states, {"s": 10**300}, QueryLanguage="JSONPath")
    assert (result.status, result.error) == ("FAILED", "States.Runtime")
    assert "cannot be parsed as a long value" in result.cause
    parsed = sfn.run({"A": {"Type": "Pass", "Parameters": {"v.$": "States.StringToJson('NaN')"}, "End": True}},
                     {}, QueryLanguage="JSONPath")  # fmt: skip
    assert (parsed.status, parsed.error) == ("FAILED", "States.Runtime")
    assert "Invalid arguments in States.StringToJson" in parsed.cause


def test_a_missing_error_path_is_named_as_aws_names_it(sfn: Sfn) -> None:
    result = sfn.run({"Stop": {"Type": "Fail", "ErrorPath": "$.e"}}, {"a": 1}, QueryLanguage="JSONPath")
    assert (result.status, result.error) == ("FAILED", "States.Runtime")
    assert result.cause.endswith(
        "The JSONPath '$.e' specified for the field 'ErrorPath' could not be found in the input '{\"a\":1}'"
    )


def test_the_in_process_client_never_retries_what_the_engine_answered() -> None:
    from local.sfn.testing import local_stepfunctions

    with local_stepfunctions() as sfn:
        assert sfn.client.meta.config.retries["total_max_attempts"] == 1


class _HookedLock:
    """A lock that runs ``hook`` once, right after its ``nth`` release."""

    def __init__(self, nth: int, hook: Any) -> None:
        self._lock, self._releases, self._nth, self._hook = threading.Lock(), 0, nth, hook

    def __enter__(self) -> None:
        self._lock.acquire()

    def __exit__(self, *_: object) -> None:
        self._lock.release()
        self._releases += 1
        if self._releases == self._nth:
            self._hook()


def test_an_answer_arriving_as_a_delivery_ends_is_taken_in(sfn: Sfn, monkeypatch: pytest.MonkeyPatch) -> None:
    # Given a delivery that has taken in its answer and found the inbox empty
    taken: list[str] = []
    interpreter, workers = sfn.engine._interpreter, sfn.engine._workers
    monkeypatch.setattr(interpreter, "_invocation_returned", lambda execution, run, call, result: taken.append(run))
    monkeypatch.setattr(interpreter, "commit", lambda execution: [])
    execution: Any = SimpleNamespace(lock=threading.RLock(), inbox=[], delivering=False)  # an execution's inbox alone

    def another_answer() -> None:  # when the delivering thread lets go of the inbox for the last time
        late = threading.Thread(target=workers.deliver, args=(execution, [("late", None, None)]))
        late.start()
        late.join(5)

    # enter (1), take the answers (2), find the inbox empty (3): the late answer comes just then
    execution.inbox_lock = _HookedLock(3, another_answer)
    answer: Any = ("first", None, None)  # a run's name stands for the run: nothing else is read
    workers.deliver(execution, [answer])
    # Then both answers are taken in, and none is left waiting
    assert taken == ["first", "late"]
    assert (execution.inbox, execution.delivering) == ([], False)
