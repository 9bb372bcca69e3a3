"""Time for the engine: the system clock, the system clock moved forward for a demo, or a manual one
tests move forward."""

from __future__ import annotations

import math
import os
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol


class Clock(Protocol):
    def now(self) -> float: ...

    def seconds_until(self, due: float) -> float | None:
        """How long a timer thread should sleep for ``due``; None means until woken."""

    def on_change(self, listener: Callable[[], None]) -> None:
        """``listener`` is called each time the clock is moved (timers may have fallen due)."""


class SystemClock:
    def now(self) -> float:
        return time.time()

    def seconds_until(self, due: float) -> float | None:
        """How long a timer thread should sleep for ``due``; None means until woken."""
        return max(0.0, due - time.time())

    def on_change(self, listener: Callable[[], None]) -> None:
        """The system clock moves by itself: nobody needs telling."""


class ShiftedClock:
    """The system clock, moved forward by ``advance`` for good: timers fall due by themselves, and a
    week can go by in a moment (a pickup reminder, a wait's timeout). The shift is kept in ``saved``:
    executions stored beside it hold deadlines on this clock, which a restart must not move back."""

    def __init__(self, saved: Path | None = None) -> None:
        self._saved = saved
        self._shift = float(saved.read_text()) if saved is not None and saved.exists() else 0.0
        self._lock = threading.Lock()
        self._listeners: list[Callable[[], None]] = []

    def now(self) -> float:
        return time.time() + self._shift

    def seconds_until(self, due: float) -> float | None:
        return max(0.0, due - self.now())

    def on_change(self, listener: Callable[[], None]) -> None:
        self._listeners.append(listener)

    def advance(self, seconds: float) -> None:
        forward(seconds)
        with self._lock:
            self._shift += seconds
            if self._saved is not None:
                written = self._saved.with_name(f".{self._saved.name}")
                written.write_text(repr(self._shift))
                os.replace(written, self._saved)  # whole or not at all
        for listener in self._listeners:
            listener()


class ManualClock:
    """Stands still until ``advance``; timers due by then fire."""

    def __init__(self, start: float = 1_800_000_000.0) -> None:
        self._now = start
        self._lock = threading.Lock()
        self._listeners: list[Callable[[], None]] = []

    def now(self) -> float:
        with self._lock:
            return self._now

    def seconds_until(self, due: float) -> float | None:
        return 0.0 if due <= self.now() else None

    def on_change(self, listener: Callable[[], None]) -> None:
        self._listeners.append(listener)

    def advance(self, seconds: float) -> None:
        forward(seconds)
        with self._lock:
            self._now += seconds
        for listener in self._listeners:
            listener()


def forward(seconds: float) -> float:
    """``seconds``, if a clock may move forward by it."""
    if not (isinstance(seconds, int | float) and math.isfinite(seconds) and seconds >= 0):
        raise ValueError(f"the clock moves forward by a finite number of seconds, not {seconds!r}")
    return seconds


_formatted_second: tuple[int, str] = (-1, "")  # the last whole second formatted, reused within it


def iso(timestamp: float) -> str:
    """``2025-01-15T10:30:00.000Z``: the context object's time format."""
    global _formatted_second
    second, prefix = _formatted_second
    if second != int(timestamp):
        second = int(timestamp)
        prefix = datetime.fromtimestamp(second, UTC).strftime("%Y-%m-%dT%H:%M:%S.")
        _formatted_second = (second, prefix)
    return f"{prefix}{int((timestamp - second) * 1000):03d}Z"
