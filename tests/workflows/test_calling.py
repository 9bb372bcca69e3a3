"""Call-next: recalled first, then priority (with no starvation of normal tickets), then due
appointments, then first come first served; a counter of another station is refused."""

from __future__ import annotations

from datetime import timedelta

import pytest

from lambdas.shared import waiting
from lambdas.shared.clock import utcnow
from lambdas.shared.db.queue.models import Ticket
from lambdas.shared.db.unit_of_work import UnitOfWork
from lambdas.shared.errors import Conflict, InvalidField, NotFound
from lambdas.shared.queue import desk, estimate
from lambdas.shared.queue.calling import call_next
from lambdas.shared.queue.sites import configure_site
from lambdas.shared.queue.tickets import CheckIn, check_in
from local.seed import SITE, SITE_ID, STATIONS, seed
from tests.databases import ON_BOTH_DATABASES
from tests.signals import answered
from tests.workflows.conftest import midday_zone


@pytest.fixture
def site(database_url: str) -> str:
    seed()
    return SITE_ID


def arrive(**request) -> str:
    """A person checks in and their workflow parks the ticket, waiting for its call."""
    with UnitOfWork("desk-1") as uow:
        ticket_id = check_in(uow, SITE_ID, CheckIn(**request), "desk-1").ticket_id
        waiting.park(uow.session.get(Ticket, ticket_id), "call", f"token-{ticket_id}")
    return ticket_id


def call(counter: str = "desk-1") -> str | None:
    """Call-next at reception; the person called comes to the counter, which may then call again."""
    with UnitOfWork(counter) as uow:
        called = call_next(uow, SITE_ID, "reception", counter, counter)
    if called is None:
        return None
    with UnitOfWork(counter) as uow:
        desk.mark_arrived(uow, called.ticket_id, counter)
    return called.ticket_id


@ON_BOTH_DATABASES
def test_first_come_first_served_and_nobody_twice(site: str) -> None:
    first, second = arrive(), arrive()
    assert [call(), call(), call()] == [first, second, None]


@ON_BOTH_DATABASES
def test_the_call_takes_the_tickets_token_and_records_the_counter(site: str) -> None:
    ticket_id = arrive()
    with UnitOfWork("desk-2") as uow:
        called = call_next(uow, SITE_ID, "reception", "desk-2", "desk-2")
    assert (called.ticket_id, answered(ticket_id=ticket_id)) == (ticket_id, f"token-{ticket_id}")
    with UnitOfWork("test") as uow:
        ticket = uow.session.get(Ticket, ticket_id)
        assert (ticket.status, ticket.called_by_counter, ticket.task_token) == ("called", "desk-2", None)


@ON_BOTH_DATABASES
def test_priority_goes_first_but_never_starves_a_normal_ticket(site: str) -> None:
    with UnitOfWork("manager") as uow:  # at most 2 priority calls in a row while someone normal waits
        configure_site(uow, SITE_ID, SITE.model_copy(update={"priority_streak": 2, "default_journey": list(STATIONS)}),
                       "manager")  # fmt: skip
    normal = arrive()
    urgent = [arrive(priority={"reason": reason}) for reason in ("pregnancy", "disability", "elderly")]
    assert [call(), call(), call(), call()] == [urgent[0], urgent[1], normal, urgent[2]]


@ON_BOTH_DATABASES
def test_a_due_appointment_goes_before_walk_ins_and_a_later_one_does_not(site: str) -> None:
    with UnitOfWork("manager") as uow:  # appointments are of the site's clinic day: one far from midnight
        update = {"timezone": midday_zone(), "default_journey": list(STATIONS)}
        configure_site(uow, SITE_ID, SITE.model_copy(update=update), "manager")
    walk_in = arrive()
    later = arrive(appointment_at=(utcnow() + timedelta(hours=2)).isoformat())
    due = arrive(appointment_at=(utcnow() - timedelta(minutes=5)).isoformat())
    assert [call(), call(), call()] == [due, walk_in, later]


@ON_BOTH_DATABASES
def test_a_recalled_ticket_goes_to_the_front(site: str) -> None:
    first, second = arrive(), arrive()
    with UnitOfWork("test") as uow:
        uow.session.get(Ticket, second).recalled = True
    assert [call(), call()] == [second, first]


@ON_BOTH_DATABASES
def test_a_ticket_is_called_before_its_workflow_waits_for_the_call(site: str) -> None:
    with UnitOfWork("desk-1") as uow:
        ticket_id = check_in(uow, SITE_ID, CheckIn(), "desk-1").ticket_id  # its workflow has not parked it yet
    with UnitOfWork("desk-1") as uow:
        called = call_next(uow, SITE_ID, "reception", "desk-1", "desk-1")
    assert (called.ticket_id, answered(ticket_id=ticket_id)) == (ticket_id, None)  # the workflow finds it called


@ON_BOTH_DATABASES
def test_only_the_stations_own_counters_call(site: str) -> None:
    arrive()
    with pytest.raises(InvalidField, match="no counter room-1"), UnitOfWork("x") as uow:
        call_next(uow, SITE_ID, "reception", "room-1", "x")
    with pytest.raises(NotFound), UnitOfWork("x") as uow:
        call_next(uow, SITE_ID, "x-ray", "desk-1", "x")


@ON_BOTH_DATABASES
def test_a_counter_calls_one_person_at_a_time(site: str) -> None:
    # Given a counter that called someone who has not come yet
    first, second = arrive(), arrive()
    with UnitOfWork("desk-1") as uow:
        assert call_next(uow, SITE_ID, "reception", "desk-1", "desk-1").ticket_id == first
    # When it calls again (a double click), by call-next or by number
    with pytest.raises(Conflict, match="counter desk-1 has called A001 already"), UnitOfWork("desk-1") as uow:
        call_next(uow, SITE_ID, "reception", "desk-1", "desk-1")
    with pytest.raises(Conflict, match="counter desk-1 has called A001 already"), UnitOfWork("desk-1") as uow:
        desk.call_ticket(uow, second, "desk-1", "desk-1")
    # Then nobody else was called; another counter calls the next one, and desk-1 may call once A001 came
    assert call("desk-2") == second
    with UnitOfWork("desk-1") as uow:
        desk.mark_arrived(uow, first, "desk-1")
    assert call("desk-1") is None


@ON_BOTH_DATABASES
def test_a_ticket_left_waiting_from_another_day_is_not_todays_queue(site: str) -> None:
    stale = arrive()
    with UnitOfWork("test") as uow:
        ticket = uow.session.get(Ticket, stale)
        ticket.service_day -= timedelta(days=1)
    today = arrive()
    with UnitOfWork("test") as uow:
        assert estimate.place(uow, uow.sites.get(SITE_ID), uow.session.get(Ticket, today), utcnow()).position == 1
    assert [call(), call()] == [today, None]
