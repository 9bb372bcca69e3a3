"""Order fulfilment when things go wrong: every task run twice changes nothing more, a database
outage beyond the retries stops the execution at that task until it is redriven (no frame taken
twice), and an answer given while Step Functions is unreachable is not lost."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from unittest.mock import patch

import pytest
from sqlalchemy import func, select

from lambdas.shared.clock import utcnow
from lambdas.shared.db.orders.models import LabSubmission, Order, OrderEvent
from lambdas.shared.db.unit_of_work import UnitOfWork
from lambdas.shared.errors import DomainError
from lambdas.tasks import order_fulfilment as tasks
from tests.databases import ON_BOTH_DATABASES
from tests.events import lambda_context
from tests.signals import answer_to, written
from tests.workflows.conftest import EXACT, Orders, StepFunctions

pytestmark = ON_BOTH_DATABASES

DAY = 24 * 3600


def state(order_id: str) -> tuple[dict[str, Any], list[tuple[Any, ...]], list[int], int]:
    """Everything the database holds of the order: its row, its events, its lab submissions, the shelf."""
    with UnitOfWork("test") as uow:
        order = uow.session.get(Order, order_id)
        row = {column.key: getattr(order, column.key) for column in Order.__mapper__.column_attrs}
        events = [
            (event.id, event.kind, event.details)
            for event in uow.session.scalars(select(OrderEvent).filter_by(order_id=order_id).order_by(OrderEvent.id))
        ]
        attempts = list(uow.session.scalars(select(LabSubmission.attempt).filter_by(order_id=order_id)))
        shelf = uow.frames.get(order.site_id, order.frame_sku).quantity
    return row, events, attempts, shelf


def twice(handler: Callable[..., Any], order_id: str, **payload: Any) -> Any:
    """Run a task twice with the same payload: the same answer (or error), the database unchanged by the second.
    Both runs see the same instant: the lab's time left is counted in seconds from now."""
    outcomes, states = [], []
    instant = utcnow()
    for _ in range(2):
        with patch("lambdas.shared.orders.steps.utcnow", return_value=instant):
            try:
                outcomes.append(handler({"order_id": order_id, **payload}, lambda_context()))
            except DomainError as error:
                outcomes.append((type(error), str(error)))
        states.append(state(order_id))
    assert outcomes[0] == outcomes[1], handler.__name__
    assert states[0] == states[1], handler.__name__
    return outcomes[0]


def test_every_task_run_twice_changes_nothing_more(orders: Orders) -> None:
    order_id = orders.create()  # the workflow ran each step once already: the frame, the lab
    assert twice(tasks.reserve_frame, order_id)["status"] == "at_lab"
    assert twice(tasks.submit_to_lab, order_id)["status"] == "at_lab"
    assert twice(tasks.await_order, order_id, waiting_for="lab_result", token="token-1") == {
        "order_id": order_id, "waiting_for": "lab_result"}  # fmt: skip
    twice(tasks.await_order, order_id, waiting_for="pickup", token="token-2")
    assert answer_to("token-2") == {"status": "at_lab"}  # answered at once: not ready for pickup yet
    orders.lab(order_id, "shipped")
    orders.check(order_id, *EXACT)
    assert twice(tasks.order_timed_out, order_id, waited_for="lab_result")["status"] == "ready"
    # a pickup wait that timed out sends one reminder, whatever the retries
    twice(tasks.await_order, order_id, waiting_for="pickup", token="token-3")
    assert twice(tasks.order_timed_out, order_id, waited_for="pickup")["status"] == "ready"
    assert [kind for _, kind, _ in state(order_id)[1]].count("reminded") == 1


def failed_tasks(orders: Orders, order_id: str) -> list[str]:
    return [
        event["taskFailedEventDetails"]["error"] for event in orders.history(order_id) if event["type"] == "TaskFailed"
    ]


def test_a_database_down_past_the_retries_fails_there_and_a_redrive_takes_one_frame(
    orders: Orders, outage: Callable[[str], dict[str, bool]]
) -> None:
    # Given the database refusing to change the stock, longer than ReserveFrame's retries
    down = outage("UPDATE frame_stock SET quantity")
    status, accepted = orders.submit()
    assert status == 202, accepted
    order_id = accepted["order_id"]
    for _ in range(5):
        orders.advance(60)
    # Then the execution failed at ReserveFrame, ready to be redriven, and the shelf is as it was
    execution = orders.execution(order_id)
    assert (execution["status"], execution["error"], execution["redriveStatus"]) == (
        "FAILED", "DatabaseUnavailable", "REDRIVABLE")  # fmt: skip
    assert failed_tasks(orders, order_id) == ["DatabaseUnavailable"] * 5
    assert (orders.on_shelf(), state(order_id)[0]["frame_reserved"]) == (1, False)
    # When the database is back and ops redrive
    down["down"] = False
    orders.service.RedriveExecution({"executionArn": orders.arn(order_id)})
    orders.settle()
    # Then one frame is taken, once, and the order goes on to the lab
    assert (orders.status(order_id), orders.on_shelf()) == ("at_lab", 0)
    assert orders.events(order_id).count("frame_reserved") == 1


def test_an_answer_given_while_step_functions_is_unreachable_reaches_the_workflow_later(
    orders: Orders, monkeypatch: pytest.MonkeyPatch
) -> None:
    order_id = orders.create()
    # Given Step Functions unreachable when the lab's shipment is recorded
    step_functions = StepFunctions(monkeypatch)
    step_functions.cut()
    assert orders.lab(order_id, "shipped")["status"] == "quality_check"  # the row is the truth
    assert orders.order(order_id)["waiting_for"] is None  # the wait is answered: no second answer takes it
    # When it is back, the relay tells the workflow, which goes on to the quality check, with no escalation
    step_functions.restore()
    assert step_functions.relay() == {"delivered": 1}
    orders.settle()
    assert orders.order(order_id)["waiting_for"] == "quality_check"
    assert "escalated" not in orders.events(order_id)
    assert orders.check(order_id, *EXACT)["status"] == "ready"


def test_news_from_the_lab_while_step_functions_is_unreachable_keeps_its_wait_alive_later(
    orders: Orders, monkeypatch: pytest.MonkeyPatch
) -> None:
    order_id = orders.create()
    step_functions = StepFunctions(monkeypatch)
    step_functions.cut()
    assert orders.lab(order_id, "in_production")["status"] == "at_lab"
    assert orders.order(order_id)["waiting_for"] == "lab_result"  # news of progress: the wait goes on
    step_functions.restore()
    assert step_functions.relay() == {"delivered": 1}
    assert [signal.status for signal in written("heartbeat")] == ["delivered"]
    assert orders.lab(order_id, "shipped")["status"] == "quality_check"


def test_a_repeated_order_during_an_outage_is_the_same_order(orders: Orders, monkeypatch: pytest.MonkeyPatch) -> None:
    order_id = orders.create(key="desk-1-o-0001")
    assert orders.status(order_id) == "at_lab"
    step_functions = StepFunctions(monkeypatch)
    step_functions.cut()
    status, again = orders.submit(key="desk-1-o-0001")
    assert (status, again["order_id"]) == (202, order_id)
    assert orders.status(order_id) == "at_lab"
    step_functions.restore()
    status, again = orders.submit(key="desk-1-o-0001")
    assert (status, again["order_id"]) == (202, order_id)
    with UnitOfWork("test") as uow:
        assert uow.session.scalar(select(func.count()).select_from(Order)) == 1


def test_parameter_store_out_of_reach_is_retried_like_the_database(
    orders: Orders, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given Parameter Store throttling the order's tasks twice
    from lambdas.shared.errors import SettingsUnavailable
    from lambdas.shared.orders import steps  # the module the task calls

    real, refusals = steps.reminder_seconds, iter(range(2))

    def throttled() -> int:
        if next(refusals, None) is not None:
            raise SettingsUnavailable("could not read /fondation/dev/orders/*: ThrottlingException")
        return real()

    monkeypatch.setattr(steps, "reminder_seconds", throttled)
    status, accepted = orders.submit()
    assert status == 202, accepted
    for _ in range(3):
        orders.advance(60)
    # Then ReserveFrame was retried, not failed, and the order went on to the lab
    assert failed_tasks(orders, accepted["order_id"]) == ["SettingsUnavailable"] * 2
    assert orders.status(accepted["order_id"]) == "at_lab"
