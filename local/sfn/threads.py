"""The engine's worker threads: daemons, so that a task handler that hangs never keeps the process
from ending (Lambda does not wait for a function past its timeout either). What a thread leaves
half-done when the process ends is what ``kill -9`` leaves: recovery runs it again from the last
commit."""

from __future__ import annotations

import queue
import sys
import threading
import traceback
from collections.abc import Callable
from typing import Any

_Job = tuple[Callable[..., None], tuple[Any, ...]]


class DaemonPool:
    """Runs jobs on up to ``size`` daemon threads, started as they are needed and reused once idle."""

    def __init__(self, size: int, name: str) -> None:
        self._size, self._name = size, name
        self._jobs: queue.SimpleQueue[_Job | None] = queue.SimpleQueue()
        self._idle = threading.Semaphore(0)  # one release per thread waiting for a job
        self._lock = threading.Lock()
        self._threads = 0
        self._closed = False

    def submit(self, job: Callable[..., None], *args: Any) -> None:
        with self._lock:
            if self._closed:
                raise RuntimeError(f"{self._name}: no new job after shutdown")
            self._jobs.put((job, args))
            if self._idle.acquire(blocking=False) or self._threads >= self._size:
                return  # a waiting thread takes it, or the next to finish does
            self._threads += 1
            threading.Thread(target=self._work, name=f"{self._name}-{self._threads}", daemon=True).start()

    def shutdown(self) -> None:
        """Jobs not yet started are dropped; those running end on their own, or with the process."""
        with self._lock:
            self._closed = True
            while True:
                try:
                    self._jobs.get_nowait()
                except queue.Empty:
                    break
            for _ in range(self._threads):
                self._jobs.put(None)

    def _work(self) -> None:
        while (taken := self._jobs.get()) is not None:
            job, args = taken
            try:
                job(*args)
            except BaseException:  # the thread serves on; a job's escape is said, never silent
                traceback.print_exc(file=sys.stderr)
            self._idle.release()
