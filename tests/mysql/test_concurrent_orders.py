"""A site's frame stock under concurrency, on a real InnoDB server.

Safety: a hundred orders for ten frames take exactly ten, and cancellations racing restocks leave the
count exact. Liveness: a frame put on the shelf while an order waits for it goes to that order, even
when another transaction holds the order at that instant, or the order starts waiting just after.
"""

from __future__ import annotations

import functools
import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from typing import Any

import pytest

from lambdas.shared.db.unit_of_work import UnitOfWork
from lambdas.shared.domain import OrderStatus
from lambdas.shared.erasure import erase_client
from lambdas.shared.errors import Conflict
from lambdas.shared.orders import desk, frames, intake, steps
from lambdas.shared.orders.frames import FrameSettings
from local.seed import SITE_ID, seed
from tests.mysql.locks import held
from tests.signals import answer_to
from tests.workflows.conftest import EXACT, order_body

pytestmark = [pytest.mark.mysql, pytest.mark.parametrize("database_url", ["mysql"], indirect=True)]

ORDERS, IN_STOCK, DESKS = 100, 10, 20
ACTOR = "workflow:order-fulfilment"


def run(work: Any, *arguments: Any) -> Any:
    """``work`` in a unit of work as the functions run it: a transaction the database ends is run again."""
    return UnitOfWork(ACTOR).run(work, *arguments)


def stock(quantity: int) -> None:
    settings = FrameSettings(description="Acetate, black", kind="donated", quantity=quantity)
    with UnitOfWork("manager") as uow:
        frames.set_stock(uow, SITE_ID, "RAY-01", settings, "manager")


def on_shelf() -> int:
    with UnitOfWork("test") as uow:
        return uow.frames.get(SITE_ID, "RAY-01").quantity


def status(order_id: str) -> OrderStatus:
    with UnitOfWork("test") as uow:
        return uow.orders.get(order_id).status


def new_orders(client_id: str, count: int) -> list[str]:
    body = intake.CreateOrder.model_validate(order_body(client_id))
    body = body.model_copy(update={"prescription": body.prescription.model_copy(update={"written_on": date.today()})})
    ids = []
    for _ in range(count):
        with UnitOfWork("desk") as uow:
            ids.append(intake.create_order(uow, body, "desk").order_id)
    return ids


def waiting_for_a_frame(client_id: str, count: int) -> list[str]:
    orders = new_orders(client_id, count)
    for order_id in orders:
        assert run(steps.reserve_frame, order_id, ACTOR).status == OrderStatus.AWAITING_FRAME
    return orders


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
    statuses = all_at_once(lambda order_id: run(steps.reserve_frame, order_id, ACTOR).status, orders)
    assert Counter(statuses) == {OrderStatus.FRAME_RESERVED: IN_STOCK, OrderStatus.AWAITING_FRAME: ORDERS - IN_STOCK}
    assert on_shelf() == 0


def test_cancellations_racing_restocks_leave_the_stock_exact(client_id: str) -> None:
    # Given five orders holding a frame each, none on the shelf, and five more orders waiting for one
    stock(5)
    holding = new_orders(client_id, 5)
    for order_id in holding:
        assert run(steps.reserve_frame, order_id, ACTOR).status == OrderStatus.FRAME_RESERVED
    waiting = waiting_for_a_frame(client_id, 5)
    cancellation = desk.Cancellation(reason="changed her mind")

    # When the five are cancelled while five frames are restocked one by one, all at once
    def act(item: tuple[str, str | None]) -> None:
        kind, order_id = item
        if kind == "cancel":
            run(desk.cancel, order_id, cancellation, "desk")
        else:
            run(lambda uow: frames.restock(uow, SITE_ID, "RAY-01", 1, "manager"))

    all_at_once(act, [("cancel", order_id) for order_id in holding] + [("restock", None)] * 5)
    # Then the ten frames are all counted: the five waiting orders hold one each, five are on the shelf
    with UnitOfWork("test") as uow:
        held = [uow.orders.get(order_id) for order_id in waiting]
        assert [order.frame_reserved for order in held] == [True] * 5
        assert {order.status for order in held} == {OrderStatus.FRAME_RESERVED}
        cancelled = [uow.orders.get(order_id) for order_id in holding]
        assert {(order.status, order.frame_reserved) for order in cancelled} == {(OrderStatus.CANCELLED, False)}
    assert on_shelf() == 5


def test_a_restock_serves_a_waiting_order_that_another_transaction_holds_at_that_instant(client_id: str) -> None:
    # Given an order waiting for a frame, its row held by another transaction (its workflow starting to wait)
    stock(0)
    (order_id,) = waiting_for_a_frame(client_id, 1)
    with held(lambda uow: uow.orders.lock(order_id)):
        # When a frame is restocked meanwhile
        run(frames.restock, SITE_ID, "RAY-01", 1, "manager")
    # Then the order has it: the restock waited for the order, it did not leave the frame on the shelf
    assert status(order_id) == OrderStatus.FRAME_RESERVED
    assert on_shelf() == 0


def test_frames_put_back_at_once_each_serve_a_waiting_order(client_id: str) -> None:
    # Given eight orders waiting for a frame, none on the shelf
    stock(0)
    waiting = waiting_for_a_frame(client_id, 8)
    # When eight frames come back at the same instant, one per restock
    all_at_once(lambda _: run(frames.restock, SITE_ID, "RAY-01", 1, "manager"), list(range(8)))
    # Then every waiting order has one, and none is left on the shelf
    assert {status(order_id) for order_id in waiting} == {OrderStatus.FRAME_RESERVED}
    assert on_shelf() == 0


def test_an_order_starting_to_wait_takes_a_frame_a_restock_left_on_the_shelf_an_instant_before(
    client_id: str,
) -> None:
    # Given an order that found no frame, and a restock that read the waiting orders just before it
    # became one of them: the frame is on the shelf, the order is about to wait for one
    stock(0)
    (order_id,) = waiting_for_a_frame(client_id, 1)
    with UnitOfWork("manager") as uow:
        uow.frames.add(SITE_ID, "RAY-01", 1)
    # When its workflow starts waiting for a frame
    run(steps.await_order, order_id, "frame", "token-1", ACTOR)
    # Then it takes the frame and goes on, instead of waiting two weeks beside it
    assert answer_to("token-1") == {"status": OrderStatus.FRAME_RESERVED}
    assert on_shelf() == 0
    with UnitOfWork("test") as uow:
        order = uow.orders.get(order_id)
        assert (order.status, order.task_token, order.waiting_for) == (OrderStatus.FRAME_RESERVED, None, None)


def _check_or_erase(what: str, order_id: str, client_id: str) -> object:
    """A quality check of the order, or the erasure of its client; what it came to, or the conflict."""
    check = desk.QualityCheck.model_validate({"right": EXACT[0], "left": EXACT[1]})
    try:
        if what == "check":
            return UnitOfWork("desk").run(desk.quality_check, order_id, check, "desk").status
        return UnitOfWork("manager").run(erase_client, client_id).erased
    except Conflict as refused:  # the other won: said in words, not a 503
        return refused


def test_a_quality_check_racing_the_erasure_of_its_client_ends_one_way_never_busy(make_client: Any) -> None:
    seed()
    stock(0)
    for _ in range(8):
        # Given a client with SMS consent whose glasses wait for their check
        client = make_client()
        with UnitOfWork("manager") as uow:
            uow.frames.add(SITE_ID, "RAY-01", 1)
        (order_id,) = new_orders(client.id, 1)
        with UnitOfWork("test") as uow:
            order = uow.orders.lock(order_id)
            order.status, order.frame_reserved, order.lab_attempt = OrderStatus.QUALITY_CHECK, True, 1
        # When the front desk checks the glasses as a manager erases the client, at the same instant
        race = functools.partial(_check_or_erase, order_id=order_id, client_id=client.id)
        checked, erased = all_at_once(race, ["check", "erase"])
        # Then the erasure went through and the order ended with it, whichever came first
        assert erased == (client.id,)
        assert checked == OrderStatus.READY or "is cancelled" in str(checked), checked
        assert status(order_id) == OrderStatus.CANCELLED
