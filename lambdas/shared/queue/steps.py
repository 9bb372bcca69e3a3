"""Queue progression: every step of a ticket's workflow (check-in is in ``tickets``, staff actions
in ``desk``).

The ticket's row is the truth; the workflow follows it. Staff actions change the row and wake the
waiting execution; each step reads the row and goes on from wherever the ticket is, so an action
taken before the workflow started waiting for it is not lost, and every step is safe to run twice.
A ticket's wait maps to its status: it waits for its ``call`` while waiting, for its ``arrival``
once called, for its ``service_end`` while served.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from lambdas.shared import notify, signals, waiting
from lambdas.shared.clock import utcnow
from lambdas.shared.db.unit_of_work import UnitOfWork
from lambdas.shared.domain import TicketStatus
from lambdas.shared.errors import NotFound, TicketEnded
from lambdas.shared.model import Model
from lambdas.shared.queue.sites import closing_time, counter_name

if TYPE_CHECKING:  # tables are mapped on first use (lambdas/shared/db/unit_of_work.py)
    from lambdas.shared.db.queue.models import QueueEvent, Ticket

NEXT_PLACES = 2  # "you are next": a person this close to being called at a station is texted, once
AWAITED_IN = {"call": TicketStatus.WAITING, "arrival": TicketStatus.CALLED, "service_end": TicketStatus.SERVING}
ENDED = frozenset({TicketStatus.COMPLETED, TicketStatus.NO_SHOW, TicketStatus.EXPIRED, TicketStatus.CANCELLED})


class TicketAnswer(Model):
    """What a staff action answers the ticket's wait with: the ticket's status after it (the
    workflow's next step reads where the ticket is)."""

    ticket_id: str
    status: TicketStatus


@dataclass(frozen=True)
class StationTimes:
    closes_in: int  # seconds until the site closes: the longest the ticket waits for its call
    grace_seconds: int  # to reach the counter once called


def outcome_of(uow: UnitOfWork, ticket_id: str) -> TicketStatus:
    """How the ticket's day ended (its status, once ``TicketEnded`` was raised)."""
    ticket = uow.queue.get(ticket_id)
    if ticket is None:
        raise NotFound("ticket", ticket_id)
    return ticket.status


def open_ticket(uow: UnitOfWork, ticket_id: str) -> Ticket:
    """The ticket, locked; ``TicketEnded`` (its status the message) when its day is over."""
    ticket = uow.queue.lock(ticket_id)
    if ticket is None:
        raise NotFound("ticket", ticket_id)
    if ticket.status in ENDED:
        raise TicketEnded(ticket.status)
    return ticket


def enter_station(uow: UnitOfWork, ticket_id: str, now: datetime | None = None) -> StationTimes:
    """The timeouts of the ticket's waits at its station, from the site's hours: a ticket still
    waiting at closing time expires."""
    entry = uow.queue.station_entry(ticket_id)
    if entry is None:
        raise NotFound("ticket", ticket_id)
    if entry.status in ENDED:
        raise TicketEnded(entry.status)
    now = now or utcnow()
    closes = closing_time(entry, now)
    closes_in = int((closes - now).total_seconds()) if closes is not None else 0
    return StationTimes(closes_in=max(1, closes_in), grace_seconds=max(1, entry.grace_seconds))


def await_ticket(uow: UnitOfWork, ticket_id: str, waiting_for: str, token: str) -> None:
    """Park the workflow on the ticket until staff act — unless they already have: then the wait is
    answered at once, as staff would have answered it (``signals.resume`` with the ticket's status)."""
    if not uow.queue.park(ticket_id, AWAITED_IN[waiting_for], waiting_for, token):
        ticket = open_ticket(uow, ticket_id)
        if ticket.status != AWAITED_IN[waiting_for]:
            signals.resume(uow, token, TicketAnswer(ticket_id=ticket_id, status=ticket.status))
            return
        waiting.park(ticket, waiting_for, token)  # it came back to it since the statement above


def tell_called(uow: UnitOfWork, ticket: Ticket) -> None:
    """An SMS to the called person, if they gave SMS consent: their number and counter, once per call
    (queued by the call itself: it never waits for the workflow)."""
    client = uow.clients.get(ticket.client_id) if ticket.client_id else None
    if client is not None:
        assert ticket.called_at is not None
        key = f"ticket_called:{ticket.id}:{ticket.called_at.isoformat()}"
        counter = counter_name(uow.sites.get_one(ticket.site_id), ticket.station_id, ticket.called_by_counter or "")
        payload = {"number": ticket.label, "counter": counter}
        notify.queue_message(uow, client, "ticket_called", key, payload, sms_only=True)


def tell_next(uow: UnitOfWork, called: Ticket) -> None:
    """An SMS to each person now among the next ``NEXT_PLACES`` to be called at the station (a call
    moved them up), if they gave SMS consent: once per station they wait at. A recalled person was
    called already, and is told so again when called."""
    upcoming = uow.queue.upcoming(called.site_id, called.station_id, called.service_day, utcnow(), NEXT_PLACES)
    for ticket in upcoming:
        client = uow.clients.get(ticket.client_id) if ticket.client_id and not ticket.recalled else None
        if client is not None:
            key = f"ticket_next:{ticket.id}:{ticket.station_id}:{ticket.queued_at.isoformat()}"
            notify.queue_message(uow, client, "ticket_next", key, {"number": ticket.label}, sms_only=True)


def miss_call(uow: UnitOfWork, ticket_id: str, actor: str) -> TicketStatus | None:
    """The called person did not come in time: back to the front of the station's queue once, then
    a no-show (returned: the ticket's day is over). Nothing to do if staff answered at the last
    moment (the token is no longer parked)."""
    ticket = open_ticket(uow, ticket_id)
    if ticket.waiting_for != "arrival":
        return None
    ticket.task_token = ticket.waiting_for = None
    if ticket.recalled:
        end_ticket(uow, ticket, TicketStatus.NO_SHOW, "no_show", actor, automatic=True)
        return ticket.status
    requeue(uow, ticket, "recalled", actor, automatic=True)
    return None


def expire(uow: UnitOfWork, ticket_id: str, actor: str) -> TicketStatus | None:
    """The site closed while the ticket waited: its day is over (``expired`` returned). Nothing to do
    if staff answered at the last moment (the token is no longer parked): the workflow goes on."""
    ticket = open_ticket(uow, ticket_id)
    if ticket.waiting_for is None:
        return None
    ticket.task_token = ticket.waiting_for = None
    end_ticket(uow, ticket, TicketStatus.EXPIRED, "expired", actor)
    return ticket.status


# --- transitions, shared with the staff's actions ------------------------------------------------------


def record_event(uow: UnitOfWork, ticket: Ticket, kind: str, actor: str, **details: object) -> QueueEvent:
    from lambdas.shared.db.queue.models import QueueEvent

    event = QueueEvent(
        ticket_id=ticket.id,
        site_id=ticket.site_id,
        station_id=ticket.station_id,
        kind=kind,
        counter=ticket.called_by_counter,
        actor=actor,
        at=utcnow(),
        seconds=details.pop("seconds", None),
        details=details,
    )
    uow.queue.record(event)
    return event


def requeue(uow: UnitOfWork, ticket: Ticket, kind: str, actor: str, **details: object) -> None:
    """Back to its station's queue, ahead of everyone (``recalled``), for a person who missed a call."""
    record_event(uow, ticket, kind, actor, **details)
    ticket.status, ticket.recalled = TicketStatus.WAITING, True
    ticket.called_at = ticket.called_by_counter = None


def end_ticket(uow: UnitOfWork, ticket: Ticket, status: TicketStatus, kind: str, actor: str, **details: object) -> None:
    """The ticket's day is over. A walk-in's name was for calling them: it goes now."""
    ticket.status, ticket.ended_at, ticket.display_name = status, utcnow(), None
    record_event(uow, ticket, kind, actor, **details)
