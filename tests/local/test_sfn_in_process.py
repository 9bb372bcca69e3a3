"""The engine as another project's tests use it: the ``local_sfn`` fixture, a boto3 client bound to
an in-process engine, functions given as callables or dotted paths — callbacks, the clock and
redrive through the client, as they would go against AWS."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from local.sfn.testing import ROLE

FAILING = {"on": True}


def greet(event: dict[str, Any], context: Any) -> dict[str, str]:
    return {"greeting": f"Hello, {event['name']}"}


def save(event: dict[str, Any], context: Any) -> dict[str, bool]:
    if FAILING["on"]:
        raise ConnectionError("the database is down")
    return {"saved": True}


def _task(function: str, **fields: Any) -> dict[str, Any]:
    return {
        "Type": "Task",
        "Resource": "arn:aws:states:::lambda:invoke",
        "Arguments": {"FunctionName": function, "Payload": "{% $states.input %}"},
        "Output": "{% $states.result.Payload %}",
        **fields,
    }


def test_a_machine_runs_its_tasks_waits_and_callbacks_through_boto3(local_sfn) -> None:
    # Given an engine with one function as a callable and one by dotted path
    sfn = local_sfn({"greet": greet, "echo": "tests.engine.handlers.echo"})
    definition = {
        "QueryLanguage": "JSONata",
        "StartAt": "Greet",
        "States": {
            "Greet": _task(sfn.function_arn("greet"), Next="Later"),
            "Later": {"Type": "Wait", "Seconds": 3600, "Next": "Ask"},
            "Ask": {
                "Type": "Task",
                "Resource": "arn:aws:states:::lambda:invoke.waitForTaskToken",
                "Arguments": {"FunctionName": "echo", "Payload": {"token": "{% $states.context.Task.Token %}"}},
                "End": True,
            },
        },
    }
    machine = sfn.client.create_state_machine(name="greeting", definition=json.dumps(definition), roleArn=ROLE)
    # When it starts, an hour goes by, and a person answers the callback
    run = sfn.client.start_execution(stateMachineArn=machine["stateMachineArn"], input='{"name": "Awa"}')
    sfn.settle()
    assert sfn.client.describe_execution(executionArn=run["executionArn"])["status"] == "RUNNING"
    sfn.advance(3600)
    events = sfn.client.get_execution_history(executionArn=run["executionArn"])["events"]
    submitted = next(event for event in events if event["type"] == "TaskSubmitted")
    token = json.loads(submitted["taskSubmittedEventDetails"]["output"])["Payload"]["token"]
    sfn.client.send_task_success(taskToken=token, output='{"answer": "yes"}')
    sfn.settle()
    # Then it succeeded with the answer, the greeting having gone through the callable
    described = sfn.client.describe_execution(executionArn=run["executionArn"])
    assert (described["status"], json.loads(described["output"])) == ("SUCCEEDED", {"answer": "yes"})
    greeted = next(event for event in events if event["type"] == "TaskSucceeded")
    assert "Hello, Awa" in greeted["taskSucceededEventDetails"]["output"]


def test_a_failed_execution_is_redriven_through_boto3(local_sfn) -> None:
    FAILING["on"] = True
    sfn = local_sfn({"save": save})
    definition = {"QueryLanguage": "JSONata", "StartAt": "Save", "States": {"Save": _task("save", End=True)}}
    machine = sfn.client.create_state_machine(name="saving", definition=json.dumps(definition), roleArn=ROLE)
    run = sfn.client.start_execution(stateMachineArn=machine["stateMachineArn"], input="{}")["executionArn"]
    sfn.settle()
    failed = sfn.client.describe_execution(executionArn=run)
    assert (failed["status"], failed["error"]) == ("FAILED", "ConnectionError")
    FAILING["on"] = False
    sfn.client.redrive_execution(executionArn=run)
    sfn.settle()
    redriven = sfn.client.describe_execution(executionArn=run)
    assert (redriven["status"], redriven["redriveCount"]) == ("SUCCEEDED", 1)


def test_the_apis_errors_reach_the_client_as_aws_sends_them(local_sfn) -> None:
    sfn = local_sfn()
    with pytest.raises(ClientError) as raised:
        sfn.client.describe_execution(executionArn="arn:aws:states:us-east-1:000000000000:execution:none:none")
    assert raised.value.response["Error"]["Code"] == "ExecutionDoesNotExist"
    queue_task = {"Type": "Task", "Resource": "arn:aws:states:::sqs:sendMessage", "End": True}
    definition = json.dumps({"StartAt": "A", "States": {"A": queue_task}})
    with pytest.raises(ClientError) as refused:
        sfn.client.create_state_machine(name="bad", definition=definition, roleArn=ROLE)
    assert refused.value.response["Error"]["Code"] == "InvalidDefinition"
    assert "Resource" in refused.value.response["Error"]["Message"]


def test_the_readmes_example_run_as_it_says_prints_what_it_shows(tmp_path: Path) -> None:
    # Given the example saved as hello.py in another project, as the README says
    repo = Path(__file__).resolve().parents[2]
    readme = (repo / "README.md").read_text(encoding="utf-8")
    after = readme.split("```python\nfrom local.sfn.testing import", 1)[1]
    example, after = after.split("```", 1)
    shown = after.split("```\n", 1)[1].split("```", 1)[0].strip()
    (tmp_path / "hello.py").write_text("from local.sfn.testing import" + example)
    # When it is run there with this checkout on the path
    environment = {**os.environ, "PYTHONPATH": str(repo)}
    done = subprocess.run(
        [sys.executable, "hello.py"], cwd=tmp_path, env=environment, capture_output=True, text=True, timeout=60
    )
    # Then it prints what the README shows, and nothing else
    assert (done.returncode, done.stdout.strip()) == (0, shown), done.stderr


WAIT_AN_HOUR = json.dumps({"QueryLanguage": "JSONata", "StartAt": "Later",
                           "States": {"Later": {"Type": "Wait", "Seconds": 3600, "End": True}}})  # fmt: skip


def test_an_engine_keeps_nothing_on_disk_unless_given_a_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from local.sfn.testing import local_stepfunctions

    scratch = tmp_path / "scratch"
    scratch.mkdir()
    monkeypatch.chdir(scratch)
    monkeypatch.setattr("tempfile.tempdir", str(scratch))
    with local_stepfunctions() as sfn:
        machine = sfn.client.create_state_machine(name="wait", definition=WAIT_AN_HOUR, roleArn=ROLE)
        sfn.client.start_execution(stateMachineArn=machine["stateMachineArn"], input="{}")
        sfn.settle()
        assert list(scratch.iterdir()) == []
    with local_stepfunctions() as fresh:
        assert fresh.client.list_state_machines()["stateMachines"] == []


def test_an_engine_started_again_on_its_directory_resumes_what_was_left_running(local_sfn, tmp_path: Path) -> None:
    # Given an execution half-way through an hour's Wait when its engine stops
    state_dir = tmp_path / "not yet made"
    first = local_sfn(state_dir=state_dir)
    machine = first.client.create_state_machine(name="wait", definition=WAIT_AN_HOUR, roleArn=ROLE)
    run = first.client.start_execution(stateMachineArn=machine["stateMachineArn"], input="{}")["executionArn"]
    first.advance(1800)
    first.engine.shutdown()
    # When another engine starts on the same directory
    second = local_sfn(state_dir=state_dir)
    # Then the execution is still waiting, and the half hour already gone counts
    assert second.client.describe_execution(executionArn=run)["status"] == "RUNNING"
    second.advance(1800)
    assert second.client.describe_execution(executionArn=run)["status"] == "SUCCEEDED"


def test_advancing_the_clock_right_after_a_start_waits_from_where_the_execution_waits(local_sfn) -> None:
    sfn = local_sfn()
    machine = sfn.client.create_state_machine(name="wait", definition=WAIT_AN_HOUR, roleArn=ROLE)
    run = sfn.client.start_execution(stateMachineArn=machine["stateMachineArn"], input="{}")["executionArn"]
    sfn.advance(3600)  # no settle() first: the Wait must not start after the hour has gone
    assert sfn.client.describe_execution(executionArn=run)["status"] == "SUCCEEDED"


def test_a_second_engine_on_a_directory_in_use_is_refused(tmp_path: Path) -> None:
    from local.sfn.store import StoreInUse
    from local.sfn.testing import local_stepfunctions

    with local_stepfunctions(state_dir=tmp_path) as first:
        with pytest.raises(StoreInUse, match="in use by another local Step Functions engine"):
            local_stepfunctions(state_dir=tmp_path).__enter__()
        first.engine.shutdown()  # as its process ending would, it lets the store go
        with local_stepfunctions(state_dir=tmp_path) as second:
            assert second.client.list_state_machines()["stateMachines"] == []


@pytest.mark.parametrize("seconds", [-1, float("inf"), float("nan"), "60"])
def test_the_clock_moves_forward_by_a_finite_number_of_seconds_only(local_sfn, seconds: object) -> None:
    sfn = local_sfn()
    before = sfn.clock.now()
    with pytest.raises(ValueError, match="finite number of seconds"):
        sfn.advance(seconds)
    assert sfn.clock.now() == before


HANGS_THEN_EXITS = """
import threading
from local.sfn.testing import ROLE, local_stepfunctions

started = threading.Event()

def hang(event, context):
    started.set()
    threading.Event().wait()  # stuck on a socket, a lock, input()...

definition = '{"QueryLanguage": "JSONata", "StartAt": "T", "States": {"T": {"Type": "Task", '
definition += '"Resource": "arn:aws:states:::lambda:invoke", "Arguments": {"FunctionName": "hang"}, "End": true}}}'
with local_stepfunctions({"hang": hang}) as sfn:
    machine = sfn.client.create_state_machine(name="m", definition=definition, roleArn=ROLE)
    sfn.client.start_execution(stateMachineArn=machine["stateMachineArn"])
    assert started.wait(10)
print("left the engine", flush=True)
"""


def test_a_handler_that_hangs_does_not_keep_the_process_from_ending(tmp_path: Path) -> None:
    import os
    import subprocess
    import sys

    script = tmp_path / "hangs.py"
    script.write_text(HANGS_THEN_EXITS)
    repository = Path(__file__).resolve().parents[2]
    done = subprocess.run(
        [sys.executable, str(script)], cwd=repository, env={**os.environ, "PYTHONPATH": str(repository)},
        capture_output=True, text=True, timeout=30, check=False,
    )  # fmt: skip
    assert (done.returncode, done.stdout) == (0, "left the engine\n"), done.stderr


def test_a_store_that_does_not_open_is_not_left_claimed(tmp_path: Path) -> None:
    import sqlite3

    from local.sfn.store import Store

    database = tmp_path / "stepfunctions.db"
    database.write_bytes(b"not a database, " * 512)
    with pytest.raises(sqlite3.DatabaseError):
        Store(database)
    database.write_bytes(b"")  # repaired in place (an empty file is a database): the same process may open it now
    Store(database).close()


def _machine(sfn, states: dict, **top: object) -> str:
    definition = {"QueryLanguage": "JSONata", "StartAt": next(iter(states)), "States": states, **top}
    return sfn.client.create_state_machine(name="timed", definition=json.dumps(definition), roleArn=ROLE)[
        "stateMachineArn"
    ]


def test_one_long_advance_fires_the_timers_in_the_order_they_fall_due(local_sfn) -> None:
    sfn = local_sfn({"echo": "tests.engine.handlers.echo"})
    # Two Waits of ten seconds under a 25-second execution timeout: done at 20, before the timeout
    waits = {"One": {"Type": "Wait", "Seconds": 10, "Next": "Two"}, "Two": {"Type": "Wait", "Seconds": 10, "End": True}}
    quick = sfn.client.start_execution(stateMachineArn=_machine(sfn, waits, TimeoutSeconds=25))["executionArn"]
    sfn.advance(100)
    assert sfn.client.describe_execution(executionArn=quick)["status"] == "SUCCEEDED"
    events = sfn.client.get_execution_history(executionArn=quick)["events"]
    started = events[0]["timestamp"]
    exits = [(event["timestamp"] - started).total_seconds() for event in events if event["type"] == "WaitStateExited"]
    assert exits == [10, 20]


def test_the_execution_timeout_comes_before_a_later_task_timeout(local_sfn) -> None:
    sfn = local_sfn({"echo": "tests.engine.handlers.echo"})
    callback = {
        "Type": "Task", "Resource": "arn:aws:states:::lambda:invoke.waitForTaskToken", "TimeoutSeconds": 100,
        "Arguments": {"FunctionName": "echo", "Payload": {"token": "{% $states.context.Task.Token %}"}}, "End": True,
    }  # fmt: skip
    run = sfn.client.start_execution(stateMachineArn=_machine(sfn, {"Ask": callback}, TimeoutSeconds=50))
    sfn.advance(101)
    described = sfn.client.describe_execution(executionArn=run["executionArn"])
    assert (described["status"], described["error"]) == ("TIMED_OUT", "States.Timeout")
