"""Reading an execution's history: task tokens removed wherever they are, and each state's fate
(succeeded after retries, caught, failed, aborted, waiting for a callback, retrying)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from lambdas.shared.executions import timeline

DEFINITION = {
    "StartAt": "Work",
    "States": {
        "Work": {
            "Type": "Task",
            "Resource": "arn:aws:states:::lambda:invoke",
            "Next": "Wait",
            "Catch": [{"ErrorEquals": ["Nope"], "Next": "Done"}],
        },
        "Wait": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke.waitForTaskToken", "Next": "Done"},
        "Done": {"Type": "Succeed"},
    },
}
TOKEN = "AQ" + "x" * 64
AT = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)


def event(number: int, kind: str, **details: Any) -> dict[str, Any]:
    raw: dict[str, Any] = {"id": number, "type": kind, "timestamp": AT, "previousEventId": number - 1}
    if details:
        raw[f"{kind[0].lower()}{kind[1:]}EventDetails"] = details
    return raw


def run(*kinds: tuple[str, dict[str, Any]]) -> list[dict[str, Any]]:
    return [event(number, kind, **details) for number, (kind, details) in enumerate(kinds, start=1)]


ENTER_WORK = ("TaskStateEntered", {"name": "Work", "input": "{}"})
TRY = ("TaskScheduled", {"parameters": "{}"})
FAIL = ("TaskFailed", {"error": "DatabaseUnavailable", "cause": "down"})
EXIT_WORK = ("TaskStateExited", {"name": "Work", "output": "{}"})
ENTER_WAIT = ("TaskStateEntered", {"name": "Wait", "input": "{}"})
PARK = ("TaskScheduled", {"parameters": json.dumps({"Payload": {"order_id": "o-1", "token": TOKEN}})})


def fate(raw: list[dict[str, Any]], status: str) -> tuple[dict[str, tuple[str, int, int]], timeline.Position]:
    where = timeline.position(timeline.events(raw), DEFINITION, status)
    return {state.name: (state.status, state.retries, state.caught) for state in where.states}, where


def test_a_token_is_removed_under_its_key_and_wherever_else_it_appears() -> None:
    raw = run(ENTER_WAIT, PARK, ("TaskFailed", {"error": "X", "cause": f"token {TOKEN} is closed"}))
    assert timeline.task_tokens(raw) == {TOKEN}
    shown = timeline.events(raw)
    assert TOKEN not in json.dumps([each.model_dump(mode="json") for each in shown])
    assert shown[1].parameters == {"Payload": {"order_id": "o-1", "token": timeline.REMOVED}}
    assert shown[2].cause == f"token {timeline.REMOVED} is closed"
    assert timeline.redact({"TaskToken": "anything", "nested": [{"task_token": "x"}]}, set()) == {
        "TaskToken": timeline.REMOVED,
        "nested": [{"task_token": timeline.REMOVED}],
    }


def test_each_event_names_its_state() -> None:
    shown = timeline.events(run(ENTER_WORK, TRY, EXIT_WORK, ("ExecutionSucceeded", {"output": "{}"})))
    assert [each.state for each in shown] == ["Work", "Work", "Work", None]


def test_a_task_that_succeeded_after_retries_and_one_caught() -> None:
    states, _ = fate(run(ENTER_WORK, TRY, FAIL, TRY, FAIL, TRY, EXIT_WORK, ENTER_WAIT, PARK), "RUNNING")
    assert states["Work"] == ("succeeded", 2, 0)
    states, _ = fate(run(ENTER_WORK, TRY, ("TaskFailed", {"error": "Nope"}), EXIT_WORK), "SUCCEEDED")
    assert states["Work"] == ("caught", 0, 1)


def test_where_a_running_execution_waits() -> None:
    states, where = fate(run(ENTER_WORK, TRY, EXIT_WORK, ENTER_WAIT, PARK), "RUNNING")
    assert (where.state, where.waiting, states["Wait"][0], states["Done"][0]) == (
        "Wait",
        "callback",
        "waiting",
        "not_reached",
    )
    states, where = fate(run(ENTER_WORK, TRY, FAIL), "RUNNING")
    assert (where.state, where.waiting, where.error, states["Work"][0]) == (
        "Work",
        "retry",
        "DatabaseUnavailable",
        "retrying",
    )


def test_where_an_ended_one_stopped() -> None:
    states, where = fate(run(ENTER_WORK, TRY, FAIL, ("ExecutionFailed", {"error": "DatabaseUnavailable"})), "FAILED")
    assert (where.state, where.waiting, states["Work"][0]) == ("Work", None, "failed")
    states, where = fate(run(ENTER_WORK, TRY, EXIT_WORK, ENTER_WAIT, PARK, ("ExecutionAborted", {})), "ABORTED")
    assert (where.state, states["Wait"][0], states["Work"][0]) == ("Wait", "aborted", "succeeded")
