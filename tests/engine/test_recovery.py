"""A restarted engine carries on what was running: Waits keep their deadline, callbacks their token,
a task that was running is run again (tasks are idempotent by design)."""

import json
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from local.sfn.clock import ManualClock
from tests.engine import handlers
from tests.engine.conftest import INVOKE_WAIT, make_sfn, task


@pytest.fixture(autouse=True)
def _fresh_switches() -> None:
    """The handlers' record of calls starts empty: a token found there is this test's."""
    handlers.SWITCHES.update({"flaky_fails": True, "calls": [], "gate": threading.Event()})


def test_waits_and_callbacks_survive_a_restart(tmp_path: Path) -> None:
    clock = ManualClock()
    before = make_sfn(tmp_path, clock)
    holding = before.machine({"Hold": {"Type": "Wait", "Seconds": 100, "Next": "Done"}, "Done": {"Type": "Succeed"}})
    asking = before.machine(
        {
            "Ask": task(
                "echo",
                payload={"token": "{% $states.context.Task.Token %}"},
                Resource=INVOKE_WAIT,
                Output="{% $states.result %}",
            )
        }
    )
    wait_arn, ask_arn = before.start(holding), before.start(asking)
    before.settle()
    token = next(event["token"] for name, event in handlers.SWITCHES["calls"] if name == "echo")
    clock.advance(40)
    before.engine.shutdown()  # the process goes away

    after = make_sfn(tmp_path, clock)  # a new engine on the same store
    after.settle()
    assert after.result(wait_arn).status == "RUNNING"
    after.advance(59)
    assert after.result(wait_arn).status == "RUNNING"  # the deadline is the original one: 100s after entry
    after.advance(1)
    assert after.result(wait_arn).status == "SUCCEEDED"
    after.service.SendTaskSuccess({"taskToken": token, "output": json.dumps({"answer": 42})})
    after.settle()
    assert (after.result(ask_arn).status, after.result(ask_arn).output) == ("SUCCEEDED", {"answer": 42})
    after.engine.shutdown()


def test_a_task_interrupted_mid_run_is_run_again(tmp_path: Path) -> None:
    handlers.SWITCHES["gate"] = threading.Event()  # the handler runs until the test opens it
    clock = ManualClock()
    before = make_sfn(tmp_path, clock)
    before.engine.functions.resolve("slow").timeout_seconds = 60
    arn = before.start(before.machine({"Sleep": task("slow")}))
    before.wait_for_event(arn, "TaskStarted")
    before.engine.shutdown()  # while the handler runs; its result is never committed

    after = make_sfn(tmp_path, clock)
    after.engine.functions.resolve("slow").timeout_seconds = 60
    deadline = time.monotonic() + 10
    while after.result(arn).types().count("TaskStarted") < 2:  # the new engine runs the task again
        assert time.monotonic() < deadline
        time.sleep(0.01)
    handlers.SWITCHES["gate"].set()
    after.wait_for_event(arn, "ExecutionSucceeded")
    result = after.result(arn)
    assert result.status == "SUCCEEDED"
    assert result.types().count("TaskScheduled") == 2
    assert result.types().count("TaskSucceeded") == 1  # the first run's late answer was dropped
    after.engine.shutdown()


def test_a_map_part_way_through_its_iterations_carries_on_after_a_restart(tmp_path: Path) -> None:
    # Given a Map of six callback iterations, two at a time, stopped when two have ended
    clock = ManualClock()
    before = make_sfn(tmp_path, clock)
    iteration = task(
        "echo", payload={"token": "{% $states.context.Task.Token %}", "item": "{% $states.input %}"},
        Resource=INVOKE_WAIT, Output="{% $states.result %}",
    )  # fmt: skip
    arn = before.start(
        before.machine(
            {
                "Each": {
                    "Type": "Map",
                    "Items": "{% [1, 2, 3, 4, 5, 6] %}",
                    "MaxConcurrency": 2,
                    "ItemProcessor": {"StartAt": "Ask", "States": {"Ask": iteration}},
                    "End": True,
                }
            }
        )
    )

    def answer_waiting(sfn: Any, answered: set[str]) -> int:
        sfn.settle()
        calls = [event for name, event in handlers.SWITCHES["calls"] if name == "echo" and "item" in event]
        waiting = [call for call in calls if call["token"] not in answered]
        for call in waiting:
            answered.add(call["token"])
            sfn.service.SendTaskSuccess({"taskToken": call["token"], "output": json.dumps(call["item"] * 10)})
        sfn.settle()
        return len(waiting)

    answered: set[str] = set()
    assert answer_waiting(before, answered) == 2
    before.engine.shutdown()

    # When a new engine opens the same store
    after = make_sfn(tmp_path, clock)
    # Then it starts the next two only, and so on to the end, each iteration once, results in order
    started = [answer_waiting(after, answered) for _ in range(3)]
    result = after.result(arn)
    assert started == [2, 2, 0]
    assert (result.status, result.output) == ("SUCCEEDED", [10, 20, 30, 40, 50, 60])
    assert result.types().count("MapIterationStarted") == 6
    after.engine.shutdown()


def test_an_execution_whose_definition_no_longer_loads_fails_and_the_engine_starts(tmp_path: Path) -> None:
    import sqlite3

    from local.sfn.errors import ServiceError

    # Given an execution left running by an engine that accepted its definition
    clock = ManualClock()
    before = make_sfn(tmp_path, clock)
    arn = before.start(before.machine({"Hold": {"Type": "Wait", "Seconds": 100, "End": True}}))
    before.settle()
    before.engine.shutdown()
    refused_now = {"QueryLanguage": "JSONata", "StartAt": "Hold",
                   "States": {"Hold": {"Type": "Pass", "Output": "{% $eval('1') %}", "End": True}}}  # fmt: skip
    with sqlite3.connect(tmp_path / "sfn.db") as database:
        database.execute("UPDATE executions SET definition = ? WHERE arn = ?", (json.dumps(refused_now), arn))
    # When an engine that refuses that definition starts on the same store
    after = make_sfn(tmp_path, clock)
    after.settle()
    # Then it has started, and the execution failed saying why
    result = after.result(arn)
    assert (result.status, result.error, result.types()[-1]) == ("FAILED", "States.Runtime", "ExecutionFailed")
    assert result.cause.startswith("the local engine no longer loads this execution's definition: ")
    assert "$eval is not available" in result.cause
    with pytest.raises(ServiceError) as refused:
        after.service.RedriveExecution({"executionArn": arn})
    assert refused.value.code == "ExecutionNotRedrivable"
    after.engine.shutdown()
