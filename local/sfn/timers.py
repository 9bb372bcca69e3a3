"""Timers: a Wait's end, a retry's back-off, a task's and a heartbeat's deadline, an execution's
timeout. One heap, served by one thread, on a clock tests can drive by hand."""

from __future__ import annotations

import heapq
import itertools
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Timer:
    kind: str  # wait | retry | task | heartbeat | execution
    arn: str
    run_id: str
    attempt: int  # a timer of an earlier attempt finds the run moved on, and does nothing


class Timers:
    """The heap shares the engine's lock, which also counts the engine's outstanding work: timers due
    are handed to ``fire`` under it, so that a due timer is never seen as idleness."""

    def __init__(self, clock: Any, lock: threading.Lock, fire: Callable[[list[Timer]], None]) -> None:
        self._clock = clock
        self._lock = lock
        self._fire = fire
        self._wakeup = threading.Condition(lock)  # the timer thread sleeps on it
        self._heap: list[tuple[float, int, Timer]] = []
        self._sequence = itertools.count()
        self._running = False

    def start(self) -> None:
        self._running = True
        threading.Thread(target=self._serve, name="sfn-timers", daemon=True).start()

    def stop(self) -> None:
        """Called with the lock held."""
        self._running = False
        self._wakeup.notify_all()

    def schedule(self, due: float, timer: Timer) -> None:
        with self._lock:
            earliest = not self._heap or due < self._heap[0][0]
            heapq.heappush(self._heap, (due, next(self._sequence), timer))
            if earliest:  # only a new earliest timer changes how long the timer thread sleeps
                self._wakeup.notify()

    def wake(self) -> None:
        """The clock moved: look again. Called with the lock held."""
        self._wakeup.notify_all()

    def next_due(self) -> float | None:
        """When the earliest timer falls due, if any is set."""
        with self._lock:
            return self._heap[0][0] if self._heap else None

    def any_due(self) -> bool:
        """Called with the lock held."""
        return bool(self._heap) and self._heap[0][0] <= self._clock.now()

    def _serve(self) -> None:
        while True:
            with self._lock:
                if not self._running:
                    return
                due = []
                while self.any_due():
                    due.append(heapq.heappop(self._heap)[2])
                if due:
                    self._fire(due)
                else:
                    wait = self._clock.seconds_until(self._heap[0][0]) if self._heap else None
                    self._wakeup.wait(timeout=wait)
