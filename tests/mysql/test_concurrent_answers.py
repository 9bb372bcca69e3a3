"""A person's answer to a workflow's wait, racing others on a real InnoDB server.

Safety: of answers given to one wait at the same instant, exactly one is taken; the others hear that
it was answered (409). Liveness: an answer given while another transaction holds the row — the
workflow starting to wait, another desk's action — is taken once that transaction ends, never refused
or lost because of it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from lambdas.shared.db.clients.models import Client
from lambdas.shared.db.orders.models import Order
from lambdas.shared.db.unit_of_work import UnitOfWork
from lambdas.shared.domain import ClientStatus, OrderStatus, TicketStatus
from lambdas.shared.errors import Conflict
from lambdas.shared.onboarding import intake as onboarding
from lambdas.shared.orders import desk as orders
from lambdas.shared.queue import desk as queue
from lambdas.shared.queue.calling import call_next
from local.seed import SITE_ID, seed
from tests.mysql.locks import all_at_once, held
from tests.mysql.test_concurrent_orders import new_orders, stock
from tests.signals import resumed
from tests.workflows.test_calling import arrive

pytestmark = [pytest.mark.mysql, pytest.mark.parametrize("database_url", ["mysql"], indirect=True)]

DESKS = 6


def answered_by_one(answer: Callable[[str], Any]) -> tuple[list[Any], list[Conflict]]:
    """``answer`` given by ``DESKS`` desks at the same instant: what each got, split into taken and refused."""

    def give(desk: str) -> Any:
        try:
            return answer(desk)
        except Conflict as refused:
            return refused

    outcomes = all_at_once(give, [f"desk-{n}" for n in range(DESKS)])
    refused = [outcome for outcome in outcomes if isinstance(outcome, Conflict)]
    return [outcome for outcome in outcomes if not isinstance(outcome, Conflict)], refused


# --- the queue: a called person reaching the counter ------------------------------------------------


@pytest.fixture
def called_ticket(database_url: str) -> str:
    seed()
    ticket_id = arrive()
    assert UnitOfWork("desk-1").run(call_next, SITE_ID, "reception", "desk-1", "desk-1").ticket_id == ticket_id
    return ticket_id


def test_arrived_while_the_tickets_row_is_held_is_taken_once_it_is_free(called_ticket: str) -> None:
    with held(lambda uow: uow.queue.lock(called_ticket)):
        action = UnitOfWork("desk-1").run(queue.mark_arrived, called_ticket, "desk-1")
    assert action.status == TicketStatus.SERVING


def test_arrived_pressed_at_six_desks_at_once_is_taken_once(called_ticket: str) -> None:
    taken, refused = answered_by_one(lambda desk: UnitOfWork(desk).run(queue.mark_arrived, called_ticket, desk))
    assert [action.status for action in taken] == [TicketStatus.SERVING]
    assert len(refused) == DESKS - 1
    assert all("is serving" in str(conflict) for conflict in refused)


# --- onboarding: a reviewer deciding on a suspected duplicate -----------------------------------------


@pytest.fixture
def awaiting_review(database_url: str, make_client: Callable[..., Client]) -> str:
    client = make_client(status=ClientStatus.AWAITING_REVIEW, waiting_for="duplicate_review", task_token="token-review")
    return client.id


def test_a_review_while_the_applications_row_is_held_is_taken_once_it_is_free(awaiting_review: str) -> None:
    with held(lambda uow: uow.clients.lock(awaiting_review)):
        UnitOfWork("desk-1").run(onboarding.review_duplicate, awaiting_review, "same-person", "desk-1")
    assert resumed() == ["token-review"]


def test_a_review_given_at_six_desks_at_once_is_taken_once(awaiting_review: str) -> None:
    taken, refused = answered_by_one(
        lambda desk: UnitOfWork(desk).run(onboarding.review_duplicate, awaiting_review, "same-person", desk)
    )
    assert (len(taken), resumed()) == (1, ["token-review"])
    assert len(refused) == DESKS - 1


# --- orders: the lab's result ------------------------------------------------------------------------


@pytest.fixture
def at_the_lab(database_url: str, make_client: Callable[..., Client]) -> str:
    seed()
    stock(1)
    (order_id,) = new_orders(make_client().id, 1)
    with UnitOfWork("test") as uow:
        order = uow.session.get(Order, order_id)
        order.status, order.waiting_for, order.task_token = OrderStatus.AT_LAB, "lab_result", "token-lab"
    return order_id


SHIPPED = orders.LabResult(status="shipped")


def test_a_lab_result_while_the_orders_row_is_held_is_taken_once_it_is_free(at_the_lab: str) -> None:
    with held(lambda uow: uow.orders.lock(at_the_lab)):
        answer = UnitOfWork("lab").run(orders.lab_result, at_the_lab, SHIPPED, "lab")
    assert (answer.status, resumed()) == (OrderStatus.QUALITY_CHECK, ["token-lab"])


def test_a_lab_result_sent_six_times_at_once_is_taken_once(at_the_lab: str) -> None:
    taken, refused = answered_by_one(lambda desk: UnitOfWork(desk).run(orders.lab_result, at_the_lab, SHIPPED, desk))
    assert ([answer.status for answer in taken], resumed()) == ([OrderStatus.QUALITY_CHECK], ["token-lab"])
    assert len(refused) == DESKS - 1
