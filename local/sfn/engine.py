"""The engine's public face: its lifecycle, the operations the API calls (start, stop, redrive,
callbacks), recovery after a restart, and waiting for it to settle (tests, benchmarks).

It runs executions as AWS Step Functions (Standard) does, JSONata and JSONPath: the interpreter
(``interpreter.Interpreter``) moves their runs from state to state and commits them, and the workers
(``workers.Workers``) hold the threads that do it. What it runs and refuses is listed in
``local/sfn/README.md``.
"""

from __future__ import annotations

import json
import random
import threading
from typing import Any

from local.sfn import asl, history, recovery
from local.sfn.arns import execution_arn
from local.sfn.asl import Definition
from local.sfn.clock import SystemClock, forward
from local.sfn.errors import ServiceError
from local.sfn.expressions import DefinitionError
from local.sfn.functions import FunctionRegistry
from local.sfn.interpreter import Interpreter
from local.sfn.runs import ABORTED, FAILED, ROOT, RUNNING, TIMED_OUT, Execution, Run
from local.sfn.states import task
from local.sfn.states.task import TOKEN_PREFIX
from local.sfn.store import Store, loads
from local.sfn.timers import Timer

REDRIVE_WINDOW_SECONDS = 14 * 24 * 3600  # how long a failed execution may be redriven
UNLOADABLE = "the local engine no longer loads this execution's definition"
_STAND_IN = '{"StartAt": "S", "States": {"S": {"Type": "Succeed"}}}'  # to end an execution that cannot run


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
        self._definitions: dict[str, Definition] = {}
        self._starting = threading.Lock()  # two starts of one name: the second finds the first
        self._redriving = threading.Lock()  # one redrive at a time: its checks hold until it is running
        self._interpreter = Interpreter(store, functions, self.clock, self.rng, workers)
        self._workers = self._interpreter.workers

    # --- lifecycle ------------------------------------------------------------------------------------

    def start(self) -> None:
        """Resume what was running before, then serve timers."""
        self._workers.start()
        self._recover()

    def shutdown(self) -> None:
        self._workers.shutdown()
        self.store.release()  # nothing more is written: another engine may take the store over

    def next_due(self) -> float | None:
        """When the earliest timer set falls due (tests moving a manual clock from one to the next)."""
        return self._workers.next_due()

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
        return self._workers.wait_idle(timeout)

    def wait_for(self, arn: str, timeout: float = 30.0) -> str:
        """Block until the execution is no longer running, or the engine is idle; its status."""
        self._workers.wait_until(lambda: arn not in self._interpreter.active, timeout)
        record = self.store.execution(arn)
        return record["status"] if record else "UNKNOWN"

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
            self._interpreter.commit(execution, definition=definition.text)
            self._interpreter.activate(execution)
            if execution.deadline:
                self._workers.schedule(execution.deadline, Timer("execution", arn, ROOT, 0))
            self._workers.submit(self._interpreter.drive, execution, root)
        return arn, now

    def stop_execution(self, arn: str, error: str | None, cause: str | None) -> float:
        execution = self._interpreter.active.get(arn)
        if execution is None:
            record = self.store.execution(arn)
            if record is None:
                raise ServiceError("ExecutionDoesNotExist", f"Execution Does Not Exist: '{arn}'")
            return record["stop_date"] or record["start_date"]
        with execution.lock:
            if execution.status == RUNNING:
                details = {key: value for key, value in (("error", error), ("cause", cause)) if value is not None}
                self._interpreter.close_execution(execution, ABORTED, error=error, cause=cause, details=details)
            return execution.stop_date or self.clock.now()

    def redrive_execution(self, arn: str) -> float:
        with self._redriving:
            return self._redrive_execution(arn)

    def _redrive_execution(self, arn: str) -> float:
        record = self.store.execution(arn)
        if record is None:
            raise ServiceError("ExecutionDoesNotExist", f"Execution Does Not Exist: '{arn}'")
        status = record["status"]
        if status not in (FAILED, TIMED_OUT, ABORTED) or arn in self._interpreter.active:
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
            self._interpreter.activate(execution)
            self._interpreter.redrive_run(execution, root)
            self._workers.submit_invocations(execution, self._interpreter.commit(execution))
            if execution.deadline:
                self._workers.schedule(execution.deadline, Timer("execution", arn, ROOT, 0))
        return now

    # --- callbacks ------------------------------------------------------------------------------------

    def send_task_success(self, token: str, output_text: str) -> None:
        execution, run = self._open_token(token)
        try:
            result = loads(output_text)
        except ValueError as error:
            raise ServiceError("InvalidOutput", f"Invalid Output: {error}") from error
        with execution.lock:
            execution, run = self._open_token(token)
            task.callback_succeeded(self._interpreter.step(execution, run), output_text, result)
            self._workers.submit_invocations(execution, self._interpreter.commit(execution))
            self._workers.submit(self._interpreter.drive, execution, run)

    def send_task_failure(self, token: str, error: str | None, cause: str | None) -> None:
        with self._open_token(token)[0].lock:
            execution, run = self._open_token(token)
            task.callback_failed(self._interpreter.step(execution, run), error, cause)
            self._workers.submit_invocations(execution, self._interpreter.commit(execution))
            self._workers.submit(self._interpreter.drive, execution, run)

    def send_task_heartbeat(self, token: str) -> None:
        with self._open_token(token)[0].lock:
            execution, run = self._open_token(token)
            heartbeat = (run.task or {}).get("heartbeat")
            if heartbeat:
                run.heartbeat_due = self.clock.now() + heartbeat
                execution.touch(run)
                self._interpreter.commit(execution)
                self._workers.schedule(run.heartbeat_due, Timer("heartbeat", execution.arn, run.id, run.attempt))

    def _open_token(self, token: str) -> tuple[Execution, Run]:
        if not token.startswith(TOKEN_PREFIX) or not 1 <= len(token) <= 2048:
            raise ServiceError("InvalidToken", "Invalid Token: the task token is not one Step Functions issued")
        found = self.store.token(token)
        if found is None:
            raise ServiceError("TaskDoesNotExist", "Task Does Not Exist: no task has this token")
        arn, run_id, attempt, is_open = found
        execution = self._interpreter.active.get(arn)
        run = execution.runs.get(run_id) if execution else None
        if not is_open or run is None or run.attempt != attempt or run.token != token or run.status != RUNNING:
            raise ServiceError("TaskTimedOut", "Task Timed Out: the task of this token is already closed")
        return execution, run  # type: ignore[return-value]

    # --- recovery -------------------------------------------------------------------------------------

    def _recover(self) -> None:
        """Carry on every execution that was running when the process stopped."""
        for record, runs in self.store.running_executions():
            try:
                execution = recovery.load(record, runs, self.definition)
            except DefinitionError as error:
                self._fail_unloadable(record, runs, error)
                continue
            self._interpreter.activate(execution)
            to_drive, timers = recovery.resume(execution)
            for due, timer in timers:
                self._workers.schedule(due, timer)
            for run in to_drive:
                self._workers.submit(self._interpreter.drive, execution, run)

    def _fail_unloadable(self, record: dict[str, Any], runs: dict[str, dict[str, Any]], error: Exception) -> None:
        """A running execution whose definition this engine no longer loads (an earlier version stored it,
        and refused less): it fails saying why, rather than keep the engine from starting."""
        execution = recovery.load(record, runs, lambda *_: asl.parse_definition(_STAND_IN, "stand-in"))
        with execution.lock:
            self._interpreter.fail_execution(execution, "States.Runtime", f"{UNLOADABLE}: {error}")
