"""20 counters calling at once on a real InnoDB server: every ticket called exactly once, none skipped,
and a priority ticket arriving in the storm called before the normal ones still waiting."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from lambdas.shared.db.models.sites import Station
from lambdas.shared.db.unit_of_work import UnitOfWork
from lambdas.shared.errors import DatabaseUnavailable
from lambdas.shared.queue import desk
from lambdas.shared.queue.calling import call_next
from local.seed import SITE_ID, seed
from tests.workflows.test_calling import arrive

pytestmark = [pytest.mark.mysql, pytest.mark.parametrize("database_url", ["mysql"], indirect=True)]

WAITING = 100
COUNTERS = [f"desk-{index}" for index in range(1, 21)]


def test_twenty_counters_calling_at_once_call_every_ticket_exactly_once(database_url: str) -> None:
    seed()
    with UnitOfWork("manager") as uow:  # reception gets 20 counters
        uow.session.get(Station, (SITE_ID, "reception")).counters = COUNTERS
    tickets = [arrive() for _ in range(WAITING)]
    calls: list[tuple[int, str]] = []  # (order of the call, ticket)
    lock = threading.Lock()
    start = threading.Barrier(len(COUNTERS))
    urgent: list[str] = []

    def counter(name: str) -> None:
        start.wait()
        while True:
            try:
                with UnitOfWork(name) as uow:
                    called = call_next(uow, SITE_ID, "reception", name, name)
            except DatabaseUnavailable:  # a deadlock is retried, as the route's caller would
                continue
            if called is None:
                return
            with UnitOfWork(name) as uow:  # the person comes: the counter may call the next one
                desk.arrived(uow, called.ticket_id, name)
            with lock:
                calls.append((len(calls), called.ticket_id))
                if len(calls) == WAITING // 2 and not urgent:  # a priority ticket arrives mid-storm
                    urgent.append(arrive(priority={"reason": "disability"}))

    with ThreadPoolExecutor(max_workers=len(COUNTERS)) as pool:
        list(pool.map(counter, COUNTERS))
    called = [ticket for _, ticket in calls]
    assert sorted(called) == sorted([*tickets, *urgent])  # every ticket, each exactly once
    assert len(called) == len(set(called)) == WAITING + 1
    # the priority ticket went before the normal tickets still waiting when it arrived
    position = called.index(urgent[0])
    assert position <= WAITING // 2 + len(COUNTERS)
