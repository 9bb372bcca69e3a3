"""Orders of glasses: the front desk creates them and records what happens (another frame, the lab's
result phoned in, the quality check, the pickup, a cancellation); the lab posts its results on its
own route, with its own kind of token."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Body, Query
from pydantic import Field

from lambdas.api.access import FRONT_DESK_WORK, LAB_CLIENT, READ_RECORDS, Routes
from lambdas.api.caller import actor
from lambdas.api.openapi import RETRY_AFTER, Error
from lambdas.api.parameters import idempotency_key, uuid_id
from lambdas.shared.cursor import InvalidCursor
from lambdas.shared.domain import OrderStatus
from lambdas.shared.errors import InvalidField
from lambdas.shared.fields import SLUG_PATTERN, UUID_PATTERN, query_count
from lambdas.shared.model import Model
from lambdas.shared.orders import desk, intake, views
from lambdas.shared.orders.desk import Answer
from lambdas.shared.orders.views import OrderPage, OrderView

routes = Routes("orders")

OrderId = Annotated[str, uuid_id("order")]
IdempotencyKey = Annotated[str | None, idempotency_key("order give back the first order")]
WRONG_STATE = "the order's status does not allow this (the message names it)"


class Accepted(Model):
    order_id: str
    execution_arn: str
    status_url: str


class DeviationView(Model):
    field: str = Field(description="right.sphere, left.axis …")
    ordered: str
    measured: str | None
    tolerance: str


class Answered(Model):
    order_id: str
    status: OrderStatus
    deviations: list[DeviationView] = Field(description="a quality check's values outside tolerance")

    @classmethod
    def of(cls, answer: Answer) -> Answered:
        deviations = [
            DeviationView(
                field=d.field,
                ordered=str(d.ordered),
                measured=None if d.measured is None else str(d.measured),
                tolerance=str(d.tolerance),
            )
            for d in answer.deviations
        ]
        return cls(order_id=answer.order_id, status=answer.status, deviations=deviations)


@routes.post(
    "/orders",
    allow=FRONT_DESK_WORK,
    status_code=202,
    summary="Order glasses for an active client (starts the order-fulfilment workflow)",
    responses={
        409: "the client is not active, or the Idempotency-Key was used for another order",
        503: {
            "description": "the database cannot be reached: nothing was stored; repeat the request",
            "content": {"application/json": {"model": Error}},
            "headers": RETRY_AFTER,
        },
    },
)
def handle_create_order(
    request: Annotated[intake.CreateOrder, Body()], idempotency_key: IdempotencyKey = None
) -> Accepted:
    caller = actor(routes.router)
    created = caller.run(intake.create_order, request, caller.name, idempotency_key)
    return Accepted(
        order_id=created.order_id, execution_arn=created.execution_arn, status_url=f"/orders/{created.order_id}"
    )


@routes.get("/orders/{order_id}", allow=READ_RECORDS, summary="An order: where it is, its prescription, its events")
def handle_get_order(order_id: OrderId) -> OrderView:
    return actor(routes.router).run(views.get_order, order_id)


@routes.get("/orders", allow=READ_RECORDS, summary="Orders, newest first: a client's, a site's, or by status")
def handle_list_orders(
    client_id: Annotated[str | None, Query(pattern=UUID_PATTERN, description="a client's orders")] = None,
    site_id: Annotated[str | None, Query(pattern=SLUG_PATTERN, description="a site's orders")] = None,
    status: Annotated[OrderStatus | None, Query()] = None,
    limit: Annotated[int, *query_count(1, 100), Query()] = 20,
    cursor: Annotated[str | None, Query(max_length=500, description="next_cursor of the previous page")] = None,
) -> OrderPage:
    try:
        return actor(routes.router).run(views.list_orders, client_id, status, limit, cursor, site_id)
    except InvalidCursor as error:
        raise InvalidField("query.cursor", str(error)) from error


def _act(action: Callable[..., Answer], order_id: str, *arguments: object) -> Answered:
    caller = actor(routes.router)
    return Answered.of(caller.run(action, order_id, *arguments, caller.name))


@routes.post(
    "/orders/{order_id}/frame",
    allow=FRONT_DESK_WORK,
    summary="Give an order waiting for a frame another of the site's frames, in stock",
    responses={409: WRONG_STATE + ", or that frame is out of stock too"},
)
def handle_choose_frame(order_id: OrderId, choice: Annotated[desk.FrameChoice, Body()]) -> Answered:
    return _act(desk.choose_frame, order_id, choice)


@routes.post(
    "/orders/{order_id}/lab-result",
    allow=FRONT_DESK_WORK,
    summary="Record what the lab said (phoned in): in production, shipped, or rejected with its reason",
    responses={409: WRONG_STATE},
)
def handle_record_lab_result(order_id: OrderId, result: Annotated[desk.LabResult, Body()]) -> Answered:
    return _act(desk.lab_result, order_id, result)


@routes.post(
    "/lab/orders/{order_id}/result",
    allow=frozenset(),
    scopes=LAB_CLIENT,
    summary="The lab's own report on an order: in production, shipped, or rejected with its reason",
    responses={409: WRONG_STATE},
)
def handle_record_lab_report(order_id: OrderId, result: Annotated[desk.LabResult, Body()]) -> Answered:
    return _act(desk.lab_result, order_id, result)


@routes.post(
    "/orders/{order_id}/quality-check",
    allow=FRONT_DESK_WORK,
    summary="Check the finished lenses against the prescription (ANSI Z80.1): ready, a remake, or qc_failed",
    responses={409: WRONG_STATE + ", or its prescription was erased"},
)
def handle_record_quality_check(order_id: OrderId, check: Annotated[desk.QualityCheck, Body()]) -> Answered:
    return _act(desk.quality_check, order_id, check)


@routes.post(
    "/orders/{order_id}/pickup",
    allow=FRONT_DESK_WORK,
    summary="The client collected the glasses",
    responses={409: WRONG_STATE},
)
def handle_record_pickup(order_id: OrderId) -> Answered:
    return _act(desk.pickup, order_id)


@routes.post(
    "/orders/{order_id}/cancel",
    allow=FRONT_DESK_WORK,
    summary="Cancel an order that is not over: its frame goes back on the shelf unless the lab has it",
    responses={409: WRONG_STATE},
)
def handle_cancel_order(order_id: OrderId, cancellation: Annotated[desk.Cancellation, Body()]) -> Answered:
    return _act(desk.cancel, order_id, cancellation)
