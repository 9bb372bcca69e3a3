"""The interpreter: moves runs from state to state and commits them in groups, fires timers, takes
functions' answers in, and ends executions. It is the ``EngineInterface`` the states reach; the threads
that run its jobs are ``workers.Workers``.

Each execution is a tree of runs (top level, Parallel branches, Map iterations). What a state type
does is in ``local/sfn/states``, how a state ends in ``outcomes``, how its fields are read in
``languages``. The transitions between two points the outside can see share one commit to the store
(see ``commit``).
"""

from __future__ import annotations

import random
import sys
import traceback
import uuid
from typing import Any

from local.sfn import history
from local.sfn.clock import Clock, iso
from local.sfn.errors import StatesError
from local.sfn.functions import FunctionRegistry, Invocation, InvokeResult
from local.sfn.languages import language_of
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
from local.sfn.step import Step
from local.sfn.store import Changes, Store, dumps
from local.sfn.timers import Timer
from local.sfn.workers import Answer, Invocations, Workers

EXECUTION_FAILURE_KINDS = {FAILED: "ExecutionFailed", TIMED_OUT: "ExecutionTimedOut", ABORTED: "ExecutionAborted"}


class Interpreter:
    def __init__(
        self, store: Store, functions: FunctionRegistry, clock: Clock, rng: random.Random, workers: int
    ) -> None:
        self.store = store
        self.functions = functions
        self.clock = clock
        self.rng = rng  # retry jitter
        self._ids = random.Random()  # request ids: any unique value will do, and it needs no system call
        self.active: dict[str, Execution] = {}  # the executions running, changed under ``workers.changing``
        self.workers = Workers(clock, workers, self)

    def step(self, execution: Execution, run: Run) -> Step:
        state = execution.state_of(run)
        return Step(self, execution, run, state, language_of(state))

    def activate(self, execution: Execution) -> None:
        with self.workers.changing():
            self.active[execution.arn] = execution

    # --- what states ask of the engine (``EngineInterface``) ------------------------------------------

    def schedule(self, due: float, timer: Timer) -> None:
        self.workers.schedule(due, timer)

    def request_id(self) -> str:
        return str(uuid.UUID(int=self._ids.getrandbits(128), version=4))

    def run_finished(self, execution: Execution, run: Run) -> None:
        if run.parent is not None:
            fan_out.child_finished(self.step(execution, execution.runs[run.parent]), run)
        elif run.status == SUCCEEDED:
            self.close_execution(execution, SUCCEEDED, output=run.output)
        else:
            details = {key: value for key, value in (("error", run.error), ("cause", run.cause)) if value is not None}
            self.close_execution(execution, FAILED, error=run.error, cause=run.cause, details=details)

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
            fan_out.launch(self.step(execution, run))
        else:  # the state itself failed (its children, if any, all succeeded): it starts again
            run.phase = ENTER
            run.reset_state_fields()
            execution.ready.append(run)

    # --- jobs the workers run (``workers.Interpretation``) --------------------------------------------

    def drive(self, execution: Execution, run: Run) -> None:
        """Advance ``run`` from where it is until it waits, then make the invocations it reached."""
        try:
            with execution.lock:
                execution.ready.append(run)
                invocations = self.commit(execution)
        except Exception as error:  # an engine bug must fail the execution visibly, never hang it
            with execution.lock:
                self.engine_failed(execution, error)
            return
        self.workers.invoke(execution, invocations)

    def take_in(self, execution: Execution, answers: list[Answer]) -> Invocations:
        for answer in answers:
            self._invocation_returned(execution, *answer)
        return self.commit(execution)

    def fire(self, timer: Timer) -> None:
        execution = self.active.get(timer.arn)
        if execution is None:
            return
        with execution.lock:
            run = execution.runs.get(timer.run_id)
            if execution.status != RUNNING or run is None or run.status != RUNNING:
                return
            now = self.clock.now()
            if timer.kind == "execution":
                if execution.deadline is not None and execution.deadline <= now:
                    self.close_execution(
                        execution, TIMED_OUT, error="States.Timeout", cause="",
                        details={"error": "States.Timeout", "cause": ""},
                    )  # fmt: skip
                return
            if run.attempt != timer.attempt or not _timer_applies(timer, run, now):
                return
            step = self.step(execution, run)
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
            invocations = self.commit(execution)
        self.workers.submit_invocations(execution, invocations)  # the timer's thread never runs a function

    def engine_failed(self, execution: Execution, error: Exception) -> None:
        """An engine bug: printed, and the execution fails with it rather than hang."""
        traceback.print_exc(file=sys.stderr)
        if execution.status == RUNNING:
            cause = f"the local engine failed: {type(error).__name__}: {error}"
            self.fail_execution(execution, "States.Runtime", cause)

    # --- moving runs ----------------------------------------------------------------------------------

    def _invocation_returned(
        self, execution: Execution, run: Run, invocation: Invocation, result: InvokeResult
    ) -> None:
        """Record a function's answer; the run carries on in the commit that stores it."""
        if execution.status != RUNNING or run.status != RUNNING or run.attempt != invocation.attempt:
            return  # stopped, timed out or answered meanwhile: the late result is dropped
        if run.phase not in (TASK, SUBMITTING):
            return
        task.returned(self.step(execution, run), result)
        execution.ready.append(run)

    def _run_until_waiting(self, execution: Execution, run: Run) -> Invocation | None:
        """The transitions between two points the outside can see share one commit: a function is
        invoked once its TaskScheduled is stored, and a run that stops (it waits, ends, or hands over
        to its branches) is stored before anyone can read it. A crash in between loses only
        transitions nobody could read yet, and recovery runs them again from the last commit."""
        while execution.status == RUNNING and run.status == RUNNING and not execution.history_full:
            step = self.step(execution, run)
            if run.phase == ENTER:
                _enter(step)
                invocation = _begin(step)
            elif run.phase in (TASK, SUBMITTING):  # resumed after a restart: run the attempt again
                invocation = task.start(step)
            else:
                return None
            if invocation is not None:
                return invocation
        return None

    # --- ending executions ----------------------------------------------------------------------------

    def fail_execution(self, execution: Execution, error: str, cause: str) -> None:
        self.close_execution(execution, FAILED, error=error, cause=cause, details={"error": error, "cause": cause})

    def close_execution(
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
        self.commit(execution)  # it forgets the execution once its end is stored

    # --- persistence ----------------------------------------------------------------------------------

    def commit(self, execution: Execution, definition: str | None = None) -> Invocations:
        """Store what changed in one transaction. The runs this made ready (branches and iterations
        launched, a parent whose last child ended, a run a function answered) first run in the same
        group, in this thread, as far as they go without waiting; the invocations they reached are
        returned, to be made once it is stored."""
        if self.workers.closed or execution.committing:
            return []
        execution.committing = True
        try:
            invocations = self._run_ready(execution)
            if execution.history_full and execution.status == RUNNING:
                self.fail_execution(execution, history.HISTORY_FULL_ERROR, history.HISTORY_FULL_CAUSE)
                invocations = []  # none was made: the execution ended before
            self._store(execution, definition)
        finally:
            execution.committing = False
        if execution.status != RUNNING:  # its end is stored: waiters may look, a stop finds it ended
            with self.workers.changing():
                if self.active.get(execution.arn) is execution:  # not the object a redrive put in its place
                    del self.active[execution.arn]
        return invocations

    def _run_ready(self, execution: Execution) -> Invocations:
        invocations = []
        while execution.ready:
            run = execution.ready.pop(0)
            try:
                invocation = self._run_until_waiting(execution, run)
            except Exception as error:  # whichever thread commits: the execution fails, it never hangs
                self.engine_failed(execution, error)
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


def _enter(step: Step) -> None:
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


def _begin(step: Step) -> Invocation | None:
    """Do the work of the state just entered, as far as it goes without waiting (``states.BEGIN``);
    a Task gives the invocation it is about to make."""
    try:
        return BEGIN[step.state.type](step)
    except StatesError as error:  # the state failed, or a JSONPath field could not be applied
        fail(step, step.failed(error))
    return None


def _timer_applies(timer: Timer, run: Run, now: float) -> bool:
    """The run is still where the timer was set for, and its time has come."""
    phases = {"wait": (WAITING,), "retry": (RETRYING,), "task": (TASK, SUBMITTING, CALLBACK),
              "heartbeat": (SUBMITTING, CALLBACK)}[timer.kind]  # fmt: skip
    due = run.heartbeat_due if timer.kind == "heartbeat" else run.due
    return run.phase in phases and due is not None and due <= now
