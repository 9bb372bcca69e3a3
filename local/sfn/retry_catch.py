"""Retry and Catch, decided without the engine: which retrier or catcher an error meets, and how long
a retry waits. Pure functions of the state's rules, the run's counts and the error.

``States.Runtime`` is never retried nor caught, not even by name; ``States.ALL`` matches every other
error; ``States.TaskFailed`` every error of a Task state whose name does not start with ``States.``.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass

from local.sfn.asl import STATES_ALL, Catcher, Retrier

LONGEST_DELAY = 365 * 24 * 3600.0


@dataclass(frozen=True)
class Retry:
    position: int  # which retrier: each counts its own attempts
    delay: float  # seconds before the attempt


@dataclass(frozen=True)
class Catch:
    catcher: Catcher


def matches(names: tuple[str, ...], error: str | None, state_type: str) -> bool:
    if error == "States.Runtime":
        return False
    if error in names or STATES_ALL in names:
        return True
    task_error = state_type == "Task" and error is not None and not error.startswith("States.")
    return "States.TaskFailed" in names and task_error


def after_failure(
    retriers: tuple[Retrier, ...],
    catchers: tuple[Catcher, ...],
    attempts: list[int],
    error: str | None,
    state_type: str,
    rng: random.Random,
) -> Retry | Catch | None:
    """What an error leads to: a retry (the first matching retrier, while it has attempts left), else
    the first matching catcher, else nothing (the run fails). ``attempts``: each retrier's so far."""
    position = next((i for i, each in enumerate(retriers) if matches(each.error_equals, error, state_type)), None)
    if position is not None:
        retrier, used = retriers[position], attempts[position] if position < len(attempts) else 0
        if used < retrier.max_attempts:
            return Retry(position, retry_delay(retrier, used + 1, rng))
    catcher = next((each for each in catchers if matches(each.error_equals, error, state_type)), None)
    return Catch(catcher) if catcher is not None else None


def retry_delay(retrier: Retrier, attempt: int, rng: random.Random) -> float:
    """``IntervalSeconds * BackoffRate ** (attempt - 1)``, capped at ``MaxDelaySeconds``; with full
    jitter, a random time up to that. Never more than a year, which no execution outlives (a large
    BackoffRate over many attempts is past any float)."""
    try:
        delay = retrier.interval_seconds * retrier.backoff_rate ** (attempt - 1)
    except OverflowError:
        delay = math.inf
    if retrier.max_delay_seconds is not None:
        delay = min(delay, retrier.max_delay_seconds)
    delay = min(delay, LONGEST_DELAY)
    return rng.uniform(0, delay) if retrier.full_jitter else delay
