"""Two transactions taking the same rows in opposite orders deadlock on InnoDB, which ends one of them.
The unit of work runs the victim again: neither caller hears of it."""

from __future__ import annotations

import threading
from collections import Counter

import pytest

from lambdas.shared.db.unit_of_work import UnitOfWork
from tests.mysql.locks import all_at_once

pytestmark = [pytest.mark.mysql, pytest.mark.parametrize("database_url", ["mysql"], indirect=True)]


def test_a_deadlocks_victim_runs_again_and_both_callers_succeed(database_url: str) -> None:
    # Given two transactions that each hold one row and then want the other's
    both_hold_one = threading.Barrier(2)
    runs: Counter[str] = Counter()

    def work(uow: UnitOfWork, first: str, second: str) -> str:
        runs[first] += 1
        uow.serialise(first)
        if runs[first] == 1:  # the first time only: a run again goes straight on
            both_hold_one.wait(timeout=10)
        uow.serialise(second)
        return first

    # When they run at the same instant
    done = all_at_once(lambda rows: UnitOfWork("desk").run(work, *rows), [("row-a", "row-b"), ("row-b", "row-a")])
    # Then both succeed: the database ended one of them, which ran again once the other had committed
    assert sorted(done) == ["row-a", "row-b"]
    assert sorted(runs.values()) == [1, 2]
