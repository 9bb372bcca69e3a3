"""Redrive (https://docs.aws.amazon.com/step-functions/latest/dg/redrive-executions.html, API_RedriveExecution).

A redriven execution restarts at the state that did not succeed, with the input and variables it
had; states that succeeded are not run again, and Map/Parallel re-run only what failed.
"""

import threading
import time
from typing import Any

import pytest

from local.sfn.engine import REDRIVE_WINDOW_SECONDS
from local.sfn.errors import ServiceError
from tests.engine import handlers
from tests.engine.conftest import Sfn, task


def _calls(name: str) -> list[dict]:
    return [event for called, event in handlers.SWITCHES["calls"] if called == name]


def _redrive(sfn: Sfn, arn: str) -> None:
    sfn.service.RedriveExecution({"executionArn": arn})
    sfn.settle()


def test_redrive_restarts_at_the_failed_task_and_runs_only_what_follows(sfn: Sfn) -> None:
    states = {
        "Prepare": {"Type": "Pass", "Assign": {"site": "SD"}, "Output": {"id": "c-1"}, "Next": "Save"},
        "Save": task("flaky", Next="Finish"),
        "Finish": {
            "Type": "Pass",
            "Output": {
                "saved": "{% $states.input %}",
                "site": "{% $site %}",
                "redrives": "{% $states.context.Execution.RedriveCount %}",
            },
            "End": True,
        },
    }
    arn = sfn.start(sfn.machine(states), {"client": "c-1"}, name="client-c-1")
    sfn.settle()
    failed = sfn.result(arn)
    assert (failed.status, failed.error) == ("FAILED", "DatabaseUnavailable")
    assert sfn.service.DescribeExecution({"executionArn": arn})["redriveStatus"] == "REDRIVABLE"
    # When the database is back and ops redrive
    handlers.SWITCHES["flaky_fails"] = False
    _redrive(sfn, arn)
    result = sfn.result(arn)
    # Then the same execution succeeds; Prepare ran once, Save twice, with the same input
    assert result.arn == arn
    assert result.status == "SUCCEEDED"
    assert result.output == {"saved": {"done": True, "id": "c-1"}, "site": "SD", "redrives": 1}
    assert result.entered() == ["Prepare", "Save", "Save", "Finish"]
    assert _calls("flaky") == [{"id": "c-1"}, {"id": "c-1"}]
    types = result.types()
    failed_at = types.index("ExecutionFailed")
    assert types[failed_at + 1 : failed_at + 3] == ["ExecutionRedriven", "TaskStateEntered"]
    redriven = result.events("ExecutionRedriven")[0]
    assert result.details(redriven) == {"redriveCount": 1}
    assert [event["id"] for event in result.history] == list(range(1, len(types) + 1))  # history appended
    described = sfn.service.DescribeExecution({"executionArn": arn})
    assert described["redriveCount"] == 1
    assert "redriveDate" in described


def test_only_failed_map_iterations_run_again(sfn: Sfn) -> None:
    items = [{"id": i, "fail": i in (1, 3)} for i in range(4)]
    states = {
        "Each": {
            "Type": "Map",
            "ItemProcessor": {"StartAt": "Save", "States": {"Save": task("flaky-item")}},
            "ToleratedFailureCount": 0,
            "End": True,
        }
    }
    arn = sfn.start(sfn.machine(states), items)
    sfn.settle()
    assert sfn.result(arn).status == "FAILED"
    handlers.SWITCHES["flaky_fails"] = False
    handlers.SWITCHES["calls"] = []
    _redrive(sfn, arn)
    result = sfn.result(arn)
    assert result.status == "SUCCEEDED"
    assert result.output == [{"saved": 0}, {"saved": 1}, {"saved": 2}, {"saved": 3}]
    rerun = sorted(event["id"] for event in _calls("flaky_item"))
    # iterations aborted by the failure count as not succeeded: only 0 and 2 may be kept
    assert {1, 3} <= set(rerun)
    kept = {0, 2} - set(rerun)
    succeeded_before = {
        result.details(event)["index"]
        for event in result.history[: result.types().index("ExecutionRedriven")]
        if event["type"] == "MapIterationSucceeded"
    }
    assert kept == succeeded_before


def test_only_the_failed_parallel_branch_runs_again(sfn: Sfn) -> None:
    branches = [
        {"StartAt": "Fine", "States": {"Fine": task("echo")}},
        # the second branch fails only once the first has succeeded (a failure aborts running siblings)
        {
            "StartAt": "Later",
            "States": {"Later": {"Type": "Wait", "Seconds": 5, "Next": "Save"}, "Save": task("flaky")},
        },
    ]
    arn = sfn.start(sfn.machine({"Both": {"Type": "Parallel", "Branches": branches, "End": True}}), {"id": "o-1"})
    sfn.settle()
    sfn.advance(5)
    assert sfn.result(arn).status == "FAILED"
    assert len(_calls("echo")) == 1
    handlers.SWITCHES["flaky_fails"] = False
    _redrive(sfn, arn)
    result = sfn.result(arn)
    assert result.status == "SUCCEEDED"
    assert result.output == [{"id": "o-1"}, {"done": True, "id": "o-1"}]
    assert len(_calls("echo")) == 1  # the branch that succeeded did not run again
    assert result.entered().count("Later") == 1  # the failed branch resumed at its failed state


def test_an_aborted_execution_is_redriven_from_where_it_stopped(sfn: Sfn) -> None:
    states = {"First": {"Type": "Pass", "Next": "Hold"}, "Hold": {"Type": "Wait", "Seconds": 60, "End": True}}
    arn = sfn.start(sfn.machine(states))
    sfn.settle()
    sfn.service.StopExecution({"executionArn": arn})
    _redrive(sfn, arn)
    assert sfn.result(arn).status == "RUNNING"
    sfn.advance(60)
    result = sfn.result(arn)
    assert result.status == "SUCCEEDED"
    assert result.entered() == ["First", "Hold", "Hold"]


@pytest.mark.parametrize("finish", ["succeeded", "running"])
def test_succeeded_and_running_executions_are_not_redrivable(sfn: Sfn, finish: str) -> None:
    states = {"Hold": {"Type": "Wait", "Seconds": 60, "End": True}}
    arn = sfn.start(sfn.machine(states))
    sfn.settle()
    if finish == "succeeded":
        sfn.advance(60)
    with pytest.raises(ServiceError) as raised:
        sfn.service.RedriveExecution({"executionArn": arn})
    assert raised.value.code == "ExecutionNotRedrivable"
    assert f"Execution is {finish.upper()} and cannot be redriven" in raised.value.message


def test_redrive_is_refused_fourteen_days_after_the_failure(sfn: Sfn) -> None:
    arn = sfn.start(sfn.machine({"Save": task("flaky")}))
    sfn.settle()
    sfn.advance(REDRIVE_WINDOW_SECONDS + 1)
    described = sfn.service.DescribeExecution({"executionArn": arn})
    assert (described["redriveStatus"], described["redriveStatusReason"]) == (
        "NOT_REDRIVABLE",
        "Execution redrivable period exceeded",
    )
    with pytest.raises(ServiceError, match="period exceeded"):
        sfn.service.RedriveExecution({"executionArn": arn})


def test_list_executions_filters_redriven_ones(sfn: Sfn) -> None:
    machine = sfn.machine({"Save": task("flaky")})
    redriven, untouched = sfn.start(machine, {"a": 1}), sfn.start(machine, {"a": 2})
    sfn.settle()
    handlers.SWITCHES["flaky_fails"] = False
    _redrive(sfn, redriven)
    found = sfn.service.ListExecutions({"stateMachineArn": machine, "redriveFilter": "REDRIVEN"})["executions"]
    assert [item["executionArn"] for item in found] == [redriven]
    others = sfn.service.ListExecutions({"stateMachineArn": machine, "redriveFilter": "NOT_REDRIVEN"})["executions"]
    assert [item["executionArn"] for item in others] == [untouched]


def test_the_stopped_attempts_late_answer_leaves_the_redriven_execution_running_on(
    sfn: Sfn, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given an execution stopped while its function ran, then redriven
    monkeypatch.setitem(handlers.SWITCHES, "calls", [])
    monkeypatch.setitem(handlers.SWITCHES, "gate", threading.Event())
    states = {"Work": task("first-hangs", Next="Later"), "Later": {"Type": "Wait", "Seconds": 10, "End": True}}
    arn = sfn.start(sfn.machine(states), {})
    sfn.wait_for_event(arn, "TaskStarted")
    sfn.service.StopExecution({"executionArn": arn})
    sfn.service.RedriveExecution({"executionArn": arn})
    sfn.wait_for_event(arn, "WaitStateEntered")
    # When the first attempt's function answers at last
    handlers.SWITCHES["gate"].set()
    time.sleep(0.2)
    # Then the redriven execution still waits, and ends when its Wait does
    sfn.advance(11)
    assert sfn.result(arn).status == "SUCCEEDED"


def _at_once(call, *requests: dict) -> list:
    """Each request on its own thread, released together: the answers, or the error codes."""
    barrier = threading.Barrier(len(requests))
    answers: list[Any] = [None] * len(requests)

    def send(index: int) -> None:
        barrier.wait()
        try:
            answers[index] = call(requests[index])
        except ServiceError as error:
            answers[index] = error.code

    threads = [threading.Thread(target=send, args=(index,)) for index in range(len(requests))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    return answers


@pytest.mark.parametrize("same_token", [False, True], ids=["no client token", "one client token"])
def test_two_redrives_at_once_run_the_execution_again_once(sfn: Sfn, same_token: bool) -> None:
    # Given failed executions (many: the two calls must meet in every order)
    machine = sfn.machine({"Save": task("flaky")})
    runs = [sfn.start(machine, {"n": n}) for n in range(20)]
    sfn.settle()
    handlers.SWITCHES["flaky_fails"] = False
    for arn in runs:
        # When two operators redrive one at the same moment
        request = {"executionArn": arn, **({"clientToken": "ops-1"} if same_token else {})}
        answers = _at_once(sfn.service.RedriveExecution, request, dict(request))
        sfn.settle()
        # Then it runs again once: one redrive, or the same answer twice under one token
        if same_token:
            assert answers[0] == answers[1]
            assert "redriveDate" in answers[0]
        else:
            assert sum(isinstance(answer, dict) for answer in answers) == 1
            assert "ExecutionNotRedrivable" in answers
        result = sfn.result(arn)
        assert (result.status, result.types().count("ExecutionRedriven")) == ("SUCCEEDED", 1)
