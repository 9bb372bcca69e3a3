"""Parallel and Map states: a run per branch or iteration, started up to MaxConcurrency at a time,
ended by the last to finish or the first failure past tolerance.

A child's end costs the same whatever the number of its siblings: the parent keeps a tally of its
children (``runs.Tally``) rather than looking them over.
"""

from __future__ import annotations

from typing import Any

from local.sfn.asl import MapState, ParallelState
from local.sfn.errors import StatesError
from local.sfn.outcomes import fail, finish_with_result
from local.sfn.runs import CHILDREN, ENTER, FAILED, PENDING, RUNNING, SUCCEEDED, Run
from local.sfn.step import StateFailure, Step

MAX_INLINE_MAP_CONCURRENCY = 40  # MaxConcurrency 0 means "no limit", which inline Map caps at 40


def start(step: Step) -> None:
    """Create every branch or iteration run at once; those past MaxConcurrency wait as PENDING."""
    state, run, execution = step.state, step.run, step.execution
    run.attempt += 1
    if isinstance(state, ParallelState):
        inputs = [step.language.branch_input(step)] * len(state.branches)
        run.concurrency = len(inputs)
        step.emit("ParallelStateStarted")
    else:
        items = step.language.map_items(step)
        concurrency, run.tolerated_count, run.tolerated_percentage = step.language.map_limits(step)
        run.concurrency = int(concurrency or 0) or MAX_INLINE_MAP_CONCURRENCY
        inputs = [step.language.iteration_input(step, index, item) for index, item in enumerate(items)]
        step.emit("MapStateStarted", "mapStateStartedEventDetails", {"length": len(items)})
    run.phase, run.child_count = CHILDREN, len(inputs)
    run.tally.running = run.tally.succeeded = run.tally.failed = run.tally.next_pending = 0
    for index, (child_id, data) in enumerate(zip(run.child_ids(), inputs, strict=True)):
        branch = index if isinstance(state, ParallelState) else -1
        child = Run(
            id=child_id,
            state=state.graphs()[max(branch, 0)].start_at,
            input=data,
            parent=run.id,
            graph=[*run.graph, [state.name, branch]],
            index=index,
            status=PENDING,
        )
        execution.runs[child.id] = child
        execution.touch(child)
    execution.touch(run)
    if isinstance(state, MapState) and not inputs:
        previous = step.emit("MapStateSucceeded")
        finish_with_result(step, [], previous)
        return
    launch(step)


def retry(step: Step) -> None:
    """A retry starts every branch or iteration again, without re-entering the state."""
    run, execution = step.run, step.execution
    for child_id in run.child_ids():
        execution.runs.pop(child_id, None)
        execution.deleted_runs.append(child_id)
    run.child_count = 0
    run.phase = CHILDREN
    try:
        start(step)
    except StatesError as error:
        fail(step, step.failed(error))


def launch(step: Step) -> None:
    """Start pending branches or iterations, in order, while fewer than MaxConcurrency run."""
    parent, execution = step.run, step.execution
    child_ids = parent.child_ids()
    while parent.tally.running < parent.concurrency and parent.tally.next_pending < len(child_ids):
        child = execution.runs[child_ids[parent.tally.next_pending]]
        parent.tally.next_pending += 1
        if child.status != PENDING:
            continue
        if isinstance(step.state, MapState):
            step.emit(
                "MapIterationStarted",
                "mapIterationStartedEventDetails",
                {"name": step.state.name, "index": child.index},
            )
        if child.redrive:  # a failed branch or iteration of a redriven execution: resume it
            child.redrive = False
            step.engine.redrive_run(execution, child)
        else:
            child.status, child.phase, child.last_event_id = RUNNING, ENTER, parent.last_event_id
            execution.touch(child)
            execution.ready.append(child)
        parent.tally.running += 1


def child_finished(step: Step, child: Run) -> None:
    """A branch or iteration ended (``step`` is its parent's): go on, or end the state."""
    parent, execution, state = step.run, step.execution, step.state
    if parent.status != RUNNING or parent.phase != CHILDREN:
        return
    parent.tally.running -= 1
    if child.status == SUCCEEDED:
        parent.tally.succeeded += 1
    else:
        parent.tally.failed += 1
    if isinstance(state, ParallelState):
        if child.status == FAILED:
            abort_children(step)
            previous = step.emit("ParallelStateFailed", previous=child.last_event_id)
            fail(step, StateFailure(child.error, child.cause, previous))
        elif parent.tally.succeeded == parent.child_count:
            previous = step.emit("ParallelStateSucceeded", previous=child.last_event_id)
            finish_with_result(step, [each.output for each in execution.children(parent)], previous)
        else:
            return
        execution.ready.append(parent)
        return
    succeeded = child.status == SUCCEEDED
    step.emit(
        "MapIterationSucceeded" if succeeded else "MapIterationFailed",
        "mapIterationSucceededEventDetails" if succeeded else "mapIterationFailedEventDetails",
        {"name": state.name, "index": child.index},
        previous=child.last_event_id,
    )
    if parent.tally.failed and _over_tolerance(parent):
        abort_children(step)
        previous = step.emit("MapStateFailed", previous=child.last_event_id)
        tolerant = parent.tolerated_count is not None or parent.tolerated_percentage is not None
        failure = (
            StateFailure(
                "States.ExceedToleratedFailureThreshold", "The specified tolerated failure threshold was exceeded",
                previous,
            )
            if tolerant
            else StateFailure(child.error, child.cause, previous)
        )  # fmt: skip
        fail(step, failure)
        execution.ready.append(parent)
        return
    launch(step)
    if parent.tally.succeeded + parent.tally.failed == parent.child_count:
        previous = step.emit("MapStateSucceeded")
        finish_with_result(step, [_iteration_result(each) for each in execution.children(parent)], previous)
        execution.ready.append(parent)
    execution.touch(parent)


def _iteration_result(child: Run) -> Any:
    return child.output if child.status == SUCCEEDED else {"Error": child.error, "Cause": child.cause}


def _over_tolerance(run: Run) -> bool:
    failures = run.tally.failed
    if run.tolerated_count is None and run.tolerated_percentage is None:
        return failures > 0
    over_count = run.tolerated_count is not None and failures > run.tolerated_count
    share = failures * 100 / max(run.child_count, 1)
    over_share = run.tolerated_percentage is not None and share > run.tolerated_percentage
    return over_count or over_share


def abort_children(step: Step) -> None:
    """Stop the running siblings of a failed branch or iteration; pending ones never start."""
    for child in step.execution.children(step.run):
        if child.status == RUNNING:
            step.engine.abort_run(step.execution, child)
            if isinstance(step.state, MapState):
                step.emit(
                    "MapIterationAborted", "mapIterationAbortedEventDetails",
                    {"name": step.state.name, "index": child.index},
                )  # fmt: skip
