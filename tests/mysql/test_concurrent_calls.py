"""Counters calling at one station at the same instant, on a real InnoDB server.

Safety: every ticket is called exactly once. Liveness: while at least as many people wait as counters
call, every counter gets someone — "nobody is waiting" only when nobody is — and the calling order
holds across each batch (priority first, never more of them in a row than the streak allows while a
normal ticket waits). ``LIVENESS_ROUNDS`` sets how many batches (10 by default).
"""

from __future__ import annotations

import os
import random
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import select

from lambdas.shared.db.queue.models import Ticket
from lambdas.shared.db.sites.models import Site, Station
from lambdas.shared.db.unit_of_work import UnitOfWork
from lambdas.shared.domain import TicketPriority, TicketStatus
from lambdas.shared.queue import desk
from lambdas.shared.queue.calling import call_next
from local.seed import SITE_ID, seed
from tests.workflows.test_calling import arrive

pytestmark = [pytest.mark.mysql, pytest.mark.parametrize("database_url", ["mysql"], indirect=True)]

ROUNDS = int(os.environ.get("LIVENESS_ROUNDS", "10"))
STREAK = 2  # at most two priority calls in a row while a normal ticket waits


def counters_at_reception(names: list[str], streak: int = 3) -> None:
    with UnitOfWork("manager") as uow:
        uow.session.get(Station, (SITE_ID, "reception")).counters = names
        uow.session.get(Site, SITE_ID).priority_streak = streak


def call(counter: str) -> str | None:
    """Call-next at reception, as the route runs it (a transaction the database ends is run again)."""
    action = UnitOfWork(counter).run(call_next, SITE_ID, "reception", counter, counter)
    return action.ticket_id if action else None


def called_by_all_at_once(counters: list[str]) -> list[str | None]:
    start = threading.Barrier(len(counters))

    def press(counter: str) -> str | None:
        start.wait()
        return call(counter)

    with ThreadPoolExecutor(max_workers=len(counters)) as pool:
        return list(pool.map(press, counters))


def waiting_in_check_in_order() -> list[tuple[str, bool]]:
    """The tickets waiting at reception: (id, priority), by check-in time as the queue orders them."""
    with UnitOfWork("test") as uow:
        query = (
            select(Ticket.id, Ticket.priority)
            .where(Ticket.station_id == "reception", Ticket.status == TicketStatus.WAITING)
            .order_by(Ticket.checked_in_at, Ticket.id)
        )
        return [(ticket_id, priority != TicketPriority.NONE) for ticket_id, priority in uow.session.execute(query)]


def calling_rule(waiting: list[tuple[str, bool]], streak: int, calls: int) -> tuple[list[str], int]:
    """The next ``calls`` tickets the rule calls one after the other, and the streak after them:
    priority first, unless ``STREAK`` priority calls in a row were made while a normal ticket waits."""
    left, called = list(waiting), []
    for _ in range(calls):
        normal_waits = any(not urgent for _, urgent in left)
        normal_first = normal_waits and streak >= STREAK
        pick = next(
            (ticket for ticket in left if ticket[1] != normal_first),  # the first of the class that goes now
            left[0],
        )
        left.remove(pick)
        called.append(pick[0])
        streak = streak + 1 if pick[1] else 0
    return called, streak


@pytest.mark.parametrize(("counters", "people"), [(2, 5), (8, 20)], ids=["2-counters-5-people", "8-counters-20-people"])
def test_every_counter_calling_at_once_gets_someone_while_people_wait(
    database_url: str, counters: int, people: int
) -> None:
    # Given a station with its counters, and always at least as many people waiting as counters
    seed()
    names = [f"desk-{index}" for index in range(1, counters + 1)]
    counters_at_reception(names, streak=STREAK)
    chance = random.Random(24)
    streak, served = 0, []
    for batch in range(ROUNDS):
        while len(waiting := waiting_in_check_in_order()) < people:
            arrive(priority={"reason": "elderly"}) if chance.random() < 0.4 else arrive()
        # When every counter presses call-next at the same instant
        called = called_by_all_at_once(names)
        # Then every counter got someone, nobody twice, and the batch is who the rule calls next
        assert None not in called, f"batch {batch}: a counter heard nobody waits while {len(waiting)} did"
        assert len(set(called)) == counters
        expected, streak = calling_rule(waiting, streak, counters)
        assert sorted(called) == sorted(expected), f"batch {batch}: the calling order did not hold"
        served += called
        for counter, ticket_id in zip(names, called, strict=True):  # the people come: counters are free again
            with UnitOfWork(counter) as uow:
                desk.mark_arrived(uow, ticket_id, counter)
    assert len(served) == len(set(served)) == ROUNDS * counters
    # and when the last person is called, the counters after them hear that nobody waits
    while waiting_in_check_in_order():
        ticket_id = call("desk-1")
        with UnitOfWork("desk-1") as uow:
            desk.mark_arrived(uow, ticket_id, "desk-1")
    assert called_by_all_at_once(names) == [None] * counters


def test_twenty_counters_calling_until_nobody_waits_call_every_ticket_exactly_once(database_url: str) -> None:
    # Given 100 people waiting and 20 counters, and a priority ticket that arrives mid-storm
    seed()
    names = [f"desk-{index}" for index in range(1, 21)]
    counters_at_reception(names)
    tickets = [arrive() for _ in range(100)]
    calls: list[str] = []
    lock = threading.Lock()
    start = threading.Barrier(len(names))
    urgent: list[str] = []

    def counter(name: str) -> None:
        start.wait()
        while (ticket_id := call(name)) is not None:
            with UnitOfWork(name) as uow:  # the person comes: the counter may call the next one
                desk.mark_arrived(uow, ticket_id, name)
            with lock:
                calls.append(ticket_id)
                if len(calls) == 50:
                    urgent.append(arrive(priority={"reason": "disability"}))

    # When each calls until it hears nobody waits
    with ThreadPoolExecutor(max_workers=len(names)) as pool:
        list(pool.map(counter, names))
    # Then every ticket was called, each exactly once, and the priority ticket went before the normal
    # tickets still waiting when it arrived
    assert sorted(calls) == sorted([*tickets, *urgent])
    assert len(calls) == len(set(calls)) == 101
    assert calls.index(urgent[0]) <= 50 + len(names)
