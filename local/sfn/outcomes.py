"""How a state ends: it leaves for the next state (or ends its run), or it fails and is retried,
caught, or fails its run."""

from __future__ import annotations

from typing import Any

from local.sfn import retry_catch
from local.sfn.asl import Catcher
from local.sfn.errors import StatesError
from local.sfn.functions import MAX_PAYLOAD_BYTES
from local.sfn.runs import ENTER, FAILED, RETRYING, SUCCEEDED, Run
from local.sfn.step import StateFailure, Step
from local.sfn.store import dumps
from local.sfn.timers import Timer


def leave(
    step: Step, next_state: str | None, output: Any, assigned: dict[str, Any], previous: int | None = None
) -> None:
    """The state's exit: its output and assigned variables recorded, then the next state or the run's end."""
    state, run = step.state, step.run
    output_text = dumps(output)
    if len(output_text.encode()) > MAX_PAYLOAD_BYTES:
        raise StateFailure(
            "States.DataLimitExceeded",
            f"The state/task '{state.name}' returned a result with a size exceeding the maximum number of bytes "
            "service limit.",
        )
    details: dict[str, Any] = {"name": state.name, "output": output_text, "outputDetails": {"truncated": False}}
    if assigned:
        details["assignedVariables"] = {name: dumps(item) for name, item in assigned.items()}
        details["assignedVariablesDetails"] = {"truncated": False}
    step.emit(f"{state.type}StateExited", "stateExitedEventDetails", details, previous=previous)
    run.variables.update(assigned)
    step.execution.touch(run)
    if next_state is None:
        finish_run(step, SUCCEEDED, output=output)
    else:
        run.state, run.phase = next_state, ENTER
        run.set_input(output, output_text)  # the next state's entry shows the same text


def leave_plain(step: Step, next_state: str | None) -> None:
    """Leave a state without a result of its own (Pass, Wait, a Choice's default, Succeed)."""
    leave(step, next_state, *step.language.leave_plain(step))


def finish_with_result(step: Step, result: Any, previous: int | None = None) -> None:
    """A Task, Parallel or Map state got its result: its output and variables from it, then move on."""
    try:
        leave(step, step.state.next, *step.language.leave_with_result(step, result), previous=previous)
    except StatesError as error:
        failure = step.failed(error)
        failure.previous = failure.previous or previous
        fail(step, failure)


def fail(step: Step, failure: StateFailure) -> None:
    """The state failed: retried after a back-off, caught, or its run fails."""
    state, run = step.state, step.run
    if len(run.retry_counts) < len(state.retry):
        run.retry_counts = [0] * len(state.retry)
    outcome = retry_catch.after_failure(
        state.retry, state.catch, run.retry_counts, failure.error, state.type, step.engine.rng
    )
    if isinstance(outcome, retry_catch.Retry):
        run.retry_counts[outcome.position] += 1
        run.retry_count += 1
        run.phase = RETRYING
        run.due = step.now() + outcome.delay
        run.token = None
        step.execution.touch(run)
        step.engine.schedule(run.due, Timer("retry", step.execution.arn, run.id, run.attempt))
    elif isinstance(outcome, retry_catch.Catch):
        _catch(step, outcome.catcher, failure)
    else:
        finish_run(step, FAILED, error=failure.error, cause=failure.cause)


def _catch(step: Step, catcher: Catcher, failure: StateFailure) -> None:
    error_output = {"Error": failure.error, "Cause": failure.cause}
    try:
        output, assigned = step.language.leave_caught(step, catcher, error_output)
        leave(step, catcher.next, output, assigned, previous=failure.previous)
    except StatesError as catcher_failure:  # the catcher's own fields failed: nothing else catches
        catcher_failure = step.failed(catcher_failure)
        finish_run(step, FAILED, error=catcher_failure.error, cause=catcher_failure.cause)


def finish_run(step: Step, status: str, output: Any = None, error: str | None = None, cause: str | None = None) -> None:
    """The run ends: a branch or iteration tells its parent, the top level ends the execution."""
    run: Run = step.run
    run.status, run.output, run.error, run.cause = status, output, error, cause
    step.execution.close_token(run)
    step.execution.touch(run)
    step.engine.run_finished(step.execution, run)
