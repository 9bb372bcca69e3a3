"""Task states: a Lambda invoke, with or without a task token, its timeouts and heartbeats.

``start`` records the attempt and gives the invocation to make; the engine makes it outside its locks
and hands the answer to ``returned``. A callback task's answer comes through ``callback_succeeded``
or ``callback_failed`` instead, and its timers through ``timed_out``.
"""

from __future__ import annotations

import secrets
from typing import Any

from local.sfn.arns import REGION
from local.sfn.asl import TaskState
from local.sfn.errors import StatesError
from local.sfn.functions import Invocation, InvokeResult
from local.sfn.functions import timed_out as function_timed_out
from local.sfn.outcomes import fail, finish_with_result
from local.sfn.runs import CALLBACK, SUBMITTING, TASK
from local.sfn.step import StateFailure, Step
from local.sfn.store import dumps
from local.sfn.timers import Timer

DEFAULT_TASK_TIMEOUT = 99_999_999  # a Task's TimeoutSeconds when it gives none
TOKEN_PREFIX = "AQ"  # noqa: S105 - a marker of our tokens, not a secret


def resource_details(step: Step) -> dict[str, str]:
    state = step.state
    assert isinstance(state, TaskState)
    return {"resourceType": "lambda", "resource": state.resource.split(":::lambda:")[1]}


def start(step: Step) -> Invocation | None:
    """A new attempt: TaskScheduled and TaskStarted, its deadlines, and the invocation to make."""
    state, run, execution = step.state, step.run, step.execution
    assert isinstance(state, TaskState)
    run.attempt += 1
    token = f"{TOKEN_PREFIX}{secrets.token_urlsafe(48)}" if state.is_callback else None
    try:
        arguments, timeout, heartbeat = step.language.task_request(step, token)
    except StatesError as error:
        fail(step, step.failed(error))
        return None
    reference = arguments["FunctionName"]
    details: dict[str, Any] = {**resource_details(step), "region": REGION, "parameters": dumps(arguments)}
    if timeout is not None:
        details["timeoutInSeconds"] = int(timeout)
    if heartbeat is not None:
        details["heartbeatInSeconds"] = int(heartbeat)
    step.emit("TaskScheduled", "taskScheduledEventDetails", details)
    step.emit("TaskStarted", "taskStartedEventDetails", resource_details(step))
    function = step.engine.functions.resolve(reference)
    now = step.now()
    task_due = now + (timeout or DEFAULT_TASK_TIMEOUT)
    function_due = now + function.timeout_seconds if function else None
    request_id = step.engine.request_id()
    run.task = {
        "function": reference,
        "timeout_due": task_due,
        "function_due": function_due,
        "heartbeat": heartbeat,
        "request_id": request_id,
    }
    run.phase = SUBMITTING if token else TASK
    run.due = min(task_due, function_due) if function_due else task_due
    if token:
        run.token = token
        execution.pending_tokens.append((token, run.id, run.attempt, True))
        if heartbeat:
            run.heartbeat_due = now + heartbeat
            step.engine.schedule(run.heartbeat_due, Timer("heartbeat", execution.arn, run.id, run.attempt))
    execution.touch(run)
    step.engine.schedule(run.due, Timer("task", execution.arn, run.id, run.attempt))
    return Invocation(function, reference, arguments.get("Payload", {}), request_id, run.attempt)


def returned(step: Step, result: InvokeResult) -> None:
    """The function answered: the task fails, waits for its callback, or succeeds with the answer."""
    run = step.run
    if result.failure is not None:
        failed = {**resource_details(step), "error": result.failure.error, "cause": result.failure.cause}
        previous = step.emit("TaskFailed", "taskFailedEventDetails", failed)
        step.execution.close_token(run)
        fail(step, StateFailure(result.failure.error, result.failure.cause, previous))
        return
    details = {**resource_details(step), "output": result.response_text, "outputDetails": {"truncated": False}}
    if run.phase == SUBMITTING:
        step.emit("TaskSubmitted", "taskSubmittedEventDetails", details)
        # the function returned: from now on only the state's TimeoutSeconds (and heartbeats) apply
        run.phase, run.due = CALLBACK, run.task["timeout_due"]  # type: ignore[index]
        step.execution.touch(run)
        step.engine.schedule(run.due, Timer("task", step.execution.arn, run.id, run.attempt))
    else:
        previous = step.emit("TaskSucceeded", "taskSucceededEventDetails", details)
        finish_with_result(step, result.response, previous)


def callback_succeeded(step: Step, output_text: str, result: Any) -> None:
    """SendTaskSuccess with this task's token."""
    details = {**resource_details(step), "output": output_text, "outputDetails": {"truncated": False}}
    previous = step.emit("TaskSucceeded", "taskSucceededEventDetails", details)
    step.execution.close_token(step.run)
    finish_with_result(step, result, previous)


def callback_failed(step: Step, error: str | None, cause: str | None) -> None:
    """SendTaskFailure with this task's token."""
    details = {key: value for key, value in (("error", error), ("cause", cause)) if value is not None}
    previous = step.emit("TaskFailed", "taskFailedEventDetails", {**resource_details(step), **details})
    step.execution.close_token(step.run)
    fail(step, StateFailure(error, cause, previous))


def timed_out(step: Step, heartbeat: bool) -> None:
    """The function ran past its own timeout (Sandbox.Timedout), or the state's TimeoutSeconds or
    HeartbeatSeconds passed (States.Timeout)."""
    run = step.run
    task = run.task or {}
    function_due = task.get("function_due")
    invoking = run.phase in (TASK, SUBMITTING)
    if not heartbeat and invoking and function_due is not None and function_due <= task["timeout_due"]:
        function = step.engine.functions.resolve(task["function"])
        failure = (
            function_timed_out(function, task.get("request_id", ""))
            if function
            else StatesError("Sandbox.Timedout", "")
        )
        details = {**resource_details(step), "error": failure.error, "cause": failure.cause}
        previous = step.emit("TaskFailed", "taskFailedEventDetails", details)
    else:
        failure = StatesError("States.Timeout", "")
        details = {**resource_details(step), "error": "States.Timeout", "cause": ""}
        previous = step.emit("TaskTimedOut", "taskTimedOutEventDetails", details)
    step.execution.close_token(run)
    fail(step, StateFailure(failure.error, failure.cause, previous))
