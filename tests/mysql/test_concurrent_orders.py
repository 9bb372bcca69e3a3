"""A site's frame stock under concurrency, on a real InnoDB server: a hundred orders for ten frames
take exactly ten, and cancellations racing restocks leave the count exact."""

from __future__ import annotations

import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from typing import Any

import pytest

from lambdas.shared.db.unit_of_work import UnitOfWork
from lambdas.shared.domain import OrderStatus
from lambdas.shared.errors import DatabaseUnavailable
from lambdas.shared.orders import desk, frames, intake, steps
from lambdas.shared.orders.frames import FrameSettings
from local.seed import SITE_ID, seed
from tests.workflows.conftest import order_body

pytestmark = [pytest.mark.mysql, pytest.mark.parametrize("database_url", ["mysql"], indirect=True)]

ORDERS, IN_STOCK, DESKS = 100, 10, 20
ACTOR = "workflow:order-fulfilment"


def retried(work: Any, *arguments: Any) -> Any:
    """A deadlock or lock wait is an outage a task's Retry covers: tried again, as Step Functions would."""
    for _ in range(10):
        try:
            with UnitOfWork(ACTOR) as uow:
                return work(uow, *arguments)
        except DatabaseUnavailable:
            continue
    raise AssertionError(f"{work.__name__} kept failing")


def stock(quantity: int) -> None:
    settings = FrameSettings(description="Acetate, black", kind="donated", quantity=quantity)
    with UnitOfWork("manager") as uow:
        frames.set_stock(uow, SITE_ID, "RAY-01", settings, "manager")


def on_shelf() -> int:
    with UnitOfWork("test") as uow:
        return uow.frames.get(SITE_ID, "RAY-01").quantity


def new_orders(client_id: str, count: int) -> list[str]:
    body = intake.CreateOrder.model_validate(order_body(client_id))
    body = body.model_copy(update={"prescription": body.prescription.model_copy(update={"written_on": date.today()})})
    ids = []
    for _ in range(count):
        with UnitOfWork("desk") as uow:
            ids.append(intake.create_order(uow, body, "desk").order_id)
    return ids


def all_at_once(work: Any, items: list[Any]) -> list[Any]:
    """``work`` on every item, started together on as many threads as there are desks (or items)."""
    threads = min(DESKS, len(items))
    start = threading.Barrier(threads)
    local = threading.local()

    def one(item: Any) -> Any:
        if not getattr(local, "started", False):
            local.started = True
            start.wait()
        return work(item)

    with ThreadPoolExecutor(max_workers=threads) as pool:
        return list(pool.map(one, items))


@pytest.fixture
def client_id(database_url: str, make_client) -> str:
    seed()
    return make_client().id


def test_a_hundred_orders_for_ten_frames_take_exactly_ten(client_id: str) -> None:
    stock(IN_STOCK)
    orders = new_orders(client_id, ORDERS)
    statuses = all_at_once(lambda order_id: retried(steps.reserve_frame, order_id, ACTOR).status, orders)
    assert Counter(statuses) == {OrderStatus.FRAME_RESERVED: IN_STOCK, OrderStatus.AWAITING_FRAME: ORDERS - IN_STOCK}
    assert on_shelf() == 0


def test_cancellations_racing_restocks_leave_the_stock_exact(client_id: str) -> None:
    # Given five orders holding a frame each, none on the shelf, and five more orders waiting for one
    stock(5)
    holding = new_orders(client_id, 5)
    for order_id in holding:
        assert retried(steps.reserve_frame, order_id, ACTOR).status == OrderStatus.FRAME_RESERVED
    waiting = new_orders(client_id, 5)
    for order_id in waiting:
        assert retried(steps.reserve_frame, order_id, ACTOR).status == OrderStatus.AWAITING_FRAME
    cancellation = desk.Cancellation(reason="changed her mind")

    # When the five are cancelled while five frames are restocked one by one, all at once
    def act(item: tuple[str, str | None]) -> None:
        kind, order_id = item
        if kind == "cancel":
            retried(desk.cancel, order_id, cancellation, "desk")
        else:
            retried(lambda uow: frames.restock(uow, SITE_ID, "RAY-01", 1, "manager"))

    all_at_once(act, [("cancel", order_id) for order_id in holding] + [("restock", None)] * 5)
    # Then the ten frames are all counted: the five waiting orders hold one each, five are on the shelf
    with UnitOfWork("test") as uow:
        held = [uow.orders.get(order_id) for order_id in waiting]
        assert [order.frame_reserved for order in held] == [True] * 5
        assert {order.status for order in held} == {OrderStatus.FRAME_RESERVED}
        cancelled = [uow.orders.get(order_id) for order_id in holding]
        assert {(order.status, order.frame_reserved) for order in cancelled} == {(OrderStatus.CANCELLED, False)}
    assert on_shelf() == 5
