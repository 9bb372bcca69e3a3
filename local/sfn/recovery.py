"""Carrying on after a restart: an execution rebuilt from its stored record and runs, and what each
of its running runs was doing — to drive again from its last commit, or to wait for a timer."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from local.sfn.asl import Definition
from local.sfn.runs import CALLBACK, CHILDREN, ENTER, RETRYING, ROOT, RUNNING, SUBMITTING, TASK, WAITING, Execution, Run
from local.sfn.timers import Timer

_TIMER_OF_PHASE = {WAITING: "wait", RETRYING: "retry", CALLBACK: "task"}


def load(
    record: dict[str, Any], runs: dict[str, dict[str, Any]], definition: Callable[[str, str], Definition]
) -> Execution:
    """The execution as stored; ``definition`` parses (or finds) the definition it runs."""
    execution = Execution(
        arn=record["arn"],
        name=record["name"],
        state_machine_arn=record["state_machine_arn"],
        state_machine_name=record["state_machine_name"],
        role_arn=record["role_arn"],
        definition=definition(record["definition"], record["state_machine_name"]),
        input=json.loads(record["input"]),
        input_text=record["input"],
        start_date=record["start_date"],
        status=record["status"],
        stop_date=record["stop_date"],
        output_text=record["output"],
        error=record["error"],
        cause=record["cause"],
        redrive_count=record["redrive_count"],
        redrive_date=record["redrive_date"],
        deadline=record["deadline"],
        next_event_id=record["next_event_id"],
    )
    execution.runs = {run_id: Run.from_dict(data) for run_id, data in runs.items()}
    for run in execution.runs.values():
        if run.phase == CHILDREN:
            execution.count_children(run)
    return execution


def resume(execution: Execution) -> tuple[list[Run], list[tuple[float, Timer]]]:
    """The runs to drive again (a state to enter, a task to invoke again: at least once, as AWS does),
    and the timers to set again (Waits, back-offs and callbacks keep their deadlines)."""
    to_drive, timers = [], []
    if execution.deadline:
        timers.append((execution.deadline, Timer("execution", execution.arn, ROOT, 0)))
    for run in execution.runs.values():
        if run.status != RUNNING:
            continue
        if run.phase in (ENTER, TASK, SUBMITTING):
            to_drive.append(run)
        elif run.phase in _TIMER_OF_PHASE and run.due is not None:
            timers.append((run.due, Timer(_TIMER_OF_PHASE[run.phase], execution.arn, run.id, run.attempt)))
            if run.phase == CALLBACK and run.heartbeat_due:
                timers.append((run.heartbeat_due, Timer("heartbeat", execution.arn, run.id, run.attempt)))
    return to_drive, timers
