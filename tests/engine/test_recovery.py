"""A restarted engine carries on what was running: Waits keep their deadline, callbacks their token,
a task that was running is run again (tasks are idempotent by design)."""

import json
import threading
import time
from pathlib import Path

from local.sfn.clock import ManualClock
from tests.engine import handlers
from tests.engine.conftest import INVOKE_WAIT, make_sfn, task


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
