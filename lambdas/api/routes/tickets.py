"""The queue of a clinic day: check-in, the counters' calls and actions, the board, the statistics."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.content_types import APPLICATION_JSON
from aws_lambda_powertools.event_handler.openapi.params import Body, Query
from pydantic import ConfigDict, Field

from lambdas.api.access import FRONT_DESK_WORK, READ_BOARD, READ_RECORDS, READ_STATISTICS, Routes
from lambdas.api.caller import actor
from lambdas.api.openapi import RETRY_AFTER, Error
from lambdas.api.parameters import idempotency_key, uuid_id
from lambdas.api.routes.sites import SiteId, StationId
from lambdas.shared.domain import TicketStatus
from lambdas.shared.fields import UUID_PATTERN, IsoDate
from lambdas.shared.model import Model
from lambdas.shared.queue import calling, desk, tickets, views
from lambdas.shared.queue.sites import Slug
from lambdas.shared.queue.views import TicketView

routes = Routes("queue")

TicketId = Annotated[str, uuid_id("ticket")]
IdempotencyKey = Annotated[str | None, idempotency_key("check-in give back the first ticket")]
WRONG_STATE = "the ticket's status does not allow this action (the message names it)"


class CheckedIn(Model):
    """A person checked in: their ticket, and where they wait."""

    ticket_id: str
    number: str = Field(description="what the person and the board see: A007")
    station_id: str
    position: int | None = Field(description="its place in the station's queue (1 is next)")
    estimated_wait_minutes: int | None
    execution_arn: str
    status_url: str


class CounterCall(Model):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"counter": "desk-1"}]})

    counter: Slug = Field(description="the counter calling, one of the station's")


class Completion(Model):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{}, {"next_station": "frame-fitting"}]})

    next_station: Slug | None = Field(None, description="instead of the journey's next station")


class ClientLink(Model):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"client_id": "4f0c2b1e-8d7a-4c55-9f1e-2a3b4c5d6e7f"}]}
    )

    client_id: str = Field(pattern=UUID_PATTERN, description="the client the walk-in was onboarded as today")


class Transfer(Model):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"station_id": "frame-fitting"}]})

    station_id: Slug = Field(description="the station of the site to send the ticket to now")


@routes.post(
    "/sites/{site_id}/tickets",
    allow=FRONT_DESK_WORK,
    status_code=201,
    summary="Check a person in: a ticket number at once (starts the queue-progression workflow)",
    responses={
        409: "the site is closed now, has no default journey, the client was erased, or the Idempotency-Key was "
        "used for another",
        503: {
            "description": "the database cannot be reached (unavailable): no ticket was numbered; repeat the request",
            "content": {"application/json": {"model": Error}},
            "headers": RETRY_AFTER,
        },
    },
)
def handle_check_in_person(
    site_id: SiteId, request: Annotated[tickets.CheckIn, Body()], idempotency_key: IdempotencyKey = None
) -> CheckedIn:
    caller = actor(routes.router)
    issued = caller.run(tickets.check_in, site_id, request, caller.name, idempotency_key)
    place = issued.place
    return CheckedIn(
        ticket_id=issued.ticket_id,
        number=issued.number,
        station_id=issued.station_id,
        position=place.position if place else None,
        estimated_wait_minutes=place.minutes if place else None,
        execution_arn=issued.execution_arn,
        status_url=f"/tickets/{issued.ticket_id}",
    )


@routes.get("/tickets/{ticket_id}", allow=READ_RECORDS, summary="A ticket: where it is, its place in line")
def handle_get_ticket(ticket_id: TicketId) -> TicketView:
    return actor(routes.router).run(views.get_ticket, ticket_id)


@routes.get("/tickets", allow=READ_RECORDS, summary="A client's tickets, the latest first (the last 50)")
def handle_client_tickets(
    client_id: Annotated[str, Query(pattern=UUID_PATTERN, description="the client whose visits to list")],
) -> views.TicketPage:
    return actor(routes.router).run(views.client_tickets, client_id)


@routes.get("/sites/{site_id}/tickets", allow=READ_RECORDS, summary="A site's tickets of a day, in check-in order")
def handle_list_tickets(
    site_id: SiteId,
    status: Annotated[TicketStatus | None, Query()] = None,
    station_id: Annotated[str | None, Query(pattern=r"^[a-z0-9-]{1,36}$", description="where they are now")] = None,
    day: Annotated[IsoDate | None, Query(description="the site's clinic day (YYYY-MM-DD); today by default")] = None,
) -> views.TicketPage:
    return actor(routes.router).run(views.list_tickets, site_id, day, status, station_id)


@routes.post(
    "/sites/{site_id}/stations/{station_id}/call-next",
    allow=FRONT_DESK_WORK,
    summary="Call the next person to a counter: recalled, priority (never starving others), appointments, first come",
    responses={
        # the return annotation admits the 204's empty body (Powertools validates every answer against
        # it); the document still says a 200 is a ticket, a 204 nothing
        200: {"description": "the ticket called", "content": {APPLICATION_JSON: {"model": TicketView}}},
        204: {"description": "nobody is waiting at this station", "content": {}},
        409: "this counter called someone who has not come yet (the message names them): mark them arrived, "
        "recall them or mark a no-show first",
    },
)
def handle_call_next_person(
    site_id: SiteId, station_id: StationId, call: Annotated[CounterCall, Body()]
) -> TicketView | None:
    caller = actor(routes.router)
    called = caller.run(calling.call_next, site_id, station_id, call.counter, caller.name)
    if called is None:
        return Response(status_code=204)  # type: ignore[return-value]  # Powertools documents the annotation
    return called


@routes.post(
    "/tickets/{ticket_id}/call",
    allow=FRONT_DESK_WORK,
    summary="Call this waiting ticket to a counter of its station",
    responses={409: WRONG_STATE},
)
def handle_call_ticket(ticket_id: TicketId, call: Annotated[CounterCall, Body()]) -> TicketView:
    caller = actor(routes.router)
    return caller.run(desk.call_ticket, ticket_id, call.counter, caller.name)


@routes.post(
    "/tickets/{ticket_id}/arrived",
    allow=FRONT_DESK_WORK,
    summary="The called person reached the counter: the service starts",
    responses={409: WRONG_STATE},
)
def handle_mark_arrived(ticket_id: TicketId) -> TicketView:
    caller = actor(routes.router)
    return caller.run(desk.mark_arrived, ticket_id, caller.name)


@routes.post(
    "/tickets/{ticket_id}/recall",
    allow=FRONT_DESK_WORK,
    summary="The called person is not there yet: back to the front of the queue (a second miss is a no-show)",
    responses={409: WRONG_STATE},
)
def handle_recall_ticket(ticket_id: TicketId) -> TicketView:
    caller = actor(routes.router)
    return caller.run(desk.recall, ticket_id, caller.name)


@routes.post(
    "/tickets/{ticket_id}/no-show",
    allow=FRONT_DESK_WORK,
    summary="The person is gone: the ticket ends as a no-show",
    responses={409: WRONG_STATE},
)
def handle_mark_no_show(ticket_id: TicketId) -> TicketView:
    caller = actor(routes.router)
    return caller.run(desk.mark_no_show, ticket_id, caller.name)


@routes.post(
    "/tickets/{ticket_id}/complete",
    allow=FRONT_DESK_WORK,
    summary="The service is over: on to the next station of the journey (or next_station), or done",
    responses={409: WRONG_STATE},
)
def handle_complete_service(ticket_id: TicketId, completion: Annotated[Completion | None, Body()] = None) -> TicketView:
    caller = actor(routes.router)
    next_station = completion.next_station if completion else None
    return caller.run(desk.complete, ticket_id, next_station, caller.name)


@routes.post(
    "/tickets/{ticket_id}/transfer",
    allow=FRONT_DESK_WORK,
    summary="Send the ticket to another station now",
    responses={409: WRONG_STATE + ", or the ticket is at that station already"},
)
def handle_transfer_ticket(ticket_id: TicketId, transfer: Annotated[Transfer, Body()]) -> TicketView:
    caller = actor(routes.router)
    return caller.run(desk.transfer, ticket_id, transfer.station_id, caller.name)


@routes.post(
    "/tickets/{ticket_id}/cancel",
    allow=FRONT_DESK_WORK,
    summary="The person left: the ticket ends, wherever it was",
    responses={409: WRONG_STATE},
)
def handle_cancel_ticket(ticket_id: TicketId) -> TicketView:
    caller = actor(routes.router)
    return caller.run(desk.cancel, ticket_id, caller.name)


@routes.post(
    "/tickets/{ticket_id}/client",
    allow=FRONT_DESK_WORK,
    summary="Link a walk-in's ticket of today to the client they were just onboarded as",
    responses={409: "the ticket is another client's or not of today, or the client was erased or merged"},
)
def handle_link_client(ticket_id: TicketId, link: Annotated[ClientLink, Body()]) -> TicketView:
    caller = actor(routes.router)
    return caller.run(desk.link_client, ticket_id, link.client_id, caller.name)


@routes.get(
    "/sites/{site_id}/board",
    allow=READ_BOARD,
    summary="The waiting room's screen: per station the numbers called, to which counter, how many wait",
)
def handle_get_board(site_id: SiteId) -> views.Board:
    return actor(routes.router).run(views.board, site_id)


@routes.get(
    "/sites/{site_id}/statistics",
    allow=READ_STATISTICS,
    summary="A clinic day's figures per station and counter: served, no-shows, waits and services",
)
def handle_get_statistics(
    site_id: SiteId,
    day: Annotated[IsoDate | None, Query(description="the site's clinic day (YYYY-MM-DD); today by default")] = None,
) -> views.Statistics:
    return actor(routes.router).run(views.day_statistics, site_id, day)
