"""`kill -9` the local runtime while executions wait; after a restart they carry on and complete."""

import json
import signal
import time
from pathlib import Path

import pytest

from tests.e2e.conftest import start_runtime, stop_runtime

pytestmark = pytest.mark.e2e
MACHINE = "arn:aws:states:us-east-1:000000000000:stateMachine:engine-hold-and-ask"
TEST_WORKFLOWS = {"LOCAL_WORKFLOW_PACKAGES": "workflows,tests.engine.workflows"}


def _wait_until(check, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def test_executions_in_a_wait_and_in_a_callback_survive_kill_9(tmp_path: Path) -> None:
    # Given a runtime with one execution in a Wait and one waiting for a callback
    log = tmp_path / "runtime.log"
    runtime = start_runtime(tmp_path / "state", log, **TEST_WORKFLOWS)
    client = runtime.sfn()
    token_file = tmp_path / "token.txt"
    hold = client.start_execution(
        stateMachineArn=MACHINE, name="hold", input=json.dumps({"mode": "hold", "seconds": 3})
    )
    ask = client.start_execution(stateMachineArn=MACHINE, name="ask", input=json.dumps({"file": str(token_file)}))
    _wait_until(token_file.exists)
    _wait_until(lambda: client.describe_execution(executionArn=hold["executionArn"])["status"] == "RUNNING")
    # When the process is killed without warning and started again
    runtime.process.send_signal(signal.SIGKILL)
    runtime.process.wait()
    runtime = start_runtime(tmp_path / "state", log, **TEST_WORKFLOWS)
    client = runtime.sfn()
    try:
        # Then the Wait ends at its original deadline and the callback token still works
        _wait_until(lambda: client.describe_execution(executionArn=hold["executionArn"])["status"] == "SUCCEEDED")
        events = client.get_execution_history(executionArn=hold["executionArn"])["events"]
        entered = next(e["timestamp"] for e in events if e["type"] == "WaitStateEntered")
        exited = next(e["timestamp"] for e in events if e["type"] == "WaitStateExited")
        assert 3 <= (exited - entered).total_seconds() < 15
        client.send_task_success(taskToken=token_file.read_text(), output=json.dumps({"decision": "yes"}))
        _wait_until(lambda: client.describe_execution(executionArn=ask["executionArn"])["status"] == "SUCCEEDED")
    finally:
        stop_runtime(runtime)


def test_a_kill_in_the_middle_of_a_group_of_transitions_loses_nothing_anyone_saw(tmp_path: Path) -> None:
    # Given an execution running thousands of pure transitions, committed only when the run stops
    log = tmp_path / "runtime.log"
    runtime = start_runtime(tmp_path / "state", log)
    client = runtime.sfn()
    loop = {
        "QueryLanguage": "JSONata",
        "StartAt": "Loop",
        "States": {
            "Loop": {
                "Type": "Choice",
                "Choices": [{"Condition": "{% $states.input.n < 4000 %}", "Next": "Step"}],
                "Default": "Done",
            },
            "Step": {"Type": "Pass", "Output": {"n": "{% $states.input.n + 1 %}"}, "Next": "Loop"},
            "Done": {"Type": "Succeed"},
        },
    }
    machine = client.create_state_machine(
        name="long-loop", definition=json.dumps(loop), roleArn="arn:aws:iam::000000000000:role/local"
    )
    started = client.start_execution(stateMachineArn=machine["stateMachineArn"], input='{"n": 0}')
    arn = started["executionArn"]
    seen = client.get_execution_history(executionArn=arn, maxResults=1000)["events"]
    # When the process is killed while the group runs (what readers saw: the start alone)
    runtime.process.send_signal(signal.SIGKILL)
    runtime.process.wait()
    assert [event["type"] for event in seen] == ["ExecutionStarted"]
    runtime = start_runtime(tmp_path / "state", log)
    client = runtime.sfn()
    try:
        # Then recovery runs the group again from the start: one history, every transition once
        _wait_until(lambda: client.describe_execution(executionArn=arn)["status"] == "SUCCEEDED", timeout=60)
        assert json.loads(client.describe_execution(executionArn=arn)["output"]) == {"n": 4000}
        events = client.get_paginator("get_execution_history").paginate(executionArn=arn).build_full_result()["events"]
        assert [event["id"] for event in events] == list(range(1, len(events) + 1))
        assert sum(event["type"] == "PassStateEntered" for event in events) == 4000
        assert [event["type"] for event in events].count("ExecutionStarted") == 1
    finally:
        stop_runtime(runtime)
