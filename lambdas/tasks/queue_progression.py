"""The queue progression workflow's tasks: one small handler each, ids in, a typed output out.

A step that finds the ticket's day over raises ``TicketEnded``: the ASL catches it by name, and
``read_outcome`` gives how it ended, in its typed output. A wait that staff answered before the
workflow reached it is answered at once, by the task itself, as staff would have answered it.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import ConfigDict

from lambdas.shared.db.unit_of_work import UnitOfWork
from lambdas.shared.domain import TicketStatus
from lambdas.shared.errors import TicketEnded
from lambdas.shared.model import Model
from lambdas.shared.observability import task_handler
from lambdas.shared.queue import steps
from lambdas.shared.signals import Actor, answered_with
from workflows.queue_progression import WORKFLOW

ACTOR = WORKFLOW.actor


class TicketStep(Model):
    model_config = ConfigDict(extra="forbid")

    ticket_id: str
    execution: str | None = None  # the execution ARN: the logs' correlation id


class WaitStep(TicketStep):
    waiting_for: Literal["call", "arrival", "service_end"]
    token: str


# --- what each task gives the workflow ($states.result.Payload) ------------------------------------------


class Entered(Model):
    ticket_id: str
    closes_in: int  # seconds until the site closes: the longest the ticket waits for its call
    grace_seconds: int  # to reach the counter once called


class Parked(Model):
    ticket_id: str
    waiting_for: str


class Moved(Model):
    ticket_id: str


class Outcome(Model):
    ticket_id: str
    outcome: TicketStatus  # how the ticket's day ended: completed, no_show, expired or cancelled


@task_handler
def enter_station(event: dict[str, Any], context: Any) -> Entered:
    step = TicketStep.model_validate(event)
    station = UnitOfWork(ACTOR).run(steps.enter_station, step.ticket_id)
    return Entered(ticket_id=step.ticket_id, closes_in=station.closes_in, grace_seconds=station.grace_seconds)


@task_handler
@answered_with(steps.TicketAnswer)
def await_ticket(event: dict[str, Any], context: Any) -> Parked:
    step = WaitStep.model_validate(event)
    Actor(ACTOR).run(steps.await_ticket, step.ticket_id, step.waiting_for, step.token)  # answered at once, maybe
    return Parked(ticket_id=step.ticket_id, waiting_for=step.waiting_for)


@task_handler
def miss_call(event: dict[str, Any], context: Any) -> Moved:
    step = TicketStep.model_validate(event)
    ended = UnitOfWork(ACTOR).run(steps.miss_call, step.ticket_id, ACTOR)
    if ended is not None:  # raised once the no-show is committed
        raise TicketEnded(ended)
    return Moved(ticket_id=step.ticket_id)


@task_handler
def expire_ticket(event: dict[str, Any], context: Any) -> Moved:
    step = TicketStep.model_validate(event)
    ended = UnitOfWork(ACTOR).run(steps.expire, step.ticket_id, ACTOR)
    if ended is not None:  # raised once the expiry is committed
        raise TicketEnded(ended)
    return Moved(ticket_id=step.ticket_id)


@task_handler
def read_outcome(event: dict[str, Any], context: Any) -> Outcome:
    step = TicketStep.model_validate(event)
    return Outcome(ticket_id=step.ticket_id, outcome=UnitOfWork(ACTOR).run(steps.outcome_of, step.ticket_id))
