"""Reading the queue: a ticket with its place in line, a site's tickets, the "now calling" board,
and the day's statistics — all from the tickets and their events, never from execution history."""

from __future__ import annotations

import math
import statistics
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING

from pydantic import Field

from lambdas.shared.clock import utcnow
from lambdas.shared.db.unit_of_work import UnitOfWork
from lambdas.shared.domain import TicketPriority, TicketStatus
from lambdas.shared.errors import InvalidField, NotFound
from lambdas.shared.model import Model
from lambdas.shared.queue import estimate
from lambdas.shared.queue.estimate import Place, minutes, pace
from lambdas.shared.queue.sites import counter_name, screen_languages, service_day

if TYPE_CHECKING:  # tables are mapped on first use (lambdas/shared/db/unit_of_work.py)
    from lambdas.shared.db.queue.models import Ticket
    from lambdas.shared.db.sites.models import Site, Station

MAX_TICKETS = 1000  # in one answer: more than a site sees in a day


class TicketView(Model):
    ticket_id: str
    number: str = Field(description="what the person and the board see: A007")
    site_id: str
    service_day: date
    status: TicketStatus
    station_id: str = Field(description="where the ticket is now")
    journey: list[str]
    journey_index: int = Field(description="the position of station_id in the journey")
    priority: TicketPriority
    priority_set_by: str | None
    appointment_at: datetime | None
    client_id: str | None
    display_name: str | None = Field(description="a walk-in's name for the day; none once erased")
    checked_in_at: datetime
    queued_at: datetime = Field(description="when it joined its current station's queue")
    called_at: datetime | None
    counter: str | None = Field(description="the counter it was called to")
    recalled: bool = Field(description="it missed a call at this station once")
    served_at: datetime | None = Field(description="when the person reached the counter")
    ended_at: datetime | None
    position: int | None = Field(description="its place in its station's queue (1 is next), while it waits")
    estimated_wait_minutes: int | None = Field(description="while it waits; see the README for how")
    execution_arn: str | None

    @classmethod
    def of(cls, ticket: Ticket, place: Place | None = None) -> TicketView:
        return cls(
            ticket_id=ticket.id,
            number=ticket.label,
            site_id=ticket.site_id,
            service_day=ticket.service_day,
            status=ticket.status,
            station_id=ticket.station_id,
            journey=list(ticket.journey),
            journey_index=ticket.journey_index,
            priority=ticket.priority,
            priority_set_by=ticket.priority_set_by,
            appointment_at=ticket.appointment_at,
            client_id=ticket.client_id,
            display_name=ticket.display_name,
            checked_in_at=ticket.checked_in_at,
            queued_at=ticket.queued_at,
            called_at=ticket.called_at,
            counter=ticket.called_by_counter,
            recalled=ticket.recalled,
            served_at=ticket.served_at,
            ended_at=ticket.ended_at,
            position=place.position if place else None,
            estimated_wait_minutes=place.minutes if place else None,
            execution_arn=ticket.execution_arn,
        )


class TicketPage(Model):
    items: list[TicketView]
    more: bool = Field(description=f"more tickets match than the {MAX_TICKETS} shown: narrow the filters")


@dataclass(frozen=True)
class _Line:
    """A station's queue now: who waits, in calling order, and how fast it moves."""

    ahead: dict[str, int]  # each waiting ticket's number of people ahead
    minutes_per_person: float

    @property
    def waiting(self) -> int:
        return len(self.ahead)

    def place(self, ticket_id: str) -> Place | None:
        ahead = self.ahead.get(ticket_id)
        return None if ahead is None else Place(ahead + 1, minutes(ahead, self.minutes_per_person))


def line(uow: UnitOfWork, site: Site, station: Station, now: datetime | None = None) -> _Line:
    now = now or utcnow()
    order = uow.queue.waiting_order(site.id, station.id, service_day(site.timezone, now), now)
    return _Line({ticket_id: ahead for ahead, ticket_id in enumerate(order)}, pace(uow, site, station, now))


def _place(uow: UnitOfWork, ticket: Ticket) -> Place | None:
    if ticket.status != TicketStatus.WAITING:
        return None
    return estimate.place(uow, uow.sites.get_one(ticket.site_id), ticket, utcnow())


def get_ticket(uow: UnitOfWork, ticket_id: str) -> TicketView:
    ticket = uow.queue.get(ticket_id)
    if ticket is None:
        raise NotFound("ticket", ticket_id)
    return TicketView.of(ticket, _place(uow, ticket))


def list_tickets(
    uow: UnitOfWork, site_id: str, day: date | None, status: TicketStatus | None, station_id: str | None
) -> TicketPage:
    site = _site(uow, site_id)
    if station_id is not None and station_id not in {station.id for station in site.stations}:
        raise InvalidField("query.station_id", f"site {site_id} has no station {station_id}")
    day = day or service_day(site.timezone)
    tickets = uow.queue.of_day(site_id, day, status, station_id, limit=MAX_TICKETS + 1)
    lines = {station.id: line(uow, site, station) for station in site.stations}
    items = [TicketView.of(ticket, lines[ticket.station_id].place(ticket.id)) for ticket in tickets[:MAX_TICKETS]]
    return TicketPage(items=items, more=len(tickets) > MAX_TICKETS)


CLIENT_TICKETS = 50  # a client's latest visits: a record shows them, the statistics count the rest


def client_tickets(uow: UnitOfWork, client_id: str) -> TicketPage:
    """A client's tickets, the latest first, as they ended or are now (no place: most are over)."""
    tickets = uow.queue.of_client(client_id, limit=CLIENT_TICKETS + 1)
    return TicketPage(
        items=[TicketView.of(ticket) for ticket in tickets[:CLIENT_TICKETS]], more=len(tickets) > CLIENT_TICKETS
    )


def _site(uow: UnitOfWork, site_id: str) -> Site:
    site = uow.sites.get(site_id)
    if site is None:
        raise NotFound("site", site_id)
    return site


# --- the board -------------------------------------------------------------------------------------------


class NowCalling(Model):
    number: str
    counter: str
    counter_name: str = Field(description="what people read and hear: its name in the station's settings, or its id")
    called_at: datetime = Field(description="a number called again after a recall has a new time: screens say it again")


class BoardStation(Model):
    station_id: str
    name: str
    now_calling: list[NowCalling] = Field(description="the numbers called and not yet at the counter")
    waiting: int
    estimated_wait_minutes: int = Field(description="for someone joining this station's queue now")


class Board(Model):
    site_id: str
    name: str
    screen_languages: list[str] = Field(description="the languages its screen announces each call in, in order")
    stations: list[BoardStation]


def board(uow: UnitOfWork, site_id: str) -> Board:
    """What the waiting room's screen shows: numbers and counters, never names."""
    site = _site(uow, site_id)
    called: dict[str, list[NowCalling]] = defaultdict(list)
    for ticket in uow.queue.of_day(site_id, service_day(site.timezone), TicketStatus.CALLED, None, limit=None):
        counter = ticket.called_by_counter or ""
        name = counter_name(site, ticket.station_id, counter)
        called[ticket.station_id].append(
            NowCalling(number=ticket.label, counter=counter, counter_name=name, called_at=ticket.called_at)
        )
    stations = []
    for station in site.stations:
        queue = line(uow, site, station)
        stations.append(
            BoardStation(
                station_id=station.id,
                name=station.name,
                now_calling=called[station.id],
                waiting=queue.waiting,
                estimated_wait_minutes=minutes(queue.waiting, queue.minutes_per_person),
            )
        )
    return Board(site_id=site.id, name=site.name, screen_languages=screen_languages(site), stations=stations)


# --- statistics ----------------------------------------------------------------------------------------


class Minutes(Model):
    median: float | None
    p90: float | None = Field(description="nine in ten took at most this long")

    @classmethod
    def of(cls, seconds: list[int]) -> Minutes:
        if not seconds:
            return cls(median=None, p90=None)
        ordered = sorted(seconds)
        p90 = ordered[math.ceil(0.9 * len(ordered)) - 1]  # nearest rank
        return cls(median=round(statistics.median(ordered) / 60, 1), p90=round(p90 / 60, 1))


class CounterStatistics(Model):
    counter: str
    served: int


class StationStatistics(Model):
    station_id: str
    name: str
    checked_in: int = Field(description="tickets whose journey started here")
    served: int
    no_shows: int
    cancelled: int
    expired: int
    wait_minutes: Minutes = Field(description="from joining the station's queue to the first call")
    service_minutes: Minutes = Field(description="from reaching the counter to the end of the service")
    counters: list[CounterStatistics]


class Statistics(Model):
    site_id: str
    day: date
    stations: list[StationStatistics]


def day_statistics(uow: UnitOfWork, site_id: str, day: date | None) -> Statistics:
    site = _site(uow, site_id)
    day = day or service_day(site.timezone)
    counts = uow.queue.event_counts(site_id, day)
    per_counter = uow.queue.served_per_counter(site_id, day)
    durations = uow.queue.durations(site_id, day)
    stations = []
    for station in site.stations:
        count = counts.get(station.id, {})
        stations.append(
            StationStatistics(
                station_id=station.id,
                name=station.name,
                checked_in=count.get("checked_in", 0),
                served=count.get("served", 0),
                no_shows=count.get("no_show", 0),
                cancelled=count.get("cancelled", 0),
                expired=count.get("expired", 0),
                wait_minutes=Minutes.of(durations.get((station.id, "called"), [])),
                service_minutes=Minutes.of(durations.get((station.id, "served"), [])),
                counters=[
                    CounterStatistics(counter=counter, served=served)
                    for counter, served in sorted(per_counter.get(station.id, {}).items())
                ],
            )
        )
    return Statistics(site_id=site_id, day=day, stations=stations)
