"""People checked in at once at one site, on a real InnoDB server: every number once, none missing,
and nobody turned away because the database was busy — the day's very first ones included."""

from __future__ import annotations

import threading
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import delete

from lambdas.shared.db.queue.models import QueueEvent, Ticket, TicketCounter
from lambdas.shared.db.unit_of_work import UnitOfWork
from lambdas.shared.errors import ConcurrentSubmission, NotFound
from lambdas.shared.queue.tickets import CheckIn, check_in
from local.seed import SITE_ID, seed
from tests.mysql.locks import all_at_once

pytestmark = [pytest.mark.mysql, pytest.mark.parametrize("database_url", ["mysql"], indirect=True)]

CHECK_INS = 500
DESKS = 40  # front desks (connections) checking people in at the same moment


def test_concurrent_check_ins_give_distinct_gapless_numbers_per_prefix(database_url: str) -> None:
    seed()
    journeys = [None, ["eye-exam"]]  # reception (A…) and direct eye-exam (E…) tickets, interleaved
    start = threading.Barrier(DESKS)
    local = threading.local()

    def one(index: int) -> tuple[str, str]:
        if not getattr(local, "started", False):
            local.started = True
            start.wait()
        desk = f"desk-{index % DESKS}"  # as the route runs it: a transaction the database ends runs again
        checked = UnitOfWork(desk).run(check_in, SITE_ID, CheckIn(journey=journeys[index % 2]), desk)
        return checked.number[0], checked.number

    with ThreadPoolExecutor(max_workers=DESKS) as pool:
        numbers = list(pool.map(one, range(CHECK_INS)))
    by_prefix: dict[str, list[int]] = defaultdict(list)
    for prefix, number in numbers:
        by_prefix[prefix].append(int(number[1:]))
    assert {prefix: sorted(values) for prefix, values in by_prefix.items()} == {
        "A": list(range(1, CHECK_INS // 2 + 1)),
        "E": list(range(1, CHECK_INS // 2 + 1)),
    }


def _first_of_the_day(desk: int) -> str:
    with UnitOfWork(f"desk-{desk}") as uow:  # no retry: taking the day's counter never deadlocks
        return check_in(uow, SITE_ID, CheckIn(), f"desk-{desk}").number


def test_the_days_first_check_ins_at_the_same_instant_are_all_taken_the_first_time(database_url: str) -> None:
    # Given a site whose day has no number yet, again and again (the day's counter is made by the first)
    seed()
    desks = DESKS // 2
    for _ in range(10):
        with UnitOfWork("test") as uow:
            for model in (QueueEvent, Ticket, TicketCounter):
                uow.session.execute(delete(model))
        # When that many desks check people in at once, Then each gets a number the first time
        numbers = all_at_once(_first_of_the_day, list(range(desks)))
        assert sorted(numbers) == [f"A{n:03d}" for n in range(1, desks + 1)]


def _refused_check_in(desk: int) -> str:
    """A check-in at a site that does not exist, with the key every desk sends: what it came to."""
    for _ in range(2):  # as the route does: a twin being stored is looked up again
        try:
            UnitOfWork(f"desk-{desk}").run(check_in, "nowhere", CheckIn(), "desk", "the-same-key")
        except NotFound:
            return "404"
        except ConcurrentSubmission:
            continue
    return "still concurrent"


def test_the_same_key_sent_at_once_to_a_refused_check_in_is_refused_every_time_never_a_500(
    database_url: str,
) -> None:
    # Given eight requests with one Idempotency-Key, each refused once it has claimed the key, again and again
    seed()
    for _ in range(5):
        # When they come at the same instant, Then each hears the refusal: the waiters for the key of
        # one that is rolled back never deadlock into an error the API cannot name
        assert all_at_once(_refused_check_in, list(range(8))) == ["404"] * 8
