"""The interpreter: runs ASL executions (JSONata and JSONPath) as AWS Step Functions (Standard) does.

Each execution is a tree of runs (top level, Parallel branches, Map iterations). This module holds
the execution's lifecycle and the operations the API calls, and moves runs from state to state;
what a state type does is in ``local/sfn/states``, how a state ends in ``outcomes``, how its fields
are read in ``languages``. Worker threads drive runs; the transitions between two points the
outside can see share one commit to the store (see ``_commit``). What it runs and refuses is listed
in ``local/sfn/README.md``.
"""

from __future__ import annotations

import json
import random
import sys
import threading
import time
import traceback
import uuid
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from local.sfn import asl, history, recovery
from local.sfn.arns import execution_arn
from local.sfn.asl import Definition
from local.sfn.clock import SystemClock, forward, iso
from local.sfn.errors import ServiceError, StatesError
from local.sfn.expressions import DefinitionError
from local.sfn.functions import FunctionRegistry, Invocation, InvokeResult, invoke
from local.sfn.outcomes import fail
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
from local.sfn.states import BEGIN, fan_out, flow, task
from local.sfn.states.task import TOKEN_PREFIX
from local.sfn.step import Step
from local.sfn.store import Changes, Store, dumps, loads
from local.sfn.threads import DaemonPool
from local.sfn.timers import Timer, Timers

REDRIVE_WINDOW_SECONDS = 14 * 24 * 3600  # how long a failed execution may be redriven
UNLOADABLE = "the local engine no longer loads this execution's definition"
_STAND_IN = '{"StartAt": "S", "States": {"S": {"Type": "Succeed"}}}'  # to end an execution that cannot run
EXECUTION_FAILURE_KINDS = {FAILED: "ExecutionFailed", TIMED_OUT: "ExecutionTimedOut", ABORTED: "ExecutionAborted"}

Invocations = list[tuple[Run, Invocation]]
STALLED = 0.05  # seconds: a call made in turn that takes longer no longer holds up the calls after it


@dataclass(eq=False)
class _Turn:
    """Calls made one after the other in one thread: those still waiting, and since when the current
    one runs (None between calls)."""

    execution: Execution
    waiting: deque[tuple[Run, Invocation]]
    since: float | None = None


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
        self.rng = rng or random.Random()  # retry jitter
        self._ids = random.Random()  # request ids: any unique value will do, and it needs no system call
        self._active: dict[str, Execution] = {}
        self._definitions: dict[str, Definition] = {}
        self._starting = threading.Lock()  # two starts of one name: the second finds the first
        self._lock = threading.Lock()  # guards _active, the timer heap and the job count
        self._redriving = threading.Lock()  # one redrive at a time: its checks hold until it is running
        self._progress = threading.Condition(self._lock)  # waiters for idleness or an execution's end
        self._timers = Timers(self.clock, self._lock, self._timers_due)
        self._outstanding = 0
        self._pool = DaemonPool(workers, "sfn-worker")
        # timers fire in threads of their own: functions that hang in every worker never hold up a timeout
        self._timer_pool = DaemonPool(4, "sfn-timer")
        self._turns: set[_Turn] = set()
        self._turn_wakeup = threading.Condition(self._lock)  # the watchdog sleeps on it
        self._closed = False  # after shutdown nothing more is written, as after the process ends
        self.clock.on_change(self._wake_timers)

    # --- lifecycle ------------------------------------------------------------------------------------

    def start(self) -> None:
        """Resume what was running before, then serve timers."""
        self._timers.start()
        threading.Thread(target=self._watch_turns, name="sfn-turns", daemon=True).start()
        self._recover()

    def shutdown(self) -> None:
        with self._lock:
            self._closed = True
            self._timers.stop()
            self._turn_wakeup.notify_all()
        self._pool.shutdown()
        self._timer_pool.shutdown()
        self.store.release()  # nothing more is written: another engine may take the store over

    def next_due(self) -> float | None:
        """When the earliest timer set falls due (tests moving a manual clock from one to the next)."""
        return self._timers.next_due()

    def advance_clock(self, seconds: float, settle_seconds: float = 30.0) -> None:
        """Move a clock that moves by hand (``advance``) on by ``seconds`` as time passes: it stops at
        each timer due on the way (a Wait's end, a retry, a timeout), and what that starts settles
        before it moves on, so timers fire in the order they fall due, each at its own time."""
        if not hasattr(self.clock, "advance"):
            raise ValueError("this engine runs on the system clock, which moves by itself")
        until = self.clock.now() + forward(seconds)
        self._settle(settle_seconds)
        while (due := self.next_due()) is not None and due < until:
            self.clock.advance(max(0.0, due - self.clock.now()))
            self._settle(settle_seconds)
        self.clock.advance(max(0.0, until - self.clock.now()))
        self._settle(settle_seconds)

    def _settle(self, seconds: float) -> None:
        if not self.wait_idle(seconds):
            raise TimeoutError(f"the engine was still busy after {seconds} s")

    def wait_idle(self, timeout: float = 30.0) -> bool:
        """Block until no work is queued or running and no timer is due (tests, benchmarks)."""
        with self._lock:
            return self._progress.wait_for(lambda: self._outstanding == 0 and not self._timers.any_due(), timeout)

    def wait_for(self, arn: str, timeout: float = 30.0) -> str:
        """Block until the execution is no longer running, or the engine is idle; its status."""
        with self._lock:
            self._progress.wait_for(
                lambda: arn not in self._active or (self._outstanding == 0 and not self._timers.any_due()), timeout
            )
        record = self.store.execution(arn)
        return record["status"] if record else "UNKNOWN"

    def definition(self, text: str, source: str) -> Definition:
        """The parsed definition of ``text``, parsed once."""
        cached = self._definitions.get(text)
        if cached is None:
            cached = asl.parse_definition(text, source)
            self._definitions[text] = cached
        return cached

    # --- what states ask of the engine -----------------------------------------------------------------

    def schedule(self, due: float, timer: Timer) -> None:
        self._timers.schedule(due, timer)

    def request_id(self) -> str:
        return str(uuid.UUID(int=self._ids.getrandbits(128), version=4))

    def run_finished(self, execution: Execution, run: Run) -> None:
        """A branch or iteration tells its parent; the top level ends the execution."""
        if run.parent is not None:
            fan_out.child_finished(Step.of(self, execution, execution.runs[run.parent]), run)
        elif run.status == SUCCEEDED:
            self._close_execution(execution, SUCCEEDED, output=run.output)
        else:
            details = {key: value for key, value in (("error", run.error), ("cause", run.cause)) if value is not None}
            self._close_execution(execution, FAILED, error=run.error, cause=run.cause, details=details)

    def abort_run(self, execution: Execution, run: Run) -> None:
        run.status = ABORTED
        execution.close_token(run)
        execution.touch(run)
        if run.phase == CHILDREN:
            for child in execution.children(run):
                if child.status == RUNNING:
                    self.abort_run(execution, child)

    def redrive_run(self, execution: Execution, run: Run) -> None:
        """Restart the state that did not succeed; Map/Parallel re-run only what failed."""
        run.status, run.error, run.cause = RUNNING, None, None
        execution.touch(run)
        failed = [child for child in execution.children(run) if child.status in (FAILED, ABORTED)]
        if run.phase == CHILDREN and failed:
            for child in failed:
                child.status, child.redrive = PENDING, True
                execution.touch(child)
            execution.count_children(run)
            fan_out.launch(Step.of(self, execution, run))
        else:  # the state itself failed (its children, if any, all succeeded): it starts again
            run.phase = ENTER
            run.reset_state_fields()
            execution.ready.append(run)

    # --- executions -----------------------------------------------------------------------------------

    def start_execution(self, machine: dict[str, Any], name: str, input_text: str) -> tuple[str, float]:
        with self._starting:
            return self._start_execution(machine, name, input_text)

    def _start_execution(self, machine: dict[str, Any], name: str, input_text: str) -> tuple[str, float]:
        arn = execution_arn(machine["name"], name)
        existing = self.store.execution(arn)
        if existing is not None:
            # same name and input while still running → the original response
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
            history.emit(
                execution, None, now, "ExecutionStarted", "executionStartedEventDetails",
                {"input": input_text, "inputDetails": {"truncated": False}, "roleArn": execution.role_arn},
                previous=0,
            )  # fmt: skip
            execution.touch(root)
            self._commit(execution, definition=definition.text)
            with self._lock:
                self._active[arn] = execution
            if execution.deadline:
                self.schedule(execution.deadline, Timer("execution", arn, ROOT, 0))
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
        with self._redriving:
            return self._redrive_execution(arn)

    def _redrive_execution(self, arn: str) -> float:
        record = self.store.execution(arn)
        if record is None:
            raise ServiceError("ExecutionDoesNotExist", f"Execution Does Not Exist: '{arn}'")
        status = record["status"]
        if status not in (FAILED, TIMED_OUT, ABORTED) or arn in self._active:
            raise ServiceError("ExecutionNotRedrivable", f"Execution is {status} and cannot be redriven")
        now = self.clock.now()
        if now - (record["stop_date"] or now) > REDRIVE_WINDOW_SECONDS:
            raise ServiceError("ExecutionNotRedrivable", "Execution redrivable period exceeded")
        if record["next_event_id"] >= history.HISTORY_EVENT_LIMIT - 1:
            raise ServiceError("ExecutionNotRedrivable", "Execution history event limit exceeded")
        try:
            execution = recovery.load(record, self.store.runs(arn), self.definition)
        except DefinitionError as error:
            raise ServiceError("ExecutionNotRedrivable", f"{UNLOADABLE}: {error}") from None
        with execution.lock:
            execution.status, execution.record_dirty = RUNNING, True
            execution.redrive_count += 1
            execution.redrive_date = now
            execution.stop_date = execution.error = execution.cause = None
            if execution.definition.timeout_seconds:
                execution.deadline = now + execution.definition.timeout_seconds
            root = execution.runs[ROOT]
            history.emit(
                execution, root, now, "ExecutionRedriven", "executionRedrivenEventDetails",
                {"redriveCount": execution.redrive_count},
            )  # fmt: skip
            with self._lock:
                self._active[arn] = execution
            self.redrive_run(execution, root)
            self._submit_invocations(execution, self._commit(execution))
            if execution.deadline:
                self.schedule(execution.deadline, Timer("execution", arn, ROOT, 0))
        return now

    # --- callbacks --------------------------------------------------------------------------------

    def send_task_success(self, token: str, output_text: str) -> None:
        execution, run = self._open_token(token)
        try:
            result = loads(output_text)
        except ValueError as error:
            raise ServiceError("InvalidOutput", f"Invalid Output: {error}") from error
        with execution.lock:
            execution, run = self._open_token(token)
            task.callback_succeeded(Step.of(self, execution, run), output_text, result)
            self._submit_invocations(execution, self._commit(execution))
            self._submit(self._drive, execution, run)

    def send_task_failure(self, token: str, error: str | None, cause: str | None) -> None:
        with self._open_token(token)[0].lock:
            execution, run = self._open_token(token)
            task.callback_failed(Step.of(self, execution, run), error, cause)
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
                self.schedule(run.heartbeat_due, Timer("heartbeat", execution.arn, run.id, run.attempt))

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

    def _invoke(self, execution: Execution, invocations: Invocations) -> None:
        """Make invocations, outside the execution's lock, then hand their answers over together.

        A function that answered quickly last time (``LocalFunction.quick``) is called in this
        thread, in turn with the other quick ones: a thread of its own would cost more than the call.
        Others go to the pool, each in a thread of its own, except one that this thread makes when
        all are slow."""
        try:
            while invocations:
                quick: Invocations = []
                slow: Invocations = []
                for each in invocations:
                    (quick if each[1].function is None or each[1].function.quick else slow).append(each)
                if not quick:
                    quick, slow = slow[:1], slow[1:]
                self._submit_invocations(execution, slow)
                invocations = self._call_in_turn(execution, quick)
        except Exception as error:  # an engine bug must fail the execution visibly, never hang it
            with execution.lock:
                self._engine_failed(execution, error)

    def _call_in_turn(self, execution: Execution, calls: Invocations) -> Invocations:
        """Make ``calls`` one after the other, their answers put in the inbox, then take them in. Should
        one call stall, the watchdog (``_watch_turns``) hands the calls after it to the pool and has the
        answers before it taken in: a function that hangs holds up no other."""
        turn = _Turn(execution, deque(calls))
        with self._lock:
            self._turns.add(turn)
            self._turn_wakeup.notify()
        try:
            while True:
                try:
                    run, call = turn.waiting.popleft()
                except IndexError:
                    break
                if self._closed:
                    break
                if execution.status != RUNNING or run.status != RUNNING or run.attempt != call.attempt:
                    continue  # stopped, timed out or answered meanwhile: not called at all
                turn.since = time.monotonic()
                answer = (run, call, invoke(call))
                turn.since = None
                with execution.inbox_lock:
                    execution.inbox.append(answer)
        finally:
            with self._lock:
                self._turns.discard(turn)
        return self._deliver(execution, [])

    def _watch_turns(self) -> None:
        """Every few milliseconds while calls are made in turn, rescue those behind a stalled call."""
        while True:
            with self._lock:
                if self._closed:
                    return
                if not self._turns:
                    self._turn_wakeup.wait()
                    continue
                now = time.monotonic()
                stalled = [each for each in self._turns if each.since is not None and now - each.since > STALLED]
                rescued = []
                for turn in stalled:
                    self._turns.discard(turn)
                    calls = []
                    while turn.waiting:
                        try:
                            calls.append(turn.waiting.popleft())
                        except IndexError:
                            break
                    rescued.append((turn.execution, calls))
                    self._outstanding += len(calls) + 1  # counted as they leave the turn: idleness never misses them
            try:
                for execution, calls in rescued:
                    for call in calls:
                        self._pool.submit(self._job, self._invoke, (execution, [call]))
                    self._pool.submit(self._job, self._take_in, (execution,))
            except RuntimeError:  # the engine shut down meanwhile: nothing more is run
                return
            time.sleep(STALLED / 5)

    def _take_in(self, execution: Execution) -> None:
        """Take in the answers waiting in the inbox, then make the invocations they lead to."""
        self._invoke(execution, self._deliver(execution, []))

    def _deliver(self, execution: Execution, answers: list[tuple[Run, Invocation, InvokeResult]]) -> Invocations:
        """Hand functions' answers to the execution. Answers that arrive together share one commit:
        the thread that finds no delivery under way takes every answer waiting, and the answers that
        come while it commits, then returns the invocations they led to."""
        with execution.inbox_lock:
            execution.inbox.extend(answers)
            if execution.delivering:
                return []
            execution.delivering = True
        invocations: Invocations = []
        try:
            while True:
                with execution.lock:
                    with execution.inbox_lock:
                        answers, execution.inbox = execution.inbox, []
                    for answer in answers:
                        self._invocation_returned(execution, *answer)
                    invocations += self._commit(execution)
                with execution.inbox_lock:  # an answer comes in before this, or finds no delivery
                    if not execution.inbox:
                        execution.delivering = False
                        return invocations
        except BaseException:
            with execution.inbox_lock:
                execution.delivering = False
            raise

    def _submit_invocations(self, execution: Execution, invocations: Invocations) -> None:
        for run, invocation in invocations:
            self._submit(self._invoke, execution, [(run, invocation)])

    def _invocation_returned(
        self, execution: Execution, run: Run, invocation: Invocation, result: InvokeResult
    ) -> None:
        """Record a function's answer; the run carries on in the commit that stores it."""
        if execution.status != RUNNING or run.status != RUNNING or run.attempt != invocation.attempt:
            return  # stopped, timed out or answered meanwhile: the late result is dropped
        if run.phase not in (TASK, SUBMITTING):
            return
        task.returned(Step.of(self, execution, run), result)
        execution.ready.append(run)

    def _engine_failed(self, execution: Execution, error: Exception) -> None:
        """An engine bug: printed, and the execution fails with it rather than hang."""
        traceback.print_exc(file=sys.stderr)
        if execution.status == RUNNING:
            cause = f"the local engine failed: {type(error).__name__}: {error}"
            self._fail_execution(execution, "States.Runtime", cause)

    def _run_until_waiting(self, execution: Execution, run: Run) -> Invocation | None:
        """The transitions between two points the outside can see share one commit: a function is
        invoked once its TaskScheduled is stored, and a run that stops (it waits, ends, or hands over
        to its branches) is stored before anyone can read it. A crash in between loses only
        transitions nobody could read yet, and recovery runs them again from the last commit."""
        while execution.status == RUNNING and run.status == RUNNING and not execution.history_full:
            step = Step.of(self, execution, run)
            if run.phase == ENTER:
                self._enter(step)
                invocation = self._begin(step)
            elif run.phase in (TASK, SUBMITTING):  # resumed after a restart: run the attempt again
                invocation = task.start(step)
            else:
                return None
            if invocation is not None:
                return invocation
        return None

    def _enter(self, step: Step) -> None:
        run, state = step.run, step.state
        previous = run.last_event_id  # 0 for the first state of an execution
        run.entered_previous_id = previous
        run.entered_time = iso(step.now())
        run.entered_event_id = step.emit(
            f"{state.type}StateEntered",
            "stateEnteredEventDetails",
            {"name": state.name, "input": run.input_text(), "inputDetails": {"truncated": False}},
            previous=previous,
        )
        run.reset_state_fields()
        run.retry_counts = [0] * len(state.retry)
        step.execution.touch(run)

    @staticmethod
    def _begin(step: Step) -> Invocation | None:
        """Do the work of the state just entered, as far as it goes without waiting (``states.BEGIN``);
        a Task gives the invocation it is about to make."""
        try:
            return BEGIN[step.state.type](step)
        except StatesError as error:  # the state failed, or a JSONPath field could not be applied
            fail(step, step.failed(error))
        return None

    def _fail_unloadable(self, record: dict[str, Any], runs: dict[str, dict[str, Any]], error: Exception) -> None:
        """A running execution whose definition this engine no longer loads (an earlier version stored it,
        and refused less): it fails saying why, rather than keep the engine from starting."""
        execution = recovery.load(record, runs, lambda *_: asl.parse_definition(_STAND_IN, "stand-in"))
        with execution.lock:
            self._fail_execution(execution, "States.Runtime", f"{UNLOADABLE}: {error}")

    # --- ending executions ------------------------------------------------------------------------------

    def _fail_execution(self, execution: Execution, error: str, cause: str) -> None:
        self._close_execution(execution, FAILED, error=error, cause=cause, details={"error": error, "cause": cause})

    def _close_execution(
        self,
        execution: Execution,
        status: str,
        output: Any = None,
        error: str | None = None,
        cause: str | None = None,
        details: dict[str, Any] | None = None,
    ) -> None:
        if execution.history_full:  # whatever ended it, the quota was reached first
            status, error, cause = FAILED, history.HISTORY_FULL_ERROR, history.HISTORY_FULL_CAUSE
            details = {"error": error, "cause": cause}
        root = execution.runs[ROOT]
        now = self.clock.now()
        execution.status, execution.stop_date, execution.record_dirty = status, now, True
        execution.error, execution.cause = error, cause
        if status == SUCCEEDED:
            execution.output_text = dumps(output)
            history.emit(
                execution, root, now, "ExecutionSucceeded", "executionSucceededEventDetails",
                {"output": execution.output_text, "outputDetails": {"truncated": False}},
            )  # fmt: skip
        else:
            for run in execution.runs.values():
                if run.status == RUNNING:
                    self.abort_run(execution, run)
            kind = EXECUTION_FAILURE_KINDS[status]
            previous = root.entered_previous_id if status == ABORTED else None
            if execution.history_full:  # it follows the last event recorded, in whichever run
                previous = execution.next_event_id - 1
            key = f"{kind[0].lower()}{kind[1:]}EventDetails"
            history.emit(execution, root, now, kind, key, details or {}, previous=previous)
        self._commit(execution)  # it forgets the execution once its end is stored

    # --- timers ---------------------------------------------------------------------------------------

    def _wake_timers(self) -> None:
        with self._lock:
            self._timers.wake()
            self._progress.notify_all()

    def _timers_due(self, timers: list[Timer]) -> None:
        """Called with the lock held: each timer is outstanding work from now until it has fired."""
        self._outstanding += len(timers)
        for timer in timers:
            self._timer_pool.submit(self._job, self._fire, (timer,))

    def _fire(self, timer: Timer) -> None:
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
            if run.attempt != timer.attempt or not self._timer_applies(timer, run, now):
                return
            step = Step.of(self, execution, run)
            if timer.kind == "wait":
                try:
                    flow.wait_ended(step)
                except StatesError as error:
                    fail(step, step.failed(error))
            elif timer.kind == "retry":
                if step.state.type in ("Parallel", "Map"):
                    fan_out.retry(step)
                else:
                    run.phase = TASK  # the commit below starts the next attempt
            else:
                task.timed_out(step, heartbeat=timer.kind == "heartbeat")
            execution.ready.append(run)
            invocations = self._commit(execution)
        self._submit_invocations(execution, invocations)  # the timer's thread never runs a function

    @staticmethod
    def _timer_applies(timer: Timer, run: Run, now: float) -> bool:
        """The run is still where the timer was set for, and its time has come."""
        phases = {"wait": (WAITING,), "retry": (RETRYING,), "task": (TASK, SUBMITTING, CALLBACK),
                  "heartbeat": (SUBMITTING, CALLBACK)}[timer.kind]  # fmt: skip
        due = run.heartbeat_due if timer.kind == "heartbeat" else run.due
        return run.phase in phases and due is not None and due <= now

    # --- persistence ------------------------------------------------------------------------------------

    def _commit(self, execution: Execution, definition: str | None = None) -> Invocations:
        """Store what changed in one transaction. The runs this made ready (branches and iterations
        launched, a parent whose last child ended, a run a function answered) first run in the same
        group, in this thread, as far as they go without waiting; the invocations they reached are
        returned, to be made once it is stored."""
        if self._closed or execution.committing:
            return []
        execution.committing = True
        try:
            invocations = self._run_ready(execution)
            if execution.history_full and execution.status == RUNNING:
                self._fail_execution(execution, history.HISTORY_FULL_ERROR, history.HISTORY_FULL_CAUSE)
                invocations = []  # none was made: the execution ended before
            self._store(execution, definition)
        finally:
            execution.committing = False
        if execution.status != RUNNING:  # its end is stored: waiters may look, a stop finds it ended
            with self._lock:
                if self._active.get(execution.arn) is execution:  # not the object a redrive put in its place
                    del self._active[execution.arn]
                self._progress.notify_all()
        return invocations

    def _run_ready(self, execution: Execution) -> Invocations:
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

    def _recover(self) -> None:
        """Carry on every execution that was running when the process stopped."""
        for record, runs in self.store.running_executions():
            try:
                execution = recovery.load(record, runs, self.definition)
            except DefinitionError as error:
                self._fail_unloadable(record, runs, error)
                continue
            with self._lock:
                self._active[execution.arn] = execution
            to_drive, timers = recovery.resume(execution)
            for due, timer in timers:
                self.schedule(due, timer)
            for run in to_drive:
                self._submit(self._drive, execution, run)
