"""The interpreter: runs JSONata ASL executions as AWS Step Functions (Standard) does.

Each execution is a tree of runs (top level, Parallel branches, Map iterations). Worker threads move
runs from state to state; every transition is committed to the store before the next one starts.
Timers (Wait, retry back-off, task and heartbeat timeouts, the execution's own timeout) live in one
heap served by a timer thread, on a clock tests can drive by hand. What it runs and
refuses is listed in ``local/sfn/README.md``.
"""

from __future__ import annotations

import heapq
import itertools
import json
import random
import secrets
import sys
import threading
import traceback
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from local.lambda_context import ACCOUNT, REGION
from local.sfn import asl, jsonpath_states, retry_catch
from local.sfn.asl import Catcher, Definition, State
from local.sfn.clock import SystemClock, iso
from local.sfn.errors import ServiceError, StatesError
from local.sfn.expressions import QUERY_EVALUATION_ERROR, Bindings, QueryEvaluationFailed, Template
from local.sfn.functions import MAX_PAYLOAD_BYTES, FunctionRegistry, Invocation, InvokeResult, invoke, timed_out
from local.sfn.paths import Path, Scope
from local.sfn.runs import (
    ABORTED,
    CALLBACK,
    CHILDREN,
    ENTER,
    FAILED,
    PENDING,
    RETRYING,
    ROOT,
    RUNNING,
    SUBMITTING,
    SUCCEEDED,
    TASK,
    TIMED_OUT,
    WAITING,
    Execution,
    Run,
)
from local.sfn.store import Changes, Store, dumps, loads

MAX_INLINE_MAP_CONCURRENCY = 40  # §7 Map: MaxConcurrency 0 means "no limit", which inline Map caps at 40
DEFAULT_TASK_TIMEOUT = 99_999_999  # §7 Task
HISTORY_EVENT_LIMIT = 25_000  # §1 quotas
MAX_EXECUTION_SECONDS = 365 * 24 * 3600
MAX_PATH_NUMBER = 2**53  # a number a …Path field gives is a JSON double: past this it is no whole number
REDRIVE_WINDOW_SECONDS = 14 * 24 * 3600  # §17
TOKEN_PREFIX = "AQ"  # noqa: S105 - a marker of our tokens, not a secret
EXECUTION_FAILURE_KINDS = {FAILED: "ExecutionFailed", TIMED_OUT: "ExecutionTimedOut", ABORTED: "ExecutionAborted"}


def state_machine_arn(name: str) -> str:
    return f"arn:aws:states:{REGION}:{ACCOUNT}:stateMachine:{name}"


def execution_arn(machine_name: str, name: str) -> str:
    return f"arn:aws:states:{REGION}:{ACCOUNT}:execution:{machine_name}:{name}"


@dataclass(frozen=True)
class _Timer:
    kind: str  # wait | retry | task | heartbeat | execution
    arn: str
    run_id: str
    attempt: int


class StateFailure(StatesError):
    """A state failed; ``previous`` is the event the failure follows in the history."""

    def __init__(self, error: str | None, cause: str | None, previous: int | None = None) -> None:
        super().__init__(error, cause)
        self.previous = previous


class Engine:
    def __init__(
        self,
        store: Store,
        functions: FunctionRegistry,
        clock: Any = None,
        workers: int = 48,
        rng: random.Random | None = None,
    ) -> None:
        self.store = store
        self.functions = functions
        self.clock = clock or SystemClock()
        self._rng = rng or random.Random()  # retry jitter
        self._ids = random.Random()  # request ids: any unique value will do, and it needs no system call
        self._active: dict[str, Execution] = {}
        self._definitions: dict[str, Definition] = {}
        self._starting = threading.Lock()  # two starts of one name: the second finds the first
        self._lock = threading.Lock()  # guards _active, the timer heap and the job count
        self._timer_wakeup = threading.Condition(self._lock)  # the timer thread sleeps on it
        self._progress = threading.Condition(self._lock)  # waiters for idleness or an execution's end
        self._timers: list[tuple[float, int, _Timer]] = []
        self._sequence = itertools.count()
        self._outstanding = 0
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="sfn-worker")
        self._running = False
        self._closed = False  # after shutdown nothing more is written, as after the process ends
        self._timer_thread: threading.Thread | None = None
        self.clock.on_change(self._wake_timers)

    # --- lifecycle ------------------------------------------------------------------------------------

    def start(self) -> None:
        """Resume what was running before, then serve timers."""
        self._running = True
        self._timer_thread = threading.Thread(target=self._serve_timers, name="sfn-timers", daemon=True)
        self._timer_thread.start()
        self._recover()

    def shutdown(self) -> None:
        with self._lock:
            self._running = False
            self._closed = True
            self._timer_wakeup.notify_all()
        self._pool.shutdown(wait=False, cancel_futures=True)

    def wait_idle(self, timeout: float = 30.0) -> bool:
        """Block until no work is queued or running and no timer is due (tests, benchmarks)."""
        with self._lock:
            return self._progress.wait_for(lambda: self._outstanding == 0 and not self._timer_due(), timeout)

    def wait_for(self, arn: str, timeout: float = 30.0) -> str:
        """Block until the execution is no longer running, or the engine is idle; its status."""
        with self._lock:
            self._progress.wait_for(
                lambda: arn not in self._active or (self._outstanding == 0 and not self._timer_due()), timeout
            )
        record = self.store.execution(arn)
        return record["status"] if record else "UNKNOWN"

    # --- state machines -------------------------------------------------------------------------------

    def definition(self, text: str, source: str) -> Definition:
        """The parsed definition of ``text``, parsed once."""
        cached = self._definitions.get(text)
        if cached is None:
            cached = asl.parse_definition(text, source)
            self._definitions[text] = cached
        return cached

    # --- executions -----------------------------------------------------------------------------------

    def start_execution(self, machine: dict[str, Any], name: str, input_text: str) -> tuple[str, float]:
        with self._starting:
            return self._start_execution(machine, name, input_text)

    def _start_execution(self, machine: dict[str, Any], name: str, input_text: str) -> tuple[str, float]:
        arn = execution_arn(machine["name"], name)
        existing = self.store.execution(arn)
        if existing is not None:
            # §16: same name and input while still running → the original response
            if existing["status"] == RUNNING and existing["input"] == input_text:
                return arn, existing["start_date"]
            raise ServiceError("ExecutionAlreadyExists", f"Execution Already Exists: '{arn}'")
        definition = self.definition(machine["definition"], machine["name"])
        now = self.clock.now()
        execution = Execution(
            arn=arn,
            name=name,
            state_machine_arn=machine["arn"],
            state_machine_name=machine["name"],
            role_arn=machine["role_arn"],
            definition=definition,
            input=json.loads(input_text),
            input_text=input_text,
            start_date=now,
            deadline=now + definition.timeout_seconds if definition.timeout_seconds else None,
        )
        root = Run(id=ROOT, state=definition.graph.start_at, input=execution.input)
        execution.runs[ROOT] = root
        with execution.lock:
            self._emit(
                execution,
                None,
                "ExecutionStarted",
                "executionStartedEventDetails",
                {"input": input_text, "inputDetails": {"truncated": False}, "roleArn": execution.role_arn},
                previous=0,
            )
            execution.touch(root)
            self._commit(execution, definition=definition.text)
            with self._lock:
                self._active[arn] = execution
            if execution.deadline:
                self._schedule(execution.deadline, _Timer("execution", arn, ROOT, 0))
            self._submit(self._drive, execution, root)
        return arn, now

    def stop_execution(self, arn: str, error: str | None, cause: str | None) -> float:
        execution = self._active.get(arn)
        if execution is None:
            record = self.store.execution(arn)
            if record is None:
                raise ServiceError("ExecutionDoesNotExist", f"Execution Does Not Exist: '{arn}'")
            return record["stop_date"] or record["start_date"]
        with execution.lock:
            if execution.status == RUNNING:
                details = {key: value for key, value in (("error", error), ("cause", cause)) if value is not None}
                self._close_execution(execution, ABORTED, error=error, cause=cause, details=details)
            return execution.stop_date or self.clock.now()

    def redrive_execution(self, arn: str) -> float:
        record = self.store.execution(arn)
        if record is None:
            raise ServiceError("ExecutionDoesNotExist", f"Execution Does Not Exist: '{arn}'")
        status = record["status"]
        if status not in (FAILED, TIMED_OUT, ABORTED) or arn in self._active:
            raise ServiceError("ExecutionNotRedrivable", f"Execution is {status} and cannot be redriven")
        now = self.clock.now()
        if now - (record["stop_date"] or now) > REDRIVE_WINDOW_SECONDS:
            raise ServiceError("ExecutionNotRedrivable", "Execution redrivable period exceeded")
        if record["next_event_id"] >= HISTORY_EVENT_LIMIT - 1:
            raise ServiceError("ExecutionNotRedrivable", "Execution history event limit exceeded")
        execution = self._load(record, self.store.runs(arn))
        with execution.lock:
            execution.status, execution.record_dirty = RUNNING, True
            execution.redrive_count += 1
            execution.redrive_date = now
            execution.stop_date = execution.error = execution.cause = None
            if execution.definition.timeout_seconds:
                execution.deadline = now + execution.definition.timeout_seconds
            root = execution.runs[ROOT]
            self._emit(
                execution, root, "ExecutionRedriven", "executionRedrivenEventDetails",
                {"redriveCount": execution.redrive_count},
            )  # fmt: skip
            with self._lock:
                self._active[arn] = execution
            self._redrive_run(execution, root)
            self._submit_invocations(execution, self._commit(execution))
            if execution.deadline:
                self._schedule(execution.deadline, _Timer("execution", arn, ROOT, 0))
        return now

    def _redrive_run(self, execution: Execution, run: Run) -> None:
        """§17: restart the state that did not succeed; Map/Parallel re-run only what failed."""
        run.status, run.error, run.cause = RUNNING, None, None
        execution.touch(run)
        state = execution.state_of(run)
        failed = [child for child in execution.children(run) if child.status in (FAILED, ABORTED)]
        if run.phase == CHILDREN and state.type in ("Parallel", "Map") and failed:
            for child in failed:
                child.status, child.redrive = PENDING, True
                execution.touch(child)
            execution.count_children(run)
            self._launch_children(execution, run, state)
        else:  # the state itself failed (its children, if any, all succeeded): it starts again
            run.phase = ENTER
            run.reset_state_fields()
            self._submit_after_commit(execution, run)

    # --- callbacks (§14) ------------------------------------------------------------------------------

    def send_task_success(self, token: str, output_text: str) -> None:
        execution, run = self._open_token(token)
        try:
            result = loads(output_text)
        except ValueError as error:
            raise ServiceError("InvalidOutput", f"Invalid Output: {error}") from error
        with execution.lock:
            execution, run = self._open_token(token)
            state = execution.state_of(run)
            previous = self._emit(
                execution,
                run,
                "TaskSucceeded",
                "taskSucceededEventDetails",
                {**self._resource_details(state), "output": output_text, "outputDetails": {"truncated": False}},
            )
            self._close_token(execution, run)
            self._finish_state_with_result(execution, run, state, result, previous)
            self._submit_invocations(execution, self._commit(execution))
            self._submit(self._drive, execution, run)

    def send_task_failure(self, token: str, error: str | None, cause: str | None) -> None:
        with self._open_token(token)[0].lock:
            execution, run = self._open_token(token)
            state = execution.state_of(run)
            details = {key: value for key, value in (("error", error), ("cause", cause)) if value is not None}
            previous = self._emit(
                execution, run, "TaskFailed", "taskFailedEventDetails", {**self._resource_details(state), **details}
            )
            self._close_token(execution, run)
            self._handle_failure(execution, run, state, StateFailure(error, cause, previous))
            self._submit_invocations(execution, self._commit(execution))
            self._submit(self._drive, execution, run)

    def send_task_heartbeat(self, token: str) -> None:
        with self._open_token(token)[0].lock:
            execution, run = self._open_token(token)
            heartbeat = (run.task or {}).get("heartbeat")
            if heartbeat:
                run.heartbeat_due = self.clock.now() + heartbeat
                execution.touch(run)
                self._commit(execution)
                self._schedule(run.heartbeat_due, _Timer("heartbeat", execution.arn, run.id, run.attempt))

    def _open_token(self, token: str) -> tuple[Execution, Run]:
        if not token.startswith(TOKEN_PREFIX) or not 1 <= len(token) <= 2048:
            raise ServiceError("InvalidToken", "Invalid Token: the task token is not one Step Functions issued")
        found = self.store.token(token)
        if found is None:
            raise ServiceError("TaskDoesNotExist", "Task Does Not Exist: no task has this token")
        arn, run_id, attempt, is_open = found
        execution = self._active.get(arn)
        run = execution.runs.get(run_id) if execution else None
        if not is_open or run is None or run.attempt != attempt or run.token != token or run.status != RUNNING:
            raise ServiceError("TaskTimedOut", "Task Timed Out: the task of this token is already closed")
        return execution, run  # type: ignore[return-value]

    def _close_token(self, execution: Execution, run: Run) -> None:
        if run.token:
            execution.pending_tokens.append((run.token, run.id, run.attempt, False))
            run.token = None

    # --- driving runs -----------------------------------------------------------------------------------

    def _submit(self, job: Callable[..., None], *args: Any) -> None:
        with self._lock:
            self._outstanding += 1
        self._pool.submit(self._job, job, args)

    def _job(self, job: Callable[..., None], args: tuple[Any, ...]) -> None:
        """Run one job of the pool; the job was counted as outstanding when it was queued."""
        try:
            job(*args)
        except Exception:  # a job's own failure handling failed: say so, never silently
            traceback.print_exc(file=sys.stderr)
        finally:
            with self._lock:
                self._outstanding -= 1
                if self._outstanding == 0:
                    self._progress.notify_all()

    def _drive(self, execution: Execution, run: Run) -> None:
        """Advance ``run`` from where it is until it waits, then make the invocations it reached."""
        try:
            with execution.lock:
                execution.ready.append(run)
                invocations = self._commit(execution)
        except Exception as error:  # an engine bug must fail the execution visibly, never hang it
            with execution.lock:
                self._engine_failed(execution, error)
            return
        self._invoke(execution, invocations)

    def _invoke(self, execution: Execution, invocations: list[tuple[Run, Invocation]]) -> None:
        """Make invocations, outside the execution's lock: this thread makes one, and then one of
        those its answer leads to; the pool makes the others."""
        try:
            while invocations:
                (run, invocation), *others = invocations
                self._submit_invocations(execution, others)
                invocations = self._deliver(execution, run, invocation, invoke(invocation))
        except Exception as error:  # an engine bug must fail the execution visibly, never hang it
            with execution.lock:
                self._engine_failed(execution, error)

    def _deliver(
        self, execution: Execution, run: Run, invocation: Invocation, result: InvokeResult
    ) -> list[tuple[Run, Invocation]]:
        """Hand a function's answer to the execution. Answers that arrive together share one commit:
        the thread that finds no delivery under way takes every answer waiting, and the answers that
        come while it commits, then returns the invocations they led to."""
        with execution.inbox_lock:
            execution.inbox.append((run, invocation, result))
            if execution.delivering:
                return []
            execution.delivering = True
        invocations: list[tuple[Run, Invocation]] = []
        try:
            while True:
                with execution.lock:
                    with execution.inbox_lock:
                        answers, execution.inbox = execution.inbox, []
                    for answer in answers:
                        self._invocation_returned(execution, *answer)
                    invocations += self._commit(execution)
                with execution.inbox_lock:
                    if not execution.inbox:
                        return invocations
        finally:
            with execution.inbox_lock:
                execution.delivering = False

    def _submit_invocations(self, execution: Execution, invocations: list[tuple[Run, Invocation]]) -> None:
        for run, invocation in invocations:
            self._submit(self._invoke, execution, [(run, invocation)])

    def _engine_failed(self, execution: Execution, error: Exception) -> None:
        """An engine bug: printed, and the execution fails with it rather than hang."""
        traceback.print_exc(file=sys.stderr)
        if execution.status == RUNNING:
            cause = f"the local engine failed: {type(error).__name__}: {error}"
            self._close_execution(execution, FAILED, error="States.Runtime", cause=cause)

    def _run_until_waiting(self, execution: Execution, run: Run) -> Invocation | None:
        """The transitions between two points the outside can see share one commit: a function is
        invoked once its TaskScheduled is stored, and a run that stops (it waits, ends, or hands over
        to its branches) is stored before anyone can read it. A crash in between loses only
        transitions nobody could read yet, and recovery runs them again from the last commit."""
        while execution.status == RUNNING and run.status == RUNNING:
            state = execution.state_of(run)
            if run.phase == ENTER:
                self._enter(execution, run, state)
                invocation = self._begin(execution, run, state)
            elif run.phase in (TASK, SUBMITTING):  # resumed after a restart: run the attempt again
                invocation = self._start_task(execution, run, state)
            else:
                return None
            if invocation is not None:
                return invocation
        return None

    def _enter(self, execution: Execution, run: Run, state: State) -> None:
        previous = run.last_event_id  # 0 for the first state of an execution (§18)
        run.entered_previous_id = previous
        run.entered_time = iso(self.clock.now())
        run.entered_event_id = self._emit(
            execution,
            run,
            f"{state.type}StateEntered",
            "stateEnteredEventDetails",
            {"name": state.name, "input": run.input_text(), "inputDetails": {"truncated": False}},
            previous=previous,
        )
        run.reset_state_fields()
        run.retry_counts = [0] * len(state.retry)
        execution.touch(run)

    def _begin(self, execution: Execution, run: Run, state: State) -> Invocation | None:
        """Do the work of the state just entered, as far as it goes without waiting: what its type
        does (``_BEGIN``); a Task gives the invocation it is about to make."""
        try:
            return getattr(self, self._BEGIN[state.type])(execution, run, state)
        except StatesError as error:  # the state failed, or a JSONPath field could not be applied
            self._handle_failure(execution, run, state, self._failed_in(run, state, error))
        return None

    _BEGIN = {
        "Task": "_start_task",
        "Pass": "_pass",
        "Choice": "_choose",
        "Wait": "_start_wait",
        "Succeed": "_succeed",
        "Fail": "_fail",
        "Parallel": "_start_children",
        "Map": "_start_children",
    }

    def _pass(self, execution: Execution, run: Run, state: State) -> None:
        self._exit_plain(execution, run, state, state.next)

    def _succeed(self, execution: Execution, run: Run, state: State) -> None:
        self._exit_plain(execution, run, state, None)

    # --- evaluation -----------------------------------------------------------------------------------

    def _context(self, execution: Execution, run: Run, state: State, **extra: Any) -> dict[str, Any]:
        context: dict[str, Any] = {
            "Execution": {
                "Id": execution.arn,
                "Input": execution.input,
                "Name": execution.name,
                "RoleArn": execution.role_arn,
                "StartTime": execution.start_time,
                "RedriveCount": execution.redrive_count,
            },
            "State": {"EnteredTime": run.entered_time, "Name": state.name},
            "StateMachine": {"Id": execution.state_machine_arn, "Name": execution.state_machine_name},
        }
        if execution.redrive_date is not None:
            context["Execution"]["RedriveTime"] = iso(execution.redrive_date)
        if state.type != "Pass":
            context["State"]["RetryCount"] = run.retry_count
        context.update(extra)
        return context

    def _variables(self, execution: Execution, run: Run) -> dict[str, Any]:
        """Variables in scope: the run's own over its enclosing scopes' (§6)."""
        if run.parent is None:
            return run.variables
        return {**self._variables(execution, execution.runs[run.parent]), **run.variables}

    def _bindings(self, execution: Execution, run: Run, state: State, **members: Any) -> Bindings:
        context = members.pop("context", None) or self._context(execution, run, state)
        return Bindings({"input": run.input, "context": context, **members}, self._variables(execution, run))

    def _evaluate(self, execution: Execution, run: Run, state: State, template: Template, bindings: Bindings) -> Any:
        try:
            return template.evaluate(bindings)
        except QueryEvaluationFailed as failure:
            raise self._evaluation_failed(execution, run, state, failure.location, failure.detail) from None

    # --- JSONPath states ----------------------------------------------------------------------------------

    def _scoped(self, execution: Execution, run: Run, state: State, **context: Any) -> Callable[[Any], Scope]:
        """Scopes over some data with the state's context object and the variables in scope."""
        whole = self._context(execution, run, state, **context)
        variables = self._variables(execution, run)
        return lambda data: Scope(data, whole, variables)

    @staticmethod
    def _failed_in(run: Run, state: State, error: StatesError) -> StateFailure:
        """A JSONPath field's failure, its cause prefixed as AWS prefixes it."""
        if isinstance(error, StateFailure):
            return error
        cause = (
            f"An error occurred while executing the state '{state.name}' (entered at the event id "
            f"#{run.entered_event_id}). {error.cause}"
        )
        return StateFailure(error.error, cause)

    def _path_number(
        self, execution: Execution, run: Run, state: State, path: Any, name: str, *, minimum: int, whole: bool = True
    ) -> float | None:
        """A ``…Path`` field's number, read from the input after InputPath; else States.Runtime."""
        if path is None:
            return None
        scoped = self._scoped(execution, run, state)
        found = path.find(scoped(jsonpath_states.selected_input(state.jsonpath, run.input, scoped)))
        number = isinstance(found, int | float) and not isinstance(found, bool) and abs(found) < MAX_PATH_NUMBER
        if not number or (whole and found != int(found)):
            kind = "integer" if whole else "float"
            raise StatesError(
                "States.Runtime", f"The {name} field refers to value {dumps(found)} which is not a valid {kind}: "
                f"{path.text}",
            )  # fmt: skip
        if found < minimum:
            raise StatesError("States.Runtime", f"The {name} field references a value below {minimum}: {path.text}")
        return int(found) if whole else found

    def _evaluation_failed(
        self, execution: Execution, run: Run, state: State, location: str | None, detail: str
    ) -> StateFailure:
        """§11: an ``EvaluationFailed`` event, then the state fails with States.QueryEvaluationError."""
        cause = (
            f"An error occurred while executing the state '{state.name}' (entered at the event id "
            f"#{run.entered_event_id}). {detail}"
        )
        details = {"error": QUERY_EVALUATION_ERROR, "cause": cause, "state": state.name}
        if location:
            details["location"] = location
        previous = self._emit(
            execution,
            run,
            "EvaluationFailed",
            "evaluationFailedEventDetails",
            details,
            previous=run.entered_previous_id,
        )
        return StateFailure(QUERY_EVALUATION_ERROR, cause, previous)

    def _typed_number(
        self, execution: Execution, run: Run, state: State, template: Template | None, name: str, minimum: float
    ) -> float | None:
        """A typed field (TimeoutSeconds, Seconds, ...): a number of at least ``minimum``."""
        if template is None:
            return None
        value = self._evaluate(execution, run, state, template, self._bindings(execution, run, state))
        if isinstance(value, bool) or not isinstance(value, int | float) or value < minimum:
            raise self._evaluation_failed(
                execution,
                run,
                state,
                name,
                f"The field '{name}' must be a number of at least {minimum}: {dumps(value)}",
            )
        return value

    def _output_and_assign(
        self,
        execution: Execution,
        run: Run,
        state: State,
        output_template: Template | None,
        assign: dict[str, Template] | None,
        bindings: Bindings,
        default_output: Any,
    ) -> tuple[Any, dict[str, Any]]:
        """§5: Assign and Output both read the variables as they were when the state was entered."""
        assigned = {
            name: self._evaluate(execution, run, state, template, bindings) for name, template in (assign or {}).items()
        }
        output = (
            default_output
            if output_template is None
            else self._evaluate(execution, run, state, output_template, bindings)
        )
        return output, assigned

    # --- leaving a state --------------------------------------------------------------------------------

    def _exit(
        self,
        execution: Execution,
        run: Run,
        state: State,
        next_state: str | None,
        *,
        output: Template | None,
        assign: dict[str, Template] | None,
        default: Any,
        members: dict[str, Any] | None = None,
        previous: int | None = None,
        computed: tuple[Any, dict[str, Any]] | None = None,
    ) -> None:
        """Leave the state: evaluate Output/Assign (``members`` adds ``result`` or ``errorOutput``), or take
        the output and variables a JSONPath state ``computed``."""
        if computed is not None:
            value, assigned = computed
        elif output is None and not assign:
            value, assigned = default, {}
        else:
            bindings = self._bindings(execution, run, state, **(members or {}))
            value, assigned = self._output_and_assign(execution, run, state, output, assign, bindings, default)
        output_text = dumps(value)
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
        self._emit(execution, run, f"{state.type}StateExited", "stateExitedEventDetails", details, previous=previous)
        run.variables.update(assigned)
        execution.touch(run)
        if next_state is None:
            self._finish_run(execution, run, SUCCEEDED, output=value)
        else:
            run.state, run.phase = next_state, ENTER
            run.set_input(value, output_text)  # the next state's entry shows the same text

    def _exit_plain(self, execution: Execution, run: Run, state: State, next_state: str | None) -> None:
        """Leave a state whose output defaults to its input (Pass, Wait, Choice default, Succeed)."""
        if state.jsonpath is None:
            self._exit(execution, run, state, next_state, output=state.output, assign=state.assign, default=run.input)
            return
        fields, scoped = state.jsonpath, self._scoped(execution, run, state)
        if state.type == "Pass":  # its Result, or its input after InputPath and Parameters, is its result
            result = fields.result if fields.has_result else jsonpath_states.effective_input(fields, run.input, scoped)
            computed = jsonpath_states.with_result(fields, run.input, result, scoped)
        else:
            computed = jsonpath_states.without_result(fields, run.input, scoped, fields.assign)
        self._exit(execution, run, state, next_state, output=None, assign=None, default=None, computed=computed)

    def _finish_state_with_result(
        self, execution: Execution, run: Run, state: State, result: Any, previous: int | None = None
    ) -> None:
        """A Task, Parallel or Map state got its result: Output/Assign, exit, move on."""
        try:
            computed = None
            if state.jsonpath is not None:
                scoped = self._scoped(execution, run, state)
                computed = jsonpath_states.with_result(state.jsonpath, run.input, result, scoped)
            self._exit(
                execution, run, state, state.next, output=state.output, assign=state.assign, default=result,
                members={"result": result}, previous=previous, computed=computed,
            )  # fmt: skip
        except StatesError as error:
            failure = self._failed_in(run, state, error)
            failure.previous = failure.previous or previous
            self._handle_failure(execution, run, state, failure)

    # --- the state types --------------------------------------------------------------------------------

    def _choose(self, execution: Execution, run: Run, state: State) -> None:
        if state.jsonpath is not None:
            self._choose_by_rules(execution, run, state)
            return
        bindings = self._bindings(execution, run, state)
        for rule in state.choices:
            matched = self._evaluate(execution, run, state, rule.condition, bindings)
            if not isinstance(matched, bool):
                raise self._evaluation_failed(
                    execution, run, state, rule.condition.field, f"The Condition must be a boolean: {dumps(matched)}"
                )
            if matched:
                # §7 Choice: a matching rule's Output/Assign apply; without Output the input passes through
                self._exit(execution, run, state, rule.next, output=rule.output, assign=rule.assign, default=run.input)
                return
        if state.default is None:
            raise StateFailure("States.NoChoiceMatched", f"No Choice Rule matched in state '{state.name}'")
        self._exit_plain(execution, run, state, state.default)

    def _choose_by_rules(self, execution: Execution, run: Run, state: State) -> None:
        """A JSONPath Choice: its rules over the input after InputPath; a matching rule's Assign only."""
        fields, scoped = state.jsonpath, self._scoped(execution, run, state)
        assert fields is not None
        scope = scoped(jsonpath_states.selected_input(fields, run.input, scoped))
        for choice in fields.choices:
            if choice.rule.matches(scope):
                computed = jsonpath_states.without_result(fields, run.input, scoped, choice.assign)
                self._exit(
                    execution, run, state, choice.next, output=None, assign=None, default=None, computed=computed
                )
                return
        if state.default is None:
            raise StateFailure("States.NoChoiceMatched", f"No Choice Rule matched in state '{state.name}'")
        self._exit_plain(execution, run, state, state.default)

    def _start_wait(self, execution: Execution, run: Run, state: State) -> None:
        now = self.clock.now()
        fields = state.jsonpath
        if fields is not None and fields.seconds_path is not None:
            due = now + self._seconds_path(execution, run, state, fields.seconds_path)
        elif fields is not None and fields.timestamp_path is not None:
            scoped = self._scoped(execution, run, state)
            value = fields.timestamp_path.find(scoped(jsonpath_states.selected_input(fields, run.input, scoped)))
            moment = asl.parse_timestamp(value)
            if moment is None:
                raise StatesError(
                    "States.Runtime",
                    "The TimestampPath parameter does not reference a valid ISO-8601 extended offset date-time "
                    f"format string: {fields.timestamp_path.text} == {value}",
                )
            due = moment.timestamp()
        elif state.seconds is not None:
            seconds = self._typed_number(execution, run, state, state.seconds, "Seconds", 0)
            due = now + float(seconds or 0)
        else:
            value = self._evaluate(execution, run, state, state.timestamp, self._bindings(execution, run, state))  # type: ignore[arg-type]
            moment = asl.parse_timestamp(value) if isinstance(value, str) else None
            if moment is None:
                raise self._evaluation_failed(
                    execution, run, state, "Timestamp",
                    f"The Timestamp field cannot be parsed as an ISO-8601 extended offset date-time format "
                    f"string: {value}",
                )  # fmt: skip
            due = moment.timestamp()
        if due - execution.start_date > MAX_EXECUTION_SECONDS:
            raise StateFailure("States.Runtime", f"An error occurred while executing the state '{state.name}'. "
                               "Wait state delay is too long.")  # fmt: skip
        run.phase, run.due = WAITING, due
        execution.touch(run)
        self._schedule(due, _Timer("wait", execution.arn, run.id, run.attempt))

    def _seconds_path(self, execution: Execution, run: Run, state: State, path: Any) -> int:
        """A Wait's SecondsPath: a non-negative whole number in the input, in AWS's words otherwise."""
        scoped = self._scoped(execution, run, state)
        problem = "SecondsPath parameter does not reference an input value: " + path.text
        try:
            value = path.find(scoped(jsonpath_states.selected_input(state.jsonpath, run.input, scoped)))
        except StatesError:
            raise StatesError("States.Runtime", f"The {problem}") from None
        number = isinstance(value, int | float) and not isinstance(value, bool) and abs(value) < MAX_PATH_NUMBER
        if not number or value != int(value):
            raise StatesError(
                "States.Runtime", f"The SecondsPath parameter cannot be parsed as a long value: {path.text} == {value}"
            )
        if value < 0:
            raise StatesError(
                "States.Runtime", f"The SecondsPath parameter references a negative value: {path.text} == {value}"
            )
        return int(value)

    def _fail(self, execution: Execution, run: Run, state: State) -> None:
        bindings = self._bindings(execution, run, state)
        error = self._evaluate(execution, run, state, state.error, bindings) if state.error else None
        cause = self._evaluate(execution, run, state, state.cause, bindings) if state.cause else None
        if state.jsonpath is not None:  # ErrorPath, CausePath: a path or a call over the state's input
            scope = self._scoped(execution, run, state)(run.input)
            for name, source in (("ErrorPath", state.jsonpath.error_path), ("CausePath", state.jsonpath.cause_path)):
                if source is None:
                    continue
                try:
                    value = source.find(scope) if isinstance(source, Path) else source.evaluate(scope)
                except StatesError as missing:
                    if not isinstance(source, Path):
                        raise
                    raise StatesError(
                        "States.Runtime",
                        f"The JSONPath '{source.text}' specified for the field '{name}' could not be found in the "
                        f"input '{dumps(run.input)}'",
                    ) from missing
                if not isinstance(value, str):
                    raise StatesError("States.Runtime", f"The {name} field must give a string: {dumps(value)}")
                error, cause = (value, cause) if name == "ErrorPath" else (error, value)
        run.status, run.error, run.cause = FAILED, error, cause
        execution.touch(run)
        self._finish_run(execution, run, FAILED, error=error, cause=cause)

    # --- Task (§7, §13, §14) --------------------------------------------------------------------------

    @staticmethod
    def _resource_details(state: State) -> dict[str, str]:
        return {"resourceType": "lambda", "resource": state.resource.split(":::lambda:")[1]}  # type: ignore[union-attr]

    def _start_task(self, execution: Execution, run: Run, state: State) -> Invocation | None:
        run.attempt += 1
        token = None
        if state.is_callback:
            token = f"{TOKEN_PREFIX}{secrets.token_urlsafe(48)}"
        try:
            extra = {"Task": {"Token": token}} if token else {}
            timeout = self._typed_number(execution, run, state, state.timeout_seconds, "TimeoutSeconds", 1)
            heartbeat = self._typed_number(execution, run, state, state.heartbeat_seconds, "HeartbeatSeconds", 1)
            if state.jsonpath is not None:  # Parameters hold the Invoke request
                scoped = self._scoped(execution, run, state, **extra)
                arguments = jsonpath_states.effective_input(state.jsonpath, run.input, scoped)
                fields = state.jsonpath
                timeout = timeout or self._path_number(
                    execution, run, state, fields.timeout_seconds_path, "TimeoutSecondsPath", minimum=1
                )
                heartbeat = heartbeat or self._path_number(
                    execution, run, state, fields.heartbeat_seconds_path, "HeartbeatSecondsPath", minimum=1
                )
            else:
                context = self._context(execution, run, state, **extra)
                arguments = self._evaluate(
                    execution,
                    run,
                    state,
                    state.arguments,  # type: ignore[arg-type]
                    self._bindings(execution, run, state, context=context),
                )
            reference = arguments.get("FunctionName") if isinstance(arguments, dict) else None
            if not isinstance(reference, str) and state.jsonpath is not None:
                raise StatesError("States.Runtime", "The field 'Parameters/FunctionName' must be a string")
            if not isinstance(reference, str):
                raise self._evaluation_failed(
                    execution, run, state, "Arguments/FunctionName", "The FunctionName must be a string"
                )
        except StatesError as error:
            self._handle_failure(execution, run, state, self._failed_in(run, state, error))
            return None
        details: dict[str, Any] = {
            **self._resource_details(state),
            "region": REGION,
            "parameters": dumps(arguments),
        }
        if timeout is not None:
            details["timeoutInSeconds"] = int(timeout)
        if heartbeat is not None:
            details["heartbeatInSeconds"] = int(heartbeat)
        self._emit(execution, run, "TaskScheduled", "taskScheduledEventDetails", details)
        self._emit(execution, run, "TaskStarted", "taskStartedEventDetails", self._resource_details(state))
        function = self.functions.resolve(reference)
        now = self.clock.now()
        task_due = now + (timeout or DEFAULT_TASK_TIMEOUT)
        function_due = now + function.timeout_seconds if function else None
        run.task = {
            "function": reference,
            "timeout_due": task_due,
            "function_due": function_due,
            "heartbeat": heartbeat,
        }
        run.phase = SUBMITTING if token else TASK
        run.due = min(task_due, function_due) if function_due else task_due
        if token:
            run.token = token
            execution.pending_tokens.append((token, run.id, run.attempt, True))
            if heartbeat:
                run.heartbeat_due = now + heartbeat
                self._schedule(run.heartbeat_due, _Timer("heartbeat", execution.arn, run.id, run.attempt))
        execution.touch(run)
        self._schedule(run.due, _Timer("task", execution.arn, run.id, run.attempt))
        request_id = str(uuid.UUID(int=self._ids.getrandbits(128), version=4))
        run.task["request_id"] = request_id
        return Invocation(function, reference, arguments.get("Payload", {}), request_id, run.attempt)

    def _invocation_returned(
        self, execution: Execution, run: Run, invocation: Invocation, result: InvokeResult
    ) -> None:
        """Record a function's answer; the run carries on in the commit that stores it."""
        if execution.status != RUNNING or run.status != RUNNING or run.attempt != invocation.attempt:
            return  # stopped, timed out or answered meanwhile: the late result is dropped
        if run.phase not in (TASK, SUBMITTING):
            return
        state = execution.state_of(run)
        if result.failure is not None:
            details = {**self._resource_details(state), "error": result.failure.error, "cause": result.failure.cause}
            previous = self._emit(execution, run, "TaskFailed", "taskFailedEventDetails", details)
            self._close_token(execution, run)
            self._handle_failure(
                execution, run, state, StateFailure(result.failure.error, result.failure.cause, previous)
            )
        elif run.phase == SUBMITTING:
            details = {
                **self._resource_details(state),
                "output": dumps(result.response),
                "outputDetails": {"truncated": False},
            }
            self._emit(execution, run, "TaskSubmitted", "taskSubmittedEventDetails", details)
            # the function returned: from now on only the state's TimeoutSeconds (and heartbeats) apply
            run.phase, run.due = CALLBACK, run.task["timeout_due"]  # type: ignore[index]
            execution.touch(run)
            self._schedule(run.due, _Timer("task", execution.arn, run.id, run.attempt))
        else:
            details = {
                **self._resource_details(state),
                "output": dumps(result.response),
                "outputDetails": {"truncated": False},
            }
            previous = self._emit(execution, run, "TaskSucceeded", "taskSucceededEventDetails", details)
            self._finish_state_with_result(execution, run, state, result.response, previous)
        execution.ready.append(run)

    # --- Parallel and Map (§7) --------------------------------------------------------------------------

    def _start_children(self, execution: Execution, run: Run, state: State) -> None:
        """Create every branch or iteration run at once; Map iterations wait as PENDING for a slot."""
        bindings = self._bindings(execution, run, state)
        run.attempt += 1
        if state.type == "Parallel":
            if state.jsonpath is not None:
                scoped = self._scoped(execution, run, state)
                branch_input = jsonpath_states.effective_input(state.jsonpath, run.input, scoped)
            else:
                branch_input = (
                    self._evaluate(execution, run, state, state.arguments, bindings) if state.arguments else run.input
                )
            inputs = [branch_input] * len(state.branches)
            run.concurrency = len(inputs)
            self._emit(execution, run, "ParallelStateStarted")
        else:
            items = self._map_items(execution, run, state, bindings)
            concurrency = self._typed_number(execution, run, state, state.max_concurrency, "MaxConcurrency", 0)
            run.tolerated_count = self._typed_number(
                execution, run, state, state.tolerated_failure_count, "ToleratedFailureCount", 0
            )
            run.tolerated_percentage = self._typed_number(
                execution, run, state, state.tolerated_failure_percentage, "ToleratedFailurePercentage", 0
            )
            if state.jsonpath is not None:
                concurrency, run.tolerated_count, run.tolerated_percentage = self._map_limits_by_path(
                    execution, run, state, concurrency, run.tolerated_count, run.tolerated_percentage
                )
            run.concurrency = int(concurrency or 0) or MAX_INLINE_MAP_CONCURRENCY
            inputs = [self._iteration_input(execution, run, state, index, item) for index, item in enumerate(items)]
            self._emit(execution, run, "MapStateStarted", "mapStateStartedEventDetails", {"length": len(items)})
        run.phase, run.child_count = CHILDREN, len(inputs)
        run.tally.running = run.tally.succeeded = run.tally.failed = run.tally.next_pending = 0
        for index, (child_id, data) in enumerate(zip(run.child_ids(), inputs, strict=True)):
            branch = index if state.type == "Parallel" else -1
            graph = state.branches[branch] if branch >= 0 else state.processor
            child = Run(
                id=child_id,
                state=graph.start_at,  # type: ignore[union-attr]
                input=data,
                parent=run.id,
                graph=[*run.graph, [state.name, branch]],
                index=index,
                status=PENDING,
            )
            execution.runs[child.id] = child
            execution.touch(child)
        execution.touch(run)
        if state.type == "Map" and not inputs:
            previous = self._emit(execution, run, "MapStateSucceeded")
            self._finish_state_with_result(execution, run, state, [], previous)
            return
        self._launch_children(execution, run, state)

    def _map_limits_by_path(
        self, execution: Execution, run: Run, state: State, *given: float | None
    ) -> tuple[float | None, ...]:
        """MaxConcurrencyPath, ToleratedFailureCountPath, ToleratedFailurePercentagePath, where given."""
        fields = state.jsonpath
        assert fields is not None
        concurrency, count, percentage = given
        if fields.max_concurrency_path is not None:
            concurrency = self._path_number(
                execution, run, state, fields.max_concurrency_path, "MaxConcurrencyPath", minimum=0
            )
        if fields.tolerated_failure_count_path is not None:
            count = self._path_number(
                execution, run, state, fields.tolerated_failure_count_path, "ToleratedFailureCountPath", minimum=0
            )
        if fields.tolerated_failure_percentage_path is not None:
            percentage = self._path_number(
                execution, run, state, fields.tolerated_failure_percentage_path, "ToleratedFailurePercentagePath",
                minimum=0, whole=False,
            )  # fmt: skip
            if percentage > 100:
                raise StatesError("States.Runtime", "ToleratedFailurePercentage must be between 0 and 100.")
        return concurrency, count, percentage

    def _map_items(self, execution: Execution, run: Run, state: State, bindings: Bindings) -> list[Any]:
        if state.jsonpath is not None:
            return self._map_items_by_path(execution, run, state)
        if state.items is None:
            if not isinstance(run.input, list):
                raise self._evaluation_failed(
                    execution, run, state, None, f"Map state input must be an array but was: {dumps(run.input)}"
                )
            return run.input
        items = self._evaluate(execution, run, state, state.items, bindings)
        if not isinstance(items, list):
            kind = {dict: "object", str: "string", bool: "boolean", type(None): "null"}.get(type(items), "number")
            expression = state.items.expressions[0].text if state.items.expressions else ""
            raise self._evaluation_failed(
                execution, run, state, "Items",
                f"The JSONata expression '{expression}' specified for the field 'Items' returned an unexpected "
                f"result type. Expected 'array', but was '{kind}' for value: {dumps(items)}",
            )  # fmt: skip
        return items

    def _map_items_by_path(self, execution: Execution, run: Run, state: State) -> list[Any]:
        """ItemsPath (default ``$``) over the input after InputPath: it must give an array."""
        fields, scoped = state.jsonpath, self._scoped(execution, run, state)
        assert fields is not None
        selected = jsonpath_states.selected_input(fields, run.input, scoped)
        if fields.items_path is None:
            items, shown = selected, "$"
        else:
            shown = fields.items_path.text
            try:
                items = fields.items_path.find(scoped(selected))
            except StatesError:
                step = fields.items_path.steps[-1]
                raise StatesError(
                    "States.ReferencePathConflict", f'Unable to apply step "{step}" to input {dumps(selected)}'
                ) from None
        if not isinstance(items, list):
            raise StatesError("States.Runtime", f'Reference path "{shown}" must point to array.')
        return items

    def _iteration_input(self, execution: Execution, run: Run, state: State, index: int, item: Any) -> Any:
        if state.jsonpath is not None:  # ItemSelector's $ is the Map's input after InputPath
            if state.jsonpath.item_selector is None:
                return item
            scoped = self._scoped(execution, run, state, Map={"Item": {"Index": index, "Value": item}})
            selected = jsonpath_states.selected_input(state.jsonpath, run.input, scoped)
            return state.jsonpath.item_selector.evaluate(scoped(selected))
        if state.item_selector is None:
            return item
        context = self._context(execution, run, state, Map={"Item": {"Index": index, "Value": item}})
        bindings = self._bindings(execution, run, state, context=context)
        return self._evaluate(execution, run, state, state.item_selector, bindings)

    def _launch_children(self, execution: Execution, parent: Run, state: State) -> None:
        """Start pending branches or iterations, in order, while fewer than MaxConcurrency run."""
        child_ids = parent.child_ids()
        while parent.tally.running < parent.concurrency and parent.tally.next_pending < len(child_ids):
            child = execution.runs[child_ids[parent.tally.next_pending]]
            parent.tally.next_pending += 1
            if child.status != PENDING:
                continue
            if state.type == "Map":
                self._emit(
                    execution, parent, "MapIterationStarted", "mapIterationStartedEventDetails",
                    {"name": state.name, "index": child.index},
                )  # fmt: skip
            if child.redrive:  # a failed branch or iteration of a redriven execution: resume it
                child.redrive = False
                self._redrive_run(execution, child)
            else:
                child.status, child.phase, child.last_event_id = RUNNING, ENTER, parent.last_event_id
                execution.touch(child)
                self._submit_after_commit(execution, child)
            parent.tally.running += 1

    @staticmethod
    def _submit_after_commit(execution: Execution, run: Run) -> None:
        execution.ready.append(run)

    def _child_finished(self, execution: Execution, child: Run) -> None:
        parent = execution.runs[child.parent]  # type: ignore[index]
        if parent.status != RUNNING or parent.phase != CHILDREN:
            return
        state = execution.state_of(parent)
        parent.tally.running -= 1
        if child.status == SUCCEEDED:
            parent.tally.succeeded += 1
        else:
            parent.tally.failed += 1
        if state.type == "Parallel":
            if child.status == FAILED:
                self._abort_children(execution, parent, state)
                previous = self._emit(execution, parent, "ParallelStateFailed", previous=child.last_event_id)
                self._handle_failure(execution, parent, state, StateFailure(child.error, child.cause, previous))
            elif parent.tally.succeeded == parent.child_count:
                previous = self._emit(execution, parent, "ParallelStateSucceeded", previous=child.last_event_id)
                outputs = [each.output for each in execution.children(parent)]
                self._finish_state_with_result(execution, parent, state, outputs, previous)
            else:
                return
            self._submit_after_commit(execution, parent)
            return
        succeeded = child.status == SUCCEEDED
        self._emit(
            execution, parent, "MapIterationSucceeded" if succeeded else "MapIterationFailed",
            "mapIterationSucceededEventDetails" if succeeded else "mapIterationFailedEventDetails",
            {"name": state.name, "index": child.index}, previous=child.last_event_id,
        )  # fmt: skip
        if parent.tally.failed and self._over_tolerance(parent, parent.tally.failed):
            self._abort_children(execution, parent, state)
            previous = self._emit(execution, parent, "MapStateFailed", previous=child.last_event_id)
            tolerant = parent.tolerated_count is not None or parent.tolerated_percentage is not None
            failure = (
                StateFailure(
                    "States.ExceedToleratedFailureThreshold",
                    "The specified tolerated failure threshold was exceeded",
                    previous,
                )
                if tolerant
                else StateFailure(child.error, child.cause, previous)
            )
            self._handle_failure(execution, parent, state, failure)
            self._submit_after_commit(execution, parent)
            return
        self._launch_children(execution, parent, state)
        if parent.tally.succeeded + parent.tally.failed == parent.child_count:
            results = [
                each.output if each.status == SUCCEEDED else {"Error": each.error, "Cause": each.cause}
                for each in execution.children(parent)
            ]
            previous = self._emit(execution, parent, "MapStateSucceeded")
            self._finish_state_with_result(execution, parent, state, results, previous)
            self._submit_after_commit(execution, parent)
        execution.touch(parent)

    @staticmethod
    def _over_tolerance(run: Run, failures: int) -> bool:
        if run.tolerated_count is None and run.tolerated_percentage is None:
            return failures > 0
        over_count = run.tolerated_count is not None and failures > run.tolerated_count
        share = failures * 100 / max(run.child_count, 1)
        over_share = run.tolerated_percentage is not None and share > run.tolerated_percentage
        return over_count or over_share

    def _abort_children(self, execution: Execution, parent: Run, state: State) -> None:
        """Stop the running siblings of a failed branch or iteration; pending ones never start."""
        for child in execution.children(parent):
            if child.status == RUNNING:
                self._abort_run(execution, child)
                if state.type == "Map":
                    self._emit(
                        execution, parent, "MapIterationAborted", "mapIterationAbortedEventDetails",
                        {"name": state.name, "index": child.index},
                    )  # fmt: skip

    def _abort_run(self, execution: Execution, run: Run) -> None:
        run.status = ABORTED
        self._close_token(execution, run)
        execution.touch(run)
        if run.phase == CHILDREN:
            for child in execution.children(run):
                if child.status == RUNNING:
                    self._abort_run(execution, child)

    # --- errors: Retry and Catch (§8, §9, §10) -----------------------------------------------------------

    def _handle_failure(self, execution: Execution, run: Run, state: State, failure: StateFailure) -> None:
        if len(run.retry_counts) < len(state.retry):
            run.retry_counts = [0] * len(state.retry)
        step = retry_catch.after_failure(
            state.retry, state.catch, run.retry_counts, failure.error, state.type, self._rng
        )
        if isinstance(step, retry_catch.Retry):
            run.retry_counts[step.position] += 1
            run.retry_count += 1
            run.phase = RETRYING
            run.due = self.clock.now() + step.delay
            run.token = None
            execution.touch(run)
            self._schedule(run.due, _Timer("retry", execution.arn, run.id, run.attempt))
        elif isinstance(step, retry_catch.Catch):
            self._catch(execution, run, state, step.catcher, failure)
        else:
            self._finish_run(execution, run, FAILED, error=failure.error, cause=failure.cause)

    def _catch(self, execution: Execution, run: Run, state: State, catcher: Catcher, failure: StateFailure) -> None:
        error_output = {"Error": failure.error, "Cause": failure.cause}
        try:
            computed = None
            if catcher.jsonpath is not None:  # ResultPath puts the error output into the state's input
                scoped = self._scoped(execution, run, state)
                assign = catcher.jsonpath.assign
                assigned = assign.evaluate(scoped(error_output)) if assign else {}
                computed = jsonpath_states.place(catcher.jsonpath.result_path, run.input, error_output), assigned
            self._exit(
                execution, run, state, catcher.next, output=catcher.output, assign=catcher.assign,
                default=error_output, members={"errorOutput": error_output}, previous=failure.previous,
                computed=computed,
            )  # fmt: skip
        except StatesError as catcher_failure:  # the catcher's own fields failed: nothing else catches
            catcher_failure = self._failed_in(run, state, catcher_failure)
            self._finish_run(execution, run, FAILED, error=catcher_failure.error, cause=catcher_failure.cause)

    # --- ending runs and executions -----------------------------------------------------------------------

    def _finish_run(
        self,
        execution: Execution,
        run: Run,
        status: str,
        output: Any = None,
        error: str | None = None,
        cause: str | None = None,
    ) -> None:
        run.status, run.output, run.error, run.cause = status, output, error, cause
        self._close_token(execution, run)
        execution.touch(run)
        if run.parent is not None:
            self._child_finished(execution, run)
        elif status == SUCCEEDED:
            self._close_execution(execution, SUCCEEDED, output=output)
        else:
            details = {key: value for key, value in (("error", error), ("cause", cause)) if value is not None}
            self._close_execution(execution, FAILED, error=error, cause=cause, details=details)

    def _close_execution(
        self,
        execution: Execution,
        status: str,
        output: Any = None,
        error: str | None = None,
        cause: str | None = None,
        details: dict[str, Any] | None = None,
    ) -> None:
        root = execution.runs[ROOT]
        execution.status, execution.stop_date, execution.record_dirty = status, self.clock.now(), True
        execution.error, execution.cause = error, cause
        if status == SUCCEEDED:
            execution.output_text = dumps(output)
            self._emit(
                execution, root, "ExecutionSucceeded", "executionSucceededEventDetails",
                {"output": execution.output_text, "outputDetails": {"truncated": False}},
            )  # fmt: skip
        else:
            for run in execution.runs.values():
                if run.status == RUNNING:
                    self._abort_run(execution, run)
            kind = EXECUTION_FAILURE_KINDS[status]
            previous = root.entered_previous_id if status == ABORTED else None
            key = f"{kind[0].lower()}{kind[1:]}EventDetails"
            self._emit(execution, root, kind, key, details or {}, previous=previous)
        self._commit(execution)  # it forgets the execution once its end is stored

    # --- timers ---------------------------------------------------------------------------------------

    def _schedule(self, due: float, timer: _Timer) -> None:
        with self._lock:
            earliest = not self._timers or due < self._timers[0][0]
            heapq.heappush(self._timers, (due, next(self._sequence), timer))
            if earliest:  # only a new earliest timer changes how long the timer thread sleeps
                self._timer_wakeup.notify()

    def _wake_timers(self) -> None:
        with self._lock:
            self._timer_wakeup.notify_all()
            self._progress.notify_all()

    def _timer_due(self) -> bool:
        return bool(self._timers) and self._timers[0][0] <= self.clock.now()

    def _serve_timers(self) -> None:
        while True:
            with self._lock:
                if not self._running:
                    return
                due_timers = []
                while self._timer_due():
                    due_timers.append(heapq.heappop(self._timers)[2])
                self._outstanding += len(due_timers)
                if not due_timers:
                    wait = self.clock.seconds_until(self._timers[0][0]) if self._timers else None
                    self._timer_wakeup.wait(timeout=wait)
                    continue
            for timer in due_timers:  # counted as outstanding when taken off the heap, above
                self._pool.submit(self._job, self._fire, (timer,))

    def _fire(self, timer: _Timer) -> None:
        execution = self._active.get(timer.arn)
        if execution is None:
            return
        with execution.lock:
            run = execution.runs.get(timer.run_id)
            if execution.status != RUNNING or run is None or run.status != RUNNING:
                return
            now = self.clock.now()
            if timer.kind == "execution":
                if execution.deadline is not None and execution.deadline <= now:
                    self._close_execution(
                        execution, TIMED_OUT, error="States.Timeout", cause="",
                        details={"error": "States.Timeout", "cause": ""},
                    )  # fmt: skip
                return
            if run.attempt != timer.attempt:
                return
            state = execution.state_of(run)
            if timer.kind == "wait" and run.phase == WAITING and run.due is not None and run.due <= now:
                try:
                    self._exit_plain(execution, run, state, state.next)
                except StatesError as error:
                    self._handle_failure(execution, run, state, self._failed_in(run, state, error))
            elif timer.kind == "retry" and run.phase == RETRYING and run.due is not None and run.due <= now:
                self._retry(execution, run, state)
            elif timer.kind == "task" and run.phase in (TASK, SUBMITTING, CALLBACK) and (run.due or now + 1) <= now:
                self._task_timed_out(execution, run, state, heartbeat=False)
            elif (
                timer.kind == "heartbeat"
                and run.phase in (SUBMITTING, CALLBACK)
                and (run.heartbeat_due or now + 1) <= now
            ):
                self._task_timed_out(execution, run, state, heartbeat=True)
            else:
                return
            execution.ready.append(run)
            invocations = self._commit(execution)
        self._invoke(execution, invocations)

    def _retry(self, execution: Execution, run: Run, state: State) -> None:
        """§9: a retry repeats the work without re-entering the state."""
        if state.type in ("Parallel", "Map"):
            for child_id in run.child_ids():
                execution.runs.pop(child_id, None)
                execution.deleted_runs.append(child_id)
            run.child_count = 0
            run.phase = CHILDREN
            try:
                self._start_children(execution, run, state)
            except StatesError as error:
                self._handle_failure(execution, run, state, self._failed_in(run, state, error))
        else:
            run.phase = TASK  # _advance starts the next attempt

    def _task_timed_out(self, execution: Execution, run: Run, state: State, heartbeat: bool) -> None:
        """The function ran past its own timeout (Sandbox.Timedout), or the state's TimeoutSeconds or
        HeartbeatSeconds passed (States.Timeout, §13, §14)."""
        task = run.task or {}
        function_due = task.get("function_due")
        invoking = run.phase in (TASK, SUBMITTING)
        if not heartbeat and invoking and function_due is not None and function_due <= task["timeout_due"]:
            function = self.functions.resolve(task["function"])
            failure = (
                timed_out(function, task.get("request_id", "")) if function else StatesError("Sandbox.Timedout", "")
            )
            details = {**self._resource_details(state), "error": failure.error, "cause": failure.cause}
            previous = self._emit(execution, run, "TaskFailed", "taskFailedEventDetails", details)
        else:
            failure = StatesError("States.Timeout", "")
            details = {**self._resource_details(state), "error": "States.Timeout", "cause": ""}
            previous = self._emit(execution, run, "TaskTimedOut", "taskTimedOutEventDetails", details)
        self._close_token(execution, run)
        self._handle_failure(execution, run, state, StateFailure(failure.error, failure.cause, previous))

    # --- history and persistence ------------------------------------------------------------------------

    def _emit(
        self,
        execution: Execution,
        run: Run | None,
        event_type: str,
        details_key: str | None = None,
        details: dict[str, Any] | None = None,
        previous: int | None = None,
    ) -> int:
        event_id = execution.next_event_id
        execution.next_event_id += 1
        if previous is None:
            previous = run.last_event_id if run is not None else event_id - 1
        body = dumps([details_key, details]) if details_key else None
        execution.pending_events.append((event_id, self.clock.now(), event_type, previous, body))
        if run is not None:
            run.last_event_id = event_id
            execution.touch(run)
        return event_id

    def _commit(self, execution: Execution, definition: str | None = None) -> list[tuple[Run, Invocation]]:
        """Store what changed in one transaction. The runs this made ready (branches and iterations
        launched, a parent whose last child ended, a run a function answered) first run in the same
        group, in this thread, as far as they go without waiting; the invocations they reached are
        returned, to be made once it is stored."""
        if self._closed or execution.committing:
            return []
        execution.committing = True
        try:
            invocations = self._run_ready(execution)
            self._store(execution, definition)
        finally:
            execution.committing = False
        if execution.status != RUNNING:  # its end is stored: waiters may look, a stop finds it ended
            with self._lock:
                self._active.pop(execution.arn, None)
                self._progress.notify_all()
        return invocations

    def _run_ready(self, execution: Execution) -> list[tuple[Run, Invocation]]:
        invocations = []
        while execution.ready:
            run = execution.ready.pop(0)
            try:
                invocation = self._run_until_waiting(execution, run)
            except Exception as error:  # whichever thread commits: the execution fails, it never hangs
                self._engine_failed(execution, error)
                continue
            if invocation is not None:
                invocations.append((run, invocation))
        return invocations

    def _store(self, execution: Execution, definition: str | None) -> None:
        if not (execution.record_dirty or execution.pending_events or execution.dirty_runs or execution.pending_tokens):
            return
        changes = Changes(
            execution=execution.record() if execution.record_dirty else None,
            definition=definition,
            events=execution.pending_events,
            runs={
                run_id: execution.runs[run_id].to_dict() for run_id in execution.dirty_runs if run_id in execution.runs
            },
            deleted_runs=execution.deleted_runs,
            tokens=execution.pending_tokens,
        )
        self.store.apply(execution.arn, changes)
        execution.pending_events, execution.pending_tokens, execution.deleted_runs = [], [], []
        execution.dirty_runs = set()
        execution.record_dirty = False

    # --- recovery -------------------------------------------------------------------------------------

    def _load(self, record: dict[str, Any], runs: dict[str, dict[str, Any]]) -> Execution:
        definition = self.definition(record["definition"], record["state_machine_name"])
        execution = Execution(
            arn=record["arn"],
            name=record["name"],
            state_machine_arn=record["state_machine_arn"],
            state_machine_name=record["state_machine_name"],
            role_arn=record["role_arn"],
            definition=definition,
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

    def _recover(self) -> None:
        """§ persistence: carry on every execution that was running when the process stopped."""
        for record, runs in self.store.running_executions():
            execution = self._load(record, runs)
            with self._lock:
                self._active[execution.arn] = execution
            if execution.deadline:
                self._schedule(execution.deadline, _Timer("execution", execution.arn, ROOT, 0))
            for run in execution.runs.values():
                if run.status != RUNNING:
                    continue
                if run.phase in (ENTER, TASK, SUBMITTING):
                    self._submit(self._drive, execution, run)
                elif run.phase in (WAITING, RETRYING, CALLBACK) and run.due is not None:
                    kind = {WAITING: "wait", RETRYING: "retry", CALLBACK: "task"}[run.phase]
                    self._schedule(run.due, _Timer(kind, execution.arn, run.id, run.attempt))
                    if run.phase == CALLBACK and run.heartbeat_due:
                        self._schedule(run.heartbeat_due, _Timer("heartbeat", execution.arn, run.id, run.attempt))
