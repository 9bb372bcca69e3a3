"""Retry and Catch as pure rules: which retrier or catcher an error meets, and each retry's wait."""

from __future__ import annotations

import random

import pytest

from local.sfn.asl import Catcher, Retrier
from local.sfn.retry_catch import Catch, Retry, after_failure, matches, retry_delay
from tests.engine import handlers
from tests.engine.conftest import Sfn, task

RNG = random.Random(7)


@pytest.mark.parametrize(
    ("names", "error", "state_type", "expected"),
    [
        (("States.ALL",), "States.Runtime", "Task", False),  # never, not even by name
        (("States.Runtime",), "States.Runtime", "Task", False),
        (("States.ALL",), "States.Timeout", "Task", True),
        (("DatabaseUnavailable",), "DatabaseUnavailable", "Task", True),
        (("databaseunavailable",), "DatabaseUnavailable", "Task", False),  # exact and case-sensitive
        (("Database",), "DatabaseUnavailable", "Task", False),  # a whole name, not a prefix
        (("States.TaskFailed",), "DatabaseUnavailable", "Task", True),
        (("States.TaskFailed",), "States.Timeout", "Task", False),
        (("States.TaskFailed",), "DatabaseUnavailable", "Parallel", False),
    ],
)
def test_which_errors_a_rule_matches(names: tuple[str, ...], error: str, state_type: str, expected: bool) -> None:
    assert matches(names, error, state_type) is expected


def test_a_retry_waits_longer_each_time_up_to_its_cap_and_jitter_stays_below_it() -> None:
    retrier = Retrier(("X",), interval_seconds=2, max_attempts=5, backoff_rate=3.0, max_delay_seconds=30)
    assert [retry_delay(retrier, attempt, RNG) for attempt in range(1, 5)] == [2, 6, 18, 30]
    jittered = Retrier(("X",), interval_seconds=10, max_attempts=3, backoff_rate=1.0, full_jitter=True)
    assert all(0 <= retry_delay(jittered, 1, RNG) <= 10 for _ in range(50))


def test_a_backoff_past_any_float_waits_its_cap_or_a_year() -> None:
    capped = Retrier(("X",), interval_seconds=1, max_attempts=99_999_999, backoff_rate=2.0, max_delay_seconds=1)
    assert retry_delay(capped, 1_100, RNG) == 1  # 2.0 ** 1099 is past a float: the cap still applies
    uncapped = Retrier(("X",), interval_seconds=1, max_attempts=3, backoff_rate=1e300, full_jitter=True)
    assert 0 <= retry_delay(uncapped, 3, RNG) <= 365 * 24 * 3600


def test_the_first_matching_retrier_until_its_attempts_run_out_then_the_first_matching_catcher() -> None:
    retriers = (Retrier(("A",), max_attempts=2), Retrier(("States.ALL",), max_attempts=1))
    catchers = (Catcher(("B",), "OnB", None, None), Catcher(("States.ALL",), "Any", None, None))
    assert after_failure(retriers, catchers, [0, 0], "A", "Task", RNG) == Retry(0, 1.0)
    assert after_failure(retriers, catchers, [1, 0], "A", "Task", RNG) == Retry(0, 2.0)
    # the first matching retrier is spent: the error goes to the catchers, not to the next retrier
    assert after_failure(retriers, catchers, [2, 0], "A", "Task", RNG) == Catch(catchers[1])
    assert after_failure(retriers, catchers, [0, 1], "B", "Task", RNG) == Catch(catchers[0])
    assert after_failure(retriers, catchers, [0, 0], "States.Runtime", "Task", RNG) is None
    assert after_failure((), (), [], "A", "Task", RNG) is None


def test_two_retriers_of_one_state_each_count_their_own_attempts(sfn: Sfn) -> None:
    # Given a task with a retrier for each of two errors, two attempts each, and a function that fails
    # with one, then the other, twice over
    handlers.SWITCHES["failures"] = ["ErrorA", "ErrorB", "ErrorA", "ErrorB"]
    retry = [
        {"ErrorEquals": [name], "IntervalSeconds": 1, "BackoffRate": 1, "MaxAttempts": 2}
        for name in ("ErrorA", "ErrorB")
    ]
    arn = sfn.start(sfn.machine({"T": task("fails-in-turn", Retry=retry)}))
    sfn.settle()
    # When the retries run
    for _ in range(4):
        sfn.advance(1)
    # Then each retrier spent its own two attempts, and the fifth call succeeded
    result = sfn.result(arn)
    assert result.status == "SUCCEEDED", result.error
    assert [result.details(event)["error"] for event in result.events("TaskFailed")] == ["ErrorA", "ErrorB"] * 2
