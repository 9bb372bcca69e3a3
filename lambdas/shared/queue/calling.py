"""Calling the next person to a counter: atomic, fair, and never the same ticket twice.

Order at a station: recalled tickets first (they were called already), then priority tickets, then
appointments whose time has come, then everyone else by their original check-in time — except that
after ``priority_streak`` priority calls in a row, a waiting normal ticket goes next (no starvation).
The ticket is chosen with ``SELECT … FOR UPDATE SKIP LOCKED``: two counters calling at the same
instant each get a different ticket, and a ticket being called by one is skipped, not waited for.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from lambdas.shared import waiting
from lambdas.shared.db.models.queue import QueueEvent, Ticket
from lambdas.shared.db.types import utcnow
from lambdas.shared.db.unit_of_work import UnitOfWork
from lambdas.shared.domain import TicketStatus
from lambdas.shared.errors import Conflict, NotFound

AWAITING_CALL = "call"  # what a ticket waits for at a station, in its workflow


@dataclass(frozen=True)
class Called:
    ticket_id: str
    number: str
    counter: str
    token: str  # answers the ticket's waiting task (the route delivers it)


def call_next(uow: UnitOfWork, site_id: str, station_id: str, counter: str, actor: str) -> Called | None:
    """The next ticket at the station, marked called by ``counter``; None when nobody waits."""
    site = uow.sites.get(site_id)
    station = next((each for each in site.stations if each.id == station_id), None) if site else None
    if site is None or station is None:
        raise NotFound("station", f"{site_id}/{station_id}")
    if counter not in station.counters:
        raise Conflict(f"station {station_id} has no counter {counter} (its counters: {', '.join(station.counters)})")
    now = utcnow()
    normal_first = uow.queue.priority_streak(site_id, station_id) >= site.priority_streak
    ticket = uow.queue.next_to_call(site_id, station_id, now, normal_first=normal_first)
    if ticket is None:
        return None
    return _call(uow, ticket, counter, actor, now)


def _call(uow: UnitOfWork, ticket: Ticket, counter: str, actor: str, now: datetime) -> Called:
    token = waiting.claim(ticket, "ticket", ticket.id, AWAITING_CALL)
    ticket.status, ticket.called_at, ticket.called_by_counter = TicketStatus.CALLED, now, counter
    uow.queue.record(
        QueueEvent(
            ticket_id=ticket.id,
            site_id=ticket.site_id,
            station_id=ticket.station_id,
            kind="called",
            counter=counter,
            actor=actor,
            at=now,
            details={"priority": ticket.priority, "recalled": ticket.recalled},
        )
    )
    return Called(ticket.id, ticket.label, counter, token)
