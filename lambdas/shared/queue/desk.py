"""What staff do to a ticket: call it, see the person arrive, recall, mark a no-show, complete a
service, transfer, cancel.

Each action changes the ticket's row under its lock and records its event; if the ticket's workflow
is waiting, the action answers its wait in the same transaction (``signals.resume``), and the workflow
reads where the ticket is now (``steps``). Each gives the ticket as it is after it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from lambdas.shared import signals
from lambdas.shared.clock import utcnow
from lambdas.shared.db.unit_of_work import UnitOfWork
from lambdas.shared.domain import ClientStatus, TicketStatus
from lambdas.shared.errors import Conflict, InvalidField, NotFound
from lambdas.shared.fields import digest
from lambdas.shared.queue.sites import MAX_STATIONS, service_day
from lambdas.shared.queue.steps import TicketAnswer, end_ticket, record_event, requeue, tell_called, tell_next
from lambdas.shared.queue.views import TicketView, get_ticket

if TYPE_CHECKING:  # tables are mapped on first use (lambdas/shared/db/unit_of_work.py)
    from lambdas.shared.db.queue.models import Ticket
    from lambdas.shared.db.sites.models import Station

ACTIVE = (TicketStatus.WAITING, TicketStatus.CALLED, TicketStatus.SERVING)


def _locked(uow: UnitOfWork, ticket_id: str, verb: str, allowed: tuple[TicketStatus, ...]) -> Ticket:
    """The ticket, locked, if ``verb`` is possible in its status (409 naming the status otherwise)."""
    ticket = uow.queue.lock(ticket_id)
    if ticket is None:
        raise NotFound("ticket", ticket_id)
    if ticket.status not in allowed:
        *others, last = (str(status) for status in allowed)
        can = f"{', '.join(others)} or {last}" if others else last
        raise Conflict(f"ticket {ticket.label} is {ticket.status}: only a {can} ticket can be {verb}")
    return ticket


def _answered(uow: UnitOfWork, ticket: Ticket) -> TicketView:
    """The workflow's wait, if one is parked, answered with where the ticket is; the ticket as it is now."""
    if ticket.task_token is not None:
        signals.resume(uow, ticket.task_token, TicketAnswer(ticket_id=ticket.id, status=ticket.status))
        ticket.task_token = ticket.waiting_for = None
    return get_ticket(uow, ticket.id)


# --- the actions ---------------------------------------------------------------------------------------


def free_counter(uow: UnitOfWork, station: Station, counter: str) -> None:
    """``counter`` of ``station`` may call someone: it is one of the station's, and the person it
    called last has come (or was recalled, or is a no-show) — a double click calls nobody twice.
    Calls from one counter go one at a time until the transaction ends."""
    if counter not in station.counters:
        raise InvalidField(
            "counter",
            f"station {station.id} has no counter {counter} (its counters: {', '.join(station.counters)})",
        )
    uow.serialise(digest(f"call {station.site_id}/{station.id}/{counter}"))  # ids of any length, 64 characters
    called = uow.queue.called_to(station.site_id, station.id, service_day(station.site.timezone), counter)
    if called is not None:
        raise Conflict(
            f"counter {counter} has called {called.label} already: mark them arrived, recall them or mark a "
            "no-show first"
        )


def call(uow: UnitOfWork, ticket: Ticket, counter: str, actor: str) -> TicketView:
    """Call a waiting ticket (locked) to ``counter`` (``free_counter`` checked it)."""
    now = utcnow()
    ticket.status, ticket.called_at, ticket.called_by_counter = TicketStatus.CALLED, now, counter
    # a recalled person's wait was counted at their first call
    waited = None if ticket.recalled else int((now - ticket.queued_at).total_seconds())
    record_event(uow, ticket, "called", actor, seconds=waited, priority=ticket.priority, recalled=ticket.recalled)
    tell_called(uow, ticket)  # the person, and those now next, hear of it with the call
    tell_next(uow, ticket)
    return _answered(uow, ticket)


def call_ticket(uow: UnitOfWork, ticket_id: str, counter: str, actor: str) -> TicketView:
    found = uow.queue.get(ticket_id)
    if found is None:
        raise NotFound("ticket", ticket_id)
    # the counter first, as call-next takes it: two calls never wait on each other's locks
    free_counter(
        uow, next(each for each in uow.sites.get_one(found.site_id).stations if each.id == found.station_id), counter
    )
    ticket = _locked(uow, ticket_id, "called", (TicketStatus.WAITING,))
    if ticket.station_id != found.station_id:  # transferred meanwhile
        raise Conflict(f"ticket {ticket.label} moved to station {ticket.station_id}: call it from there")
    return call(uow, ticket, counter, actor)


def mark_arrived(uow: UnitOfWork, ticket_id: str, actor: str) -> TicketView:
    """The called person reached the counter: the service starts."""
    ticket = _locked(uow, ticket_id, "marked arrived", (TicketStatus.CALLED,))
    ticket.status, ticket.served_at = TicketStatus.SERVING, utcnow()
    record_event(uow, ticket, "arrived", actor)
    return _answered(uow, ticket)


def recall(uow: UnitOfWork, ticket_id: str, actor: str) -> TicketView:
    """The called person is not there yet: back to the front of the station's queue, as after a
    first missed call (the grace period missed after that is a no-show)."""
    ticket = _locked(uow, ticket_id, "recalled", (TicketStatus.CALLED,))
    requeue(uow, ticket, "recalled", actor)
    return _answered(uow, ticket)


def mark_no_show(uow: UnitOfWork, ticket_id: str, actor: str) -> TicketView:
    """The person is gone: the ticket ends as a no-show."""
    ticket = _locked(uow, ticket_id, "marked a no-show", (TicketStatus.WAITING, TicketStatus.CALLED))
    end_ticket(uow, ticket, TicketStatus.NO_SHOW, "no_show", actor)
    return _answered(uow, ticket)


def cancel(uow: UnitOfWork, ticket_id: str, actor: str) -> TicketView:
    """The person left."""
    ticket = _locked(uow, ticket_id, "cancelled", ACTIVE)
    end_ticket(uow, ticket, TicketStatus.CANCELLED, "cancelled", actor, was=ticket.status)
    return _answered(uow, ticket)


def link_client(uow: UnitOfWork, ticket_id: str, client_id: str, actor: str) -> TicketView:
    """A walk-in onboarded the same day: the ticket is now the client's (the first name it carried goes,
    the record has it). Linking it to the same client again changes nothing."""
    ticket = uow.queue.lock(ticket_id)
    if ticket is None:
        raise NotFound("ticket", ticket_id)
    if ticket.client_id == client_id:
        return get_ticket(uow, ticket.id)
    if ticket.client_id is not None:
        raise Conflict(f"ticket {ticket.label} is another client's already")
    site = uow.sites.get(ticket.site_id)
    if site is None or ticket.service_day != service_day(site.timezone):
        raise Conflict(f"ticket {ticket.label} is of {ticket.service_day}: only a ticket of today can be linked")
    client = uow.clients.get(client_id)
    if client is None:
        raise InvalidField("client_id", f"no client {client_id}")
    if client.status in (ClientStatus.ERASED, ClientStatus.MERGED):
        raise Conflict(f"client {client_id} is {client.status}: link the ticket to the client it was merged into")
    ticket.client_id, ticket.display_name = client_id, None
    uow.audit("ticket.client_linked", "ticket", ticket.id, client_id=client_id, by=actor)
    return get_ticket(uow, ticket.id)


def end_stopped(uow: UnitOfWork, ticket_id: str, actor: str) -> bool:
    """Ops stopped the ticket's workflow: a ticket still in the queue is cancelled (True)."""
    ticket = uow.queue.lock(ticket_id)
    if ticket is None or ticket.status not in ACTIVE:
        return False
    ticket.waiting_for = ticket.task_token = None
    end_ticket(uow, ticket, TicketStatus.CANCELLED, "cancelled", actor, was=ticket.status, stopped=True)
    return True


def complete(uow: UnitOfWork, ticket_id: str, next_station: str | None, actor: str) -> TicketView:
    """The service at this station is over: on to the next station of the journey (or
    ``next_station``), or, at the journey's end, the ticket's day is complete."""
    ticket = _locked(uow, ticket_id, "completed", (TicketStatus.SERVING,))
    _served(uow, ticket, actor)
    if next_station is not None:
        _route_to(uow, ticket, next_station, "next_station", skip=True)
    if ticket.journey_index + 1 >= len(ticket.journey):
        end_ticket(uow, ticket, TicketStatus.COMPLETED, "completed", actor)
    else:
        _move_on(ticket)
    return _answered(uow, ticket)


def transfer(uow: UnitOfWork, ticket_id: str, station_id: str, actor: str) -> TicketView:
    """Send the ticket to another station now, wherever it is in its current one."""
    ticket = _locked(uow, ticket_id, "transferred", ACTIVE)
    if station_id == ticket.station_id:
        raise Conflict(f"ticket {ticket.label} is {ticket.status} at station {station_id} already")
    if ticket.status == TicketStatus.SERVING:
        _served(uow, ticket, actor)
    _route_to(uow, ticket, station_id, "station_id", skip=False)
    record_event(uow, ticket, "transferred", actor, to=station_id)
    _move_on(ticket)
    return _answered(uow, ticket)


def _served(uow: UnitOfWork, ticket: Ticket, actor: str) -> None:
    served = int((utcnow() - ticket.served_at).total_seconds()) if ticket.served_at else None
    record_event(uow, ticket, "served", actor, seconds=served)


def _route_to(uow: UnitOfWork, ticket: Ticket, station_id: str, field_name: str, *, skip: bool) -> None:
    """Make ``station_id`` the ticket's next station. ``skip``: the stations of the journey before it
    are skipped (a completion's ``next_station``); otherwise it is visited now and the rest of the
    journey follows, none of it lost (a transfer)."""
    site = uow.sites.get_one(ticket.site_id)
    if station_id not in {station.id for station in site.stations}:
        raise InvalidField(field_name, f"site {ticket.site_id} has no station {station_id}")
    done, rest = ticket.journey[: ticket.journey_index + 1], ticket.journey[ticket.journey_index + 1 :]
    if skip and station_id in rest:
        rest = rest[rest.index(station_id) :]
    else:
        rest = [station_id, *(other for other in rest if other != station_id)]
    if len(done) + len(rest) > 2 * MAX_STATIONS:
        raise Conflict(f"ticket {ticket.label} is {ticket.status} after {len(done)} stations today: check it in again")
    ticket.journey = done + rest


def _move_on(ticket: Ticket) -> None:
    """Into the queue of the next station of its journey, keeping its check-in time (fairness)."""
    ticket.journey_index += 1
    ticket.station_id = ticket.journey[ticket.journey_index]
    ticket.status, ticket.recalled, ticket.queued_at = TicketStatus.WAITING, False, utcnow()
    ticket.called_at = ticket.called_by_counter = ticket.served_at = None
