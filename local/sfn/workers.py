"""The engine's concurrency: worker threads, the timers' thread, the calls made in turn and their
watchdog, each execution's inbox of functions' answers, and the count of work outstanding that says
when the engine is idle.

What a job does to an execution is the interpreter's (``interpreter.Interpreter``): the workers call
it back through ``Interpretation`` to fire a timer and to take answers in, and it hands them the runs
to drive and the invocations to make.
"""

from __future__ import annotations

import sys
import threading
import time
import traceback
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Protocol

from local.sfn.clock import Clock
from local.sfn.functions import Invocation, InvokeResult, invoke
from local.sfn.runs import RUNNING, Execution, Run
from local.sfn.threads import DaemonPool
from local.sfn.timers import Timer, Timers

Invocations = list[tuple[Run, Invocation]]
Answer = tuple[Run, Invocation, InvokeResult]
STALLED = 0.05  # seconds: a call made in turn that takes longer no longer holds up the calls after it


class Interpretation(Protocol):
    """What the workers ask of the interpreter."""

    def fire(self, timer: Timer) -> None:
        """A timer fell due."""

    def take_in(self, execution: Execution, answers: list[Answer]) -> Invocations:
        """Functions' answers, in one commit (the execution's lock held); the invocations they led to."""

    def engine_failed(self, execution: Execution, error: Exception) -> None:
        """An engine bug in a job on ``execution`` (its lock held): the execution fails rather than hang."""


@dataclass(eq=False)
class _Turn:
    """Calls made one after the other in one thread: those still waiting, and since when the current
    one runs (None between calls)."""

    execution: Execution
    waiting: deque[tuple[Run, Invocation]]
    since: float | None = None


class Workers:
    def __init__(self, clock: Clock, size: int, interpreter: Interpretation) -> None:
        self._interpreter = interpreter
        self._lock = threading.Lock()  # guards the timer heap, the job count and the turns
        self._progress = threading.Condition(self._lock)  # waiters for idleness or an execution's end
        self._timers = Timers(clock, self._lock, self._timers_due)
        self._outstanding = 0
        self._pool = DaemonPool(size, "sfn-worker")
        # timers fire in threads of their own: functions that hang in every worker never hold up a timeout
        self._timer_pool = DaemonPool(4, "sfn-timer")
        self._turns: set[_Turn] = set()
        self._turn_wakeup = threading.Condition(self._lock)  # the watchdog sleeps on it
        self.closed = False  # after shutdown nothing more is written, as after the process ends
        clock.on_change(self._wake_timers)

    def start(self) -> None:
        self._timers.start()
        threading.Thread(target=self._watch_turns, name="sfn-turns", daemon=True).start()

    def shutdown(self) -> None:
        with self._lock:
            self.closed = True
            self._timers.stop()
            self._turn_wakeup.notify_all()
        self._pool.shutdown()
        self._timer_pool.shutdown()

    # --- timers and idleness ----------------------------------------------------------------------------

    def schedule(self, due: float, timer: Timer) -> None:
        self._timers.schedule(due, timer)

    def next_due(self) -> float | None:
        return self._timers.next_due()

    def wait_idle(self, timeout: float) -> bool:
        """Block until no work is queued or running and no timer is due."""
        with self._lock:
            return self._progress.wait_for(self._idle, timeout)

    def wait_until(self, done: Callable[[], bool], timeout: float) -> None:
        """Block until ``done()``, or the engine is idle; ``done`` reads what ``changing`` changes."""
        with self._lock:
            self._progress.wait_for(lambda: done() or self._idle(), timeout)

    @contextmanager
    def changing(self) -> Iterator[None]:
        """Change what a ``wait_until`` reads (the executions running), then wake its waiters."""
        with self._lock:
            yield
            self._progress.notify_all()

    def _idle(self) -> bool:
        return self._outstanding == 0 and not self._timers.any_due()

    def _wake_timers(self) -> None:
        with self._lock:
            self._timers.wake()
            self._progress.notify_all()

    def _timers_due(self, timers: list[Timer]) -> None:
        """Called with the lock held: each timer is outstanding work from now until it has fired."""
        self._outstanding += len(timers)
        for timer in timers:
            self._timer_pool.submit(self._job, self._interpreter.fire, (timer,))

    # --- jobs -------------------------------------------------------------------------------------------

    def submit(self, job: Callable[..., None], *args: Any) -> None:
        with self._lock:
            self._outstanding += 1
        self._pool.submit(self._job, job, args)

    def submit_invocations(self, execution: Execution, invocations: Invocations) -> None:
        """Each invocation in a thread of its own."""
        for run, invocation in invocations:
            self.submit(self.invoke, execution, [(run, invocation)])

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

    # --- invocations ------------------------------------------------------------------------------------

    def invoke(self, execution: Execution, invocations: Invocations) -> None:
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
                self.submit_invocations(execution, slow)
                invocations = self._call_in_turn(execution, quick)
        except Exception as error:  # an engine bug must fail the execution visibly, never hang it
            with execution.lock:
                self._interpreter.engine_failed(execution, error)

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
                if self.closed:
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
        return self.deliver(execution, [])

    def _watch_turns(self) -> None:
        """Every few milliseconds while calls are made in turn, rescue those behind a stalled call."""
        while True:
            with self._lock:
                if self.closed:
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
                        self._pool.submit(self._job, self.invoke, (execution, [call]))
                    self._pool.submit(self._job, self._take_in, (execution,))
            except RuntimeError:  # the engine shut down meanwhile: nothing more is run
                return
            time.sleep(STALLED / 5)

    # --- the inbox --------------------------------------------------------------------------------------

    def _take_in(self, execution: Execution) -> None:
        """Take in the answers waiting in the inbox, then make the invocations they lead to."""
        self.invoke(execution, self.deliver(execution, []))

    def deliver(self, execution: Execution, answers: list[Answer]) -> Invocations:
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
                    invocations += self._interpreter.take_in(execution, answers)
                with execution.inbox_lock:  # an answer comes in before this, or finds no delivery
                    if not execution.inbox:
                        execution.delivering = False
                        return invocations
        except BaseException:
            with execution.inbox_lock:
                execution.delivering = False
            raise
