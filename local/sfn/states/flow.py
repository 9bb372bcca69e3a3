"""The states that only steer the data: Pass, Succeed, Fail, Choice and Wait."""

from __future__ import annotations

from local.sfn.asl import ChoiceState
from local.sfn.outcomes import finish_run, leave, leave_plain
from local.sfn.runs import FAILED, WAITING
from local.sfn.step import StateFailure, Step
from local.sfn.timers import Timer

MAX_EXECUTION_SECONDS = 365 * 24 * 3600


def pass_(step: Step) -> None:
    leave_plain(step, step.state.next)


def succeed(step: Step) -> None:
    leave_plain(step, None)


def fail(step: Step) -> None:
    error, cause = step.language.failure(step)
    finish_run(step, FAILED, error=error, cause=cause)


def choose(step: Step) -> None:
    state = step.state
    assert isinstance(state, ChoiceState)
    chosen = step.language.choose(step)
    if chosen is not None:
        leave(step, *chosen)
    elif state.default is None:
        raise StateFailure("States.NoChoiceMatched", f"No Choice Rule matched in state '{state.name}'")
    else:
        leave_plain(step, state.default)


def wait(step: Step) -> None:
    """The Wait starts: a timer for its end (``wait_ended``)."""
    due = step.language.wait_until(step)
    if due - step.execution.start_date > MAX_EXECUTION_SECONDS:
        raise StateFailure(
            "States.Runtime",
            f"An error occurred while executing the state '{step.state.name}'. Wait state delay is too long.",
        )
    run = step.run
    run.phase, run.due = WAITING, due
    step.execution.touch(run)
    step.engine.schedule(due, Timer("wait", step.execution.arn, run.id, run.attempt))


def wait_ended(step: Step) -> None:
    leave_plain(step, step.state.next)
