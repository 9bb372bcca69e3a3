"""Lambda's concurrency for the local API: a container runs one request at a time; more requests at
once take more containers.

``ContainerPool`` starts worker processes (``spawn``: a fresh interpreter each, like a cold start),
each importing the function once and then invoking it for one event after another. An event goes to
a free container; while all are busy, it waits for one, and after half a second a new one starts for
it, as Lambda starts another execution environment, up to the pool's limit. A call that outlives its
context's time is ended as Lambda ends one: its container is killed, and replaced. Processes rather
than threads: the Powertools resolver keeps the current event in module state, so a process cannot
run two requests at once — and processes give the API every core, which threads under the GIL would
not.
"""

from __future__ import annotations

import importlib
import multiprocessing
import signal
import sys
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from typing import Any

READY_TIMEOUT_SECONDS = 120  # a cold start on a busy machine; the API is not served before
SCALE_AFTER_SECONDS = 0.5  # how long a request waits for a busy container before one more starts


class ContainerFailed(Exception):
    """The function raised, or its container died (it is replaced): API Gateway answers 502."""


class ContainerTimedOut(ContainerFailed):
    """The call outlived its context's time: its container was killed (and is replaced)."""


def _resolve(path: str) -> Callable[..., Any]:
    module, _, attribute = path.rpartition(".")
    return getattr(importlib.import_module(module), attribute)


def _serve(connection: Connection, handler_path: str, prepare_path: str | None) -> None:
    """A container's life: import once, then one invocation at a time until the runtime goes away."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the whole process group: the runtime stops us
    try:
        handler = _resolve(handler_path)
        if prepare_path:
            _resolve(prepare_path)()
    except BaseException as error:  # reported to the runtime, which refuses to start
        connection.send(("failed", f"{type(error).__name__}: {error}"))
        return
    connection.send(("ready", None))
    while True:
        try:
            event, context = connection.recv()
        except (EOFError, OSError):  # the runtime closed the pipe or died (even kill -9): end with it
            return
        try:
            answer = ("ok", handler(event, context))
        except Exception as error:  # the function's own failure, as Lambda reports it
            answer = ("error", repr(error))
        try:
            connection.send(answer)
        except OSError:
            return


@dataclass
class _Container:
    process: BaseProcess
    connection: Connection


@dataclass
class _Waiter:
    """A request waiting for a container: it is handed one directly, in arrival order."""

    ready: threading.Event = field(default_factory=threading.Event)
    container: _Container | None = None


class ContainerPool:
    """``count`` warm containers of the function at ``handler_path`` (dotted), called like the
    function itself: ``pool(event, context)``; more are started while all are busy, up to ``limit``
    (``count`` by default). ``prepare_path`` runs once in each after the import."""

    def __init__(
        self, handler_path: str, count: int, prepare_path: str | None = None, limit: int | None = None
    ) -> None:
        if count < 1:
            raise ValueError("a pool needs at least one container")
        self._handler_path, self._prepare_path = handler_path, prepare_path
        self._limit = max(count, limit or count)
        self._starting = 0  # containers being started for requests that found none free
        self._context = multiprocessing.get_context("spawn")
        self._all: list[_Container] = []
        self._idle: deque[_Container] = deque()
        # first come, first served: a freed container goes to the request that waited longest, never to
        # one that just arrived (a plain queue's wake-ups are in no order, and the slowest answers wait seconds)
        self._waiting: deque[_Waiter] = deque()
        self._lock = threading.Lock()  # guards the four
        self._closed = False
        starting = [self._spawn() for _ in range(count)]  # cold starts in parallel
        try:
            for container in starting:
                self._await_ready(container)
                self._release(container)
        except BaseException:
            self.close()
            raise

    @property
    def size(self) -> int:
        return len(self._all)

    def _spawn(self, reserved: bool = False) -> _Container:
        ours, theirs = self._context.Pipe()
        process = self._context.Process(
            target=_serve, args=(theirs, self._handler_path, self._prepare_path), name="api-container", daemon=True
        )
        process.start()
        theirs.close()  # only the container holds its end: its death is our EOF, ours its EOF
        container = _Container(process, ours)
        with self._lock:  # counted once: among the containers, no longer among those starting
            self._all.append(container)
            if reserved:
                self._starting -= 1
        return container

    def _await_ready(self, container: _Container) -> None:
        if not container.connection.poll(READY_TIMEOUT_SECONDS):
            raise ContainerFailed(f"a container of {self._handler_path} did not start in {READY_TIMEOUT_SECONDS}s")
        try:
            status, detail = container.connection.recv()
        except (EOFError, OSError):
            status, detail = "failed", f"exited with {container.process.exitcode}"
        if status != "ready":
            raise ContainerFailed(f"a container of {self._handler_path} could not start: {detail}")

    def __call__(self, event: dict[str, Any], context: Any) -> dict[str, Any]:
        """The function's answer; ``ContainerTimedOut`` when the context's time runs out first, counted
        from the request's arrival: waiting for a container included (API Gateway's clock does not stop)."""
        deadline = time.monotonic() + context.get_remaining_time_in_millis() / 1000
        container = self._acquire(deadline)
        seconds = deadline - time.monotonic()
        if seconds <= 0:  # the wait took it all: the event is not sent to be killed at once
            self._release(container)
            raise ContainerTimedOut("no container was free within the request's time")
        try:
            container.connection.send((event, context))
            if not container.connection.poll(seconds):
                threading.Thread(target=self._kill, args=(container,), daemon=True).start()
                raise ContainerTimedOut(f"Task timed out after {seconds:.2f} seconds")
            status, value = container.connection.recv()
        except (EOFError, OSError) as error:
            self._release(self._replace(container))
            raise ContainerFailed(f"the container died: {error!r}") from error
        self._release(container)
        if status != "ok":
            raise ContainerFailed(value)
        return value

    def _acquire(self, deadline: float) -> _Container:
        """A free container; while every one is busy, the wait in line for one — and after
        ``SCALE_AFTER_SECONDS`` of it, a new one (a cold start) if the limit allows: a burst of
        quick requests shares the warm containers, a request behind slow ones gets its own. The
        wait ends at ``deadline`` (``ContainerTimedOut``)."""
        with self._lock:
            if self._idle:
                return self._idle.popleft()
            waiter = _Waiter()
            self._waiting.append(waiter)
        if not waiter.ready.wait(max(0.0, min(SCALE_AFTER_SECONDS, deadline - time.monotonic()))):
            with self._lock:
                start = waiter.container is None and len(self._all) + self._starting < self._limit
                if start:
                    self._waiting.remove(waiter)
                    self._starting += 1
            if start:
                return self._start()
            if not waiter.ready.wait(max(0.0, deadline - time.monotonic())):
                with self._lock:
                    if waiter.container is None:  # not handed one meanwhile: out of line, out of time
                        self._waiting.remove(waiter)
                        raise ContainerTimedOut("no container was free within the request's time")
        assert waiter.container is not None
        return waiter.container

    def _start(self) -> _Container:
        """A container for a request that found none free, its place reserved in ``_starting``."""
        try:
            container = self._spawn(reserved=True)
        except BaseException:
            with self._lock:
                self._starting -= 1
            raise
        try:
            self._await_ready(container)
        except ContainerFailed:
            self._forget(container)
            raise
        return container

    def _kill(self, container: _Container) -> None:
        """End a container whose call ran out of time, as Lambda ends its environment; another takes its place."""
        print(f"api container {container.process.pid} ran out of time: killed", file=sys.stderr)
        container.process.kill()
        container.process.join(timeout=5)
        self._release(self._replace(container))

    def _release(self, container: _Container) -> None:
        with self._lock:
            if self._waiting:
                waiter = self._waiting.popleft()
                waiter.container = container
                waiter.ready.set()
            else:
                self._idle.append(container)

    def _replace(self, dead: _Container) -> _Container:
        """A new container for one that died, as Lambda replaces a crashed one; the dead one again if
        none starts (the next request to get it tries anew) or the pool is closing."""
        with self._lock:
            if self._closed:
                return dead
        print(
            f"api container {dead.process.pid} died (exit {dead.process.exitcode}); starting another", file=sys.stderr
        )
        dead.connection.close()
        dead.process.join(timeout=1)
        fresh = self._spawn()
        try:
            self._await_ready(fresh)
        except ContainerFailed as error:
            print(f"api container could not start: {error}", file=sys.stderr)
            self._forget(fresh)
            return dead
        self._forget(dead)
        return fresh

    def _forget(self, container: _Container) -> None:
        with self._lock:
            if container in self._all:
                self._all.remove(container)
        container.connection.close()
        if container.process.is_alive():
            container.process.terminate()
        container.process.join(timeout=5)

    def close(self) -> None:
        """Closing a container's pipe ends it; one that does not end within seconds is terminated."""
        with self._lock:
            self._closed = True
            containers, self._all = self._all, []
        for container in containers:
            container.connection.close()
        for container in containers:
            container.process.join(timeout=5)
            if container.process.is_alive():
                container.process.terminate()
                container.process.join(timeout=5)
