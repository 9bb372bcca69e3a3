"""The queue of a clinic day: check-in, the counters' calls and actions, the board, the statistics."""

from __future__ import annotations

from contextlib import suppress
from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.content_types import APPLICATION_JSON
from aws_lambda_powertools.event_handler.openapi.params import Body, Query
from pydantic import BaseModel, ConfigDict, Field

from lambdas.api.access import ANY_GROUP, FRONT_DESK_WORK, READ_RECORDS, READ_STATISTICS, Routes
from lambdas.api.caller import current_caller, unit_of_work
from lambdas.api.openapi import RETRY_AFTER, Error
from lambdas.api.parameters import idempotency_key, uuid_id
from lambdas.api.routes.sites import SiteId, StationId
from lambdas.shared import waiting
from lambdas.shared.db.unit_of_work import UnitOfWork
from lambdas.shared.domain import TicketStatus
from lambdas.shared.errors import ConcurrentSubmission, WorkflowUnavailable
from lambdas.shared.fields import IsoDate
from lambdas.shared.queue import calling, desk, tickets, views
from lambdas.shared.queue.sites import Slug
from lambdas.shared.queue.views import TicketView
from lambdas.shared.stepfunctions import CallbackClosed, workflows
from workflows.queue_progression import WORKFLOW as QUEUE_PROGRESSION

routes = Routes("queue")

TicketId = Annotated[str, uuid_id("ticket")]
IdempotencyKey = Annotated[str | None, idempotency_key("check-in give back the first ticket")]
WRONG_STATE = "the ticket's status does not allow this action (the message names it)"


class CheckedIn(BaseModel):
    ticket_id: str
    number: str = Field(description="what the person and the board see: A007")
    station_id: str
    position: int | None = Field(description="its place in the station's queue (1 is next)")
    estimated_wait_minutes: int | None
    execution_arn: str
    status_url: str


class CounterCall(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"counter": "desk-1"}]})

    counter: Slug = Field(description="the counter calling, one of the station's")


class Completion(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{}, {"next_station": "frame-fitting"}]})

    next_station: Slug | None = Field(None, description="instead of the journey's next station")


class Transfer(BaseModel):
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
            "description": "the database or Step Functions cannot be reached (unavailable): the ticket, if one was "
            "numbered, is cancelled; repeat the request",
            "content": {"application/json": {"model": Error}},
            "headers": RETRY_AFTER,
        },
    },
)
def handle_check_in(
    site_id: SiteId, request: Annotated[tickets.CheckIn, Body()], idempotency_key: IdempotencyKey = None
) -> CheckedIn:
    actor = current_caller(routes.router).sub
    try:
        checked, repeat = _check_in(site_id, request, actor, idempotency_key)
    except ConcurrentSubmission:  # the same key was being stored: its ticket is there now
        checked, repeat = _check_in(site_id, request, actor, idempotency_key)
    try:
        workflows().start(QUEUE_PROGRESSION, checked.ticket_id, {"ticket_id": checked.ticket_id})
    except WorkflowUnavailable:
        # no ticket waits without a workflow to follow it (none would call, expire or forget it); a
        # repeat's ticket was checked in by the first request, whose workflow follows it: it stays
        if not repeat:
            unit_of_work(routes.router).run(tickets.withdraw_check_in, checked.ticket_id, actor)
        raise
    return checked


def _check_in(site_id: str, request: tickets.CheckIn, actor: str, key: str | None) -> tuple[CheckedIn, bool]:
    """The ticket and its place in line, from one transaction; whether an earlier request made it."""

    def execution_arn(ticket_id: str) -> str:
        return workflows().execution_arn(QUEUE_PROGRESSION, ticket_id)

    checked = unit_of_work(routes.router).run(tickets.check_in, site_id, request, actor, key, execution_arn)
    place = checked.place
    answer = CheckedIn(
        ticket_id=checked.ticket_id,
        number=checked.number,
        station_id=checked.station_id,
        position=place.position if place else None,
        estimated_wait_minutes=place.minutes if place else None,
        execution_arn=checked.execution_arn or execution_arn(checked.ticket_id),
        status_url=f"/tickets/{checked.ticket_id}",
    )
    return answer, checked.repeat


@routes.get("/tickets/{ticket_id}", allow=READ_RECORDS, summary="A ticket: where it is, its place in line")
def handle_get_ticket(ticket_id: TicketId) -> TicketView:
    return unit_of_work(routes.router).run(views.get_ticket, ticket_id)


@routes.get("/sites/{site_id}/tickets", allow=READ_RECORDS, summary="A site's tickets of a day, in check-in order")
def handle_list_tickets(
    site_id: SiteId,
    status: Annotated[TicketStatus | None, Query()] = None,
    station_id: Annotated[str | None, Query(pattern=r"^[a-z0-9-]{1,36}$", description="where they are now")] = None,
    day: Annotated[IsoDate | None, Query(description="the site's clinic day (YYYY-MM-DD); today by default")] = None,
) -> views.TicketPage:
    return unit_of_work(routes.router).run(views.list_tickets, site_id, day, status, station_id)


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
def handle_call_next(site_id: SiteId, station_id: StationId, call: Annotated[CounterCall, Body()]) -> TicketView | None:
    actor = current_caller(routes.router).sub
    action = unit_of_work(routes.router).run(calling.call_next, site_id, station_id, call.counter, actor)
    if action is None:
        return Response(status_code=204)  # type: ignore[return-value]  # Powertools documents the annotation
    return _wake(actor, action, "called")


@routes.post(
    "/tickets/{ticket_id}/call",
    allow=FRONT_DESK_WORK,
    summary="Call this waiting ticket to a counter of its station",
    responses={409: WRONG_STATE},
)
def handle_call(ticket_id: TicketId, call: Annotated[CounterCall, Body()]) -> TicketView:
    actor = current_caller(routes.router).sub
    action = unit_of_work(routes.router).run(desk.call_ticket, ticket_id, call.counter, actor)
    return _wake(actor, action, "called")


@routes.post(
    "/tickets/{ticket_id}/arrived",
    allow=FRONT_DESK_WORK,
    summary="The called person reached the counter: the service starts",
    responses={409: WRONG_STATE},
)
def handle_arrived(ticket_id: TicketId) -> TicketView:
    actor = current_caller(routes.router).sub
    action = unit_of_work(routes.router).run(desk.arrived, ticket_id, actor)
    return _wake(actor, action, "arrived")


@routes.post(
    "/tickets/{ticket_id}/recall",
    allow=FRONT_DESK_WORK,
    summary="The called person is not there yet: back to the front of the queue (a second miss is a no-show)",
    responses={409: WRONG_STATE},
)
def handle_recall(ticket_id: TicketId) -> TicketView:
    actor = current_caller(routes.router).sub
    action = unit_of_work(routes.router).run(desk.recall, ticket_id, actor)
    return _wake(actor, action, "recalled")


@routes.post(
    "/tickets/{ticket_id}/no-show",
    allow=FRONT_DESK_WORK,
    summary="The person is gone: the ticket ends as a no-show",
    responses={409: WRONG_STATE},
)
def handle_no_show(ticket_id: TicketId) -> TicketView:
    actor = current_caller(routes.router).sub
    action = unit_of_work(routes.router).run(desk.no_show, ticket_id, actor)
    return _wake(actor, action, "no_show")


@routes.post(
    "/tickets/{ticket_id}/complete",
    allow=FRONT_DESK_WORK,
    summary="The service is over: on to the next station of the journey (or next_station), or done",
    responses={409: WRONG_STATE},
)
def handle_complete(ticket_id: TicketId, completion: Annotated[Completion | None, Body()] = None) -> TicketView:
    actor = current_caller(routes.router).sub
    next_station = completion.next_station if completion else None
    action = unit_of_work(routes.router).run(desk.complete, ticket_id, next_station, actor)
    return _wake(actor, action, "completed")


@routes.post(
    "/tickets/{ticket_id}/transfer",
    allow=FRONT_DESK_WORK,
    summary="Send the ticket to another station now",
    responses={409: WRONG_STATE + ", or the ticket is at that station already"},
)
def handle_transfer(ticket_id: TicketId, transfer: Annotated[Transfer, Body()]) -> TicketView:
    actor = current_caller(routes.router).sub
    action = unit_of_work(routes.router).run(desk.transfer, ticket_id, transfer.station_id, actor)
    return _wake(actor, action, "transferred")


@routes.post(
    "/tickets/{ticket_id}/cancel",
    allow=FRONT_DESK_WORK,
    summary="The person left: the ticket ends, wherever it was",
    responses={409: WRONG_STATE},
)
def handle_cancel(ticket_id: TicketId) -> TicketView:
    actor = current_caller(routes.router).sub
    action = unit_of_work(routes.router).run(desk.cancel, ticket_id, actor)
    return _wake(actor, action, "cancelled")


def _wake(actor: str, action: desk.Action, done: str) -> TicketView:
    """Tell the ticket's workflow, if it was waiting, then show the ticket as it is now. An execution
    that no longer waits (its wait timed out this instant) finds the change when it reads the row."""
    if action.token is not None:

        def take_back(uow: UnitOfWork, reopen: bool) -> None:
            if reopen:
                desk.take_back(uow, action)

        with suppress(CallbackClosed):
            waiting.deliver(actor, action.token, {"ticket_id": action.ticket_id, "action": done}, take_back)
    return UnitOfWork(actor).run(views.get_ticket, action.ticket_id)


@routes.get(
    "/sites/{site_id}/board",
    allow=ANY_GROUP,
    summary="The waiting room's screen: per station the numbers called, to which counter, how many wait",
)
def handle_board(site_id: SiteId) -> views.Board:
    return unit_of_work(routes.router).run(views.board, site_id)


@routes.get(
    "/sites/{site_id}/statistics",
    allow=READ_STATISTICS,
    summary="A clinic day's figures per station and counter: served, no-shows, waits and services",
)
def handle_statistics(
    site_id: SiteId,
    day: Annotated[IsoDate | None, Query(description="the site's clinic day (YYYY-MM-DD); today by default")] = None,
) -> views.Statistics:
    return unit_of_work(routes.router).run(views.day_statistics, site_id, day)
