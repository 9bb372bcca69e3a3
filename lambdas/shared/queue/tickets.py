"""Checking a person in: a ticket number at once, unique and gapless per site, day and prefix.

The number is taken from the site's counter for the day under its row lock, in the transaction that
stores the ticket: two front desks checking people in at the same instant wait on each other for a
moment, and a check-in that fails gives its number back.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Annotated

from pydantic import (
    AfterValidator,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
)

from lambdas.shared import signals
from lambdas.shared.clock import utcnow
from lambdas.shared.db.base import new_id
from lambdas.shared.db.unit_of_work import UnitOfWork
from lambdas.shared.domain import ClientStatus, TicketPriority, TicketStatus
from lambdas.shared.errors import Conflict, InvalidField, NotFound
from lambdas.shared.fields import UUID_PATTERN, IsoTime, Name
from lambdas.shared.idempotency import earlier_entity
from lambdas.shared.model import Model
from lambdas.shared.queue import estimate
from lambdas.shared.queue.estimate import Place
from lambdas.shared.queue.sites import MAX_STATIONS, Slug, closing_time, service_day
from lambdas.shared.queue.steps import record_event
from lambdas.shared.stepfunctions import execution_arn_of
from workflows.queue_progression import WORKFLOW as QUEUE_PROGRESSION

if TYPE_CHECKING:  # tables are mapped on first use (lambdas/shared/db/unit_of_work.py)
    from lambdas.shared.db.queue.models import Ticket


class Priority(Model):
    model_config = ConfigDict(extra="forbid", frozen=True)

    reason: TicketPriority = Field(description="disability, pregnancy, elderly, child or medical")

    @field_validator("reason")
    @classmethod
    def _a_reason(cls, value: TicketPriority) -> TicketPriority:
        if value == TicketPriority.NONE:
            raise ValueError("a priority needs its reason; leave priority out for a normal ticket")
        return value


def _storable(value: datetime) -> datetime:
    """A time the column can hold: it is stored in UTC, which 9999-12-31T23:00:00-05:00 is not in."""
    try:
        value.astimezone(UTC)
    except OverflowError:
        raise ValueError("the time is out of range once in UTC") from None
    return value


AppointmentTime = Annotated[IsoTime, AfterValidator(_storable)]


class CheckIn(Model):
    """A person arriving at a site: an onboarded client, or a walk-in known by a name for the day."""

    model_config = ConfigDict(
        extra="forbid",
        frozen=True,
        json_schema_extra={"examples": [{"display_name": "Moussa"}, {"priority": {"reason": "elderly"}}]},
    )

    client_id: Annotated[str, Field(pattern=UUID_PATTERN)] | None = None
    display_name: Name | None = Field(None, description="for a walk-in not onboarded yet; never with client_id")
    journey: (
        Annotated[list[Slug], Field(min_length=1, max_length=MAX_STATIONS, json_schema_extra={"uniqueItems": True})]
        | None
    ) = Field(None, description="the stations to go through, in order; the site's default journey otherwise")
    priority: Priority | None = None
    appointment_at: AppointmentTime | None = Field(None, description="when the person was booked, if they were")

    @field_validator("journey")
    @classmethod
    def _each_station_once(cls, value: list[str] | None) -> list[str] | None:
        if value is not None and len(set(value)) != len(value):
            raise ValueError("a station appears twice in the journey")
        return value

    @field_validator("display_name")
    @classmethod
    def _one_identity(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is not None and info.data.get("client_id") is not None:
            raise ValueError("give client_id or display_name, not both")
        return value


@dataclass(frozen=True)
class TicketIssued:
    """A new ticket, or the one an earlier request with the same Idempotency-Key made."""

    ticket_id: str
    number: str
    station_id: str  # the journey's first
    service_day: date
    execution_arn: str  # the execution that follows it
    place: Place | None  # while it waits

    @classmethod
    def of(cls, ticket: Ticket, place: Place | None) -> TicketIssued:
        arn = ticket.execution_arn or execution_arn_of(QUEUE_PROGRESSION, ticket.id)
        return cls(ticket.id, ticket.label, ticket.journey[0], ticket.service_day, arn, place)


def _hours(hours: dict[str, list[str]]) -> str:
    return ", ".join(f"{day} {opens}-{closes}" for day, (opens, closes) in hours.items()) or "none set"


def check_in(
    uow: UnitOfWork, site_id: str, request: CheckIn, actor: str, idempotency_key: str | None = None
) -> TicketIssued:
    """A new ticket, its workflow started — or, for an Idempotency-Key seen before with the same
    request, that one."""
    ticket_id = new_id()
    if idempotency_key is not None:
        earlier = earlier_entity(uow, f"check-in at {site_id}", actor, idempotency_key, request, ticket_id, "check-in")
        if earlier is not None:
            ticket = uow.queue.get_one(earlier)
            waiting = ticket.status == TicketStatus.WAITING
            place = estimate.place(uow, uow.sites.get_one(site_id), ticket, utcnow()) if waiting else None
            return TicketIssued.of(ticket, place)
    site = uow.sites.get(site_id)
    if site is None:
        raise NotFound("site", site_id)
    stations = {station.id: station for station in site.stations}
    journey = list(request.journey or site.default_journey)
    if not journey:
        raise Conflict(f"site {site_id} has no default journey: give one, or configure the site's")
    for index, station_id in enumerate(journey):
        if station_id not in stations:
            raise InvalidField(f"journey.{index}", f"site {site_id} has no station {station_id}")
    if request.client_id is not None:
        client = uow.clients.get(request.client_id)
        if client is None:
            raise InvalidField("client_id", f"no client {request.client_id}: onboard them, or give a display_name")
        if client.status == ClientStatus.ERASED:
            raise Conflict(
                f"client {request.client_id} was erased: check the person in by a display_name or by number alone"
            )
    now = utcnow()
    if closing_time(site, now) is None:
        raise Conflict(f"site {site_id} is closed now (its hours: {_hours(site.hours)})")
    first = stations[journey[0]]
    day = service_day(site.timezone, now)
    if request.appointment_at is not None and service_day(site.timezone, request.appointment_at) != day:
        raise InvalidField(
            "appointment_at", f"an appointment today at site {site_id}: {day.isoformat()}, in {site.timezone}"
        )
    from lambdas.shared.db.queue.models import Ticket

    ticket = Ticket(
        id=ticket_id,
        site_id=site_id,
        service_day=day,
        prefix=first.prefix,
        station_id=first.id,
        journey=journey,
        priority=request.priority.reason if request.priority else TicketPriority.NONE,
        priority_set_by=actor if request.priority else None,
        appointment_at=request.appointment_at,
        client_id=request.client_id,
        display_name=request.display_name,
        checked_in_at=now,
        queued_at=now,
        checked_in_by=actor,
    )
    place = estimate.place(uow, site, ticket, now)  # before the number's lock: it is held for as little as can be
    ticket.number = uow.queue.next_number(site_id, day, first.prefix)
    ticket.execution_arn = signals.start(uow, QUEUE_PROGRESSION, ticket_id)
    uow.queue.add(ticket)
    record_event(uow, ticket, "checked_in", actor, **({"priority": ticket.priority} if request.priority else {}))
    return TicketIssued.of(ticket, place)
