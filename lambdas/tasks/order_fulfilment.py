"""The order fulfilment workflow's tasks: one small handler each, ids in, the order's status out (typed).

A wait that a person answered before the workflow reached it is answered at once, by the task
itself, with the order's status: the workflow goes where it says, as after a person's answer.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import ConfigDict

from lambdas.shared.db.unit_of_work import UnitOfWork
from lambdas.shared.domain import OrderStatus
from lambdas.shared.model import Model
from lambdas.shared.observability import task_handler
from lambdas.shared.orders import steps
from lambdas.shared.signals import Actor, answered_with
from workflows.order_fulfilment import WORKFLOW

ACTOR = WORKFLOW.actor
Wait = Literal["frame", "lab_result", "quality_check", "pickup"]


class OrderStep(Model):
    model_config = ConfigDict(extra="forbid")

    order_id: str
    execution: str | None = None  # the execution ARN: the logs' correlation id


class WaitStep(OrderStep):
    waiting_for: Wait
    token: str


class TimeoutStep(OrderStep):
    waited_for: Wait


class Stepped(Model):
    """The status, the lab's wait (null unless the order is at the lab), and the time between two
    pickup reminders (a stage's parameter: the workflow reads it at its start and after each wait)."""

    status: OrderStatus
    timeout_seconds: int | None
    heartbeat_seconds: int | None
    reminder_seconds: int


class Parked(Model):
    order_id: str
    waiting_for: Wait


def _answer(step: steps.Step) -> Stepped:
    return Stepped(
        status=step.status,
        timeout_seconds=step.timeout_seconds,
        heartbeat_seconds=step.heartbeat_seconds,
        reminder_seconds=steps.reminder_seconds(),
    )


@task_handler
def reserve_frame(event: dict[str, Any], context: Any) -> Stepped:
    step = OrderStep.model_validate(event)
    return _answer(UnitOfWork(ACTOR).run(steps.reserve_frame, step.order_id, ACTOR))


@task_handler
@answered_with(steps.OrderAnswer)
def await_order(event: dict[str, Any], context: Any) -> Parked:
    step = WaitStep.model_validate(event)
    Actor(ACTOR).run(steps.await_order, step.order_id, step.waiting_for, step.token, ACTOR)  # answered at once, maybe
    return Parked(order_id=step.order_id, waiting_for=step.waiting_for)


@task_handler
def submit_to_lab(event: dict[str, Any], context: Any) -> Stepped:
    step = OrderStep.model_validate(event)
    return _answer(UnitOfWork(ACTOR).run(steps.submit_to_lab, step.order_id, ACTOR))


@task_handler
def order_timed_out(event: dict[str, Any], context: Any) -> Stepped:
    step = TimeoutStep.model_validate(event)
    return _answer(UnitOfWork(ACTOR).run(steps.timed_out, step.order_id, step.waited_for, ACTOR))
