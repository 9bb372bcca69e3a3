"""Checking in: the number comes at once, from the first station of the journey; bad requests name
their field and take no number."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from lambdas.shared.db.queue.models import QueueEvent, Ticket, TicketCounter
from lambdas.shared.db.unit_of_work import UnitOfWork
from lambdas.shared.errors import Conflict, InvalidField
from lambdas.shared.queue.tickets import CheckIn, TicketIssued, check_in
from local.seed import SITE_ID, seed
from tests.databases import ON_BOTH_DATABASES


@pytest.fixture
def site(database_url: str) -> str:
    seed()
    return SITE_ID


def _check_in(site_id: str, **request) -> TicketIssued:
    with UnitOfWork("desk-1") as uow:
        return check_in(uow, site_id, CheckIn(**request), "desk-1")


def _count(model) -> int:
    with UnitOfWork("test") as uow:
        return uow.session.execute(select(func.count()).select_from(model)).scalar_one()


@ON_BOTH_DATABASES
def test_numbers_follow_each_other_per_prefix_of_the_first_station(site: str) -> None:
    first, second = _check_in(site), _check_in(site, display_name="Moussa")
    direct = _check_in(site, journey=["eye-exam", "frame-fitting"])
    assert (first.number, second.number, direct.number) == ("A001", "A002", "E001")
    assert (first.station_id, direct.station_id) == ("reception", "eye-exam")
    with UnitOfWork("test") as uow:
        ticket = uow.session.get(Ticket, direct.ticket_id)
        assert ticket.journey == ["eye-exam", "frame-fitting"]
        events = list(uow.session.scalars(select(QueueEvent).filter_by(ticket_id=direct.ticket_id)))
    assert [(event.kind, event.station_id, event.actor) for event in events] == [("checked_in", "eye-exam", "desk-1")]


@ON_BOTH_DATABASES
def test_numbers_start_again_at_one_each_clinic_day(site: str) -> None:
    # Given yesterday's clinic day, which gave A001 and A002
    assert [_check_in(site).number for _ in range(2)] == ["A001", "A002"]
    with UnitOfWork("test") as uow:
        yesterday = uow.session.scalars(select(Ticket.service_day)).first() - timedelta(days=1)
        uow.session.execute(update(Ticket).values(service_day=yesterday))
        uow.session.execute(update(TicketCounter).values(service_day=yesterday))
    # When today's first person checks in, Then the numbers start again, and yesterday's stay as they were
    assert [_check_in(site).number for _ in range(2)] == ["A001", "A002"]
    with UnitOfWork("test") as uow:
        counters = uow.session.execute(select(TicketCounter.service_day, TicketCounter.last_number)).all()
    assert sorted(counters) == [(yesterday, 2), (yesterday + timedelta(days=1), 2)]


@ON_BOTH_DATABASES
def test_a_priority_is_recorded_with_who_set_it(site: str) -> None:
    checked = _check_in(site, priority={"reason": "pregnancy"})
    with UnitOfWork("test") as uow:
        ticket = uow.session.get(Ticket, checked.ticket_id)
    assert (ticket.priority, ticket.priority_set_by) == ("pregnancy", "desk-1")


@ON_BOTH_DATABASES
@pytest.mark.parametrize(
    ("request_body", "error"),
    [
        ({"journey": ["reception", "x-ray"]}, InvalidField),
        ({"client_id": "00000000-0000-4000-8000-000000000000"}, InvalidField),
    ],
)
def test_a_check_in_that_fails_takes_no_number(site: str, request_body: dict, error: type) -> None:
    with pytest.raises(error):
        _check_in(site, **request_body)
    assert _check_in(site).number == "A001"
    assert _count(Ticket) == 1


@ON_BOTH_DATABASES
def test_a_site_without_a_journey_says_so(database_url: str) -> None:
    from lambdas.shared.queue.sites import SiteSettings, configure_site

    with UnitOfWork("manager") as uow:
        configure_site(uow, "empty", SiteSettings(name="Empty"), "manager")
    with pytest.raises(Conflict, match="no default journey"):
        _check_in("empty")
    assert _count(TicketCounter) == 0


@pytest.mark.parametrize(
    "request_body",
    [
        {"client_id": "00000000-0000-4000-8000-000000000000", "display_name": "Awa"},
        {"priority": {"reason": "none"}},
        {"priority": {"reason": "tired"}},
        {"journey": []},
        {"display_name": "Awa\u0000"},
    ],
)
def test_a_bad_check_in_is_refused_before_anything_is_stored(request_body: dict) -> None:
    from pydantic import ValidationError

    with pytest.raises(ValidationError):
        CheckIn(**request_body)
