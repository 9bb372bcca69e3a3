"""Orders as the front desk and managers read them: where each is, what it waits for, its events.
The prescription's values are shown on the order itself only (never in lists)."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from pydantic import Field

from lambdas.shared.cursor import InvalidCursor, decode, encode
from lambdas.shared.db.unit_of_work import UnitOfWork
from lambdas.shared.domain import OrderStatus
from lambdas.shared.errors import NotFound
from lambdas.shared.model import Model

if TYPE_CHECKING:  # tables are mapped on first use (lambdas/shared/db/unit_of_work.py)
    from lambdas.shared.db.orders.models import Order


class OrderEventView(Model):
    kind: str
    actor: str
    at: datetime
    details: dict[str, Any]


class OrderSummary(Model):
    order_id: str
    client_id: str
    site_id: str
    frame_sku: str
    lens: dict[str, Any]
    status: OrderStatus
    waiting_for: str | None = Field(
        description="the answer its workflow waits for: frame, lab_result, quality_check, pickup"
    )
    frame_reserved: bool
    lab_attempt: int
    lab_status: str | None
    lab_reference: str | None
    lab_expected_on: date | None
    reason: str | None
    created_at: datetime
    ready_at: datetime | None
    ended_at: datetime | None
    execution_arn: str | None

    @classmethod
    def of(cls, order: Order) -> OrderSummary:
        return cls(
            order_id=order.id,
            client_id=order.client_id,
            site_id=order.site_id,
            frame_sku=order.frame_sku,
            lens=order.lens,
            status=order.status,
            waiting_for=order.waiting_for,
            frame_reserved=order.frame_reserved,
            lab_attempt=order.lab_attempt,
            lab_status=order.lab_status,
            lab_reference=order.lab_reference,
            lab_expected_on=order.lab_expected_on,
            reason=order.reason,
            created_at=order.created_at,
            ready_at=order.ready_at,
            ended_at=order.ended_at,
            execution_arn=order.execution_arn,
        )


class OrderView(OrderSummary):
    prescription: dict[str, Any] | None = Field(description="the version it is made from; null once erased")
    events: list[OrderEventView]


class OrderPage(Model):
    items: list[OrderSummary]
    next_cursor: str | None = Field(None, description="pass as `cursor` to get the next page")


def get_order(uow: UnitOfWork, order_id: str) -> OrderView:
    order = uow.orders.get(order_id)
    if order is None:
        raise NotFound("order", order_id)
    version = uow.orders.prescription(order.prescription_id)
    prescription = None
    if version is not None:
        prescription = {
            **version.rx,
            "prescriber": version.prescriber,
            "written_on": version.written_on.isoformat(),
            "version": version.version,
        }
    events = [
        OrderEventView(kind=event.kind, actor=event.actor, at=event.at, details=event.details)
        for event in uow.orders.events(order_id)
    ]
    return OrderView(**OrderSummary.of(order).model_dump(), prescription=prescription, events=events)


def list_orders(
    uow: UnitOfWork,
    client_id: str | None,
    status: OrderStatus | None,
    limit: int,
    cursor: str | None,
    site_id: str | None = None,
) -> OrderPage:
    after = None
    if cursor:
        created_at, order_id = decode(cursor, 2)
        try:
            after = (datetime.fromisoformat(created_at), order_id)
        except ValueError:
            raise InvalidCursor("cursor is not valid; use next_cursor from a previous page") from None
    orders = uow.orders.search(client_id, status, limit + 1, after, site_id)
    page, more = orders[:limit], len(orders) > limit
    next_cursor = encode(page[-1].created_at.isoformat(), page[-1].id) if more else None
    return OrderPage(items=[OrderSummary.of(order) for order in page], next_cursor=next_cursor)
