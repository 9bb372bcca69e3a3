"""Order fulfilment end to end in the local engine, with the real handlers, on a manual clock: from
a prescription to glasses in the client's hands, and every way an order can end."""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select, update

from lambdas.shared.db.notifications.models import Notification
from lambdas.shared.db.orders.models import LabSubmission, Order
from lambdas.shared.db.unit_of_work import UnitOfWork
from lambdas.shared.domain import OrderStatus
from tests.databases import ON_BOTH_DATABASES
from tests.events import api_event, call_api
from tests.workflows.conftest import EXACT, Orders

pytestmark = ON_BOTH_DATABASES
REPO = Path(__file__).resolve().parents[2]

DAY = 24 * 3600
WEEK = 7 * DAY
# ReserveFrame, Route, SubmitToLab, Route, AwaitLab, Route, AwaitQualityCheck, Route, AwaitPickup, Route, Ended
HAPPY_PATH = 11


def submissions(order_id: str) -> int:
    with UnitOfWork("test") as uow:
        query = select(func.count()).select_from(LabSubmission).where(LabSubmission.order_id == order_id)
        return uow.session.execute(query).scalar_one()


def messages(template: str) -> list[dict]:
    with UnitOfWork("test") as uow:
        query = select(Notification).where(Notification.template == template).order_by(Notification.created_at)
        return [notification.payload for notification in uow.session.scalars(query)]


def to_quality_check(orders: Orders) -> str:
    order_id = orders.create()
    orders.lab(order_id, "shipped", lab_reference="LAB-778")
    assert orders.status(order_id) == "quality_check"
    return order_id


def test_an_order_from_prescription_to_pickup(orders: Orders) -> None:
    order_id = orders.create()
    # the frame is taken from the shelf and the lens order handed to the lab
    assert (orders.status(order_id), orders.on_shelf(), submissions(order_id)) == ("at_lab", 0, 1)
    assert orders.order(order_id)["waiting_for"] == "lab_result"
    # the lab's progress is news, not an answer: the order keeps waiting
    assert orders.lab(order_id, "in_production", expected_on="2026-12-20")["status"] == "at_lab"
    assert orders.order(order_id)["lab_expected_on"] == "2026-12-20"
    assert orders.lab(order_id, "shipped", lab_reference="LAB-778")["status"] == "quality_check"
    right, left = EXACT
    checked = orders.check(order_id, right, left)
    assert (checked["status"], checked["deviations"]) == ("ready", [])
    assert messages("glasses_ready") == [{"order_id": order_id}]  # the client has SMS consent
    status, answer = orders.act(order_id, "pickup")
    assert (status, answer["status"]) == (200, "delivered")
    assert orders.outcome(order_id) == "delivered"
    assert orders.on_shelf() == 0
    assert orders.events(order_id) == [
        "created", "frame_reserved", "submitted_to_lab", "lab_in_production", "lab_shipped", "quality_checked",
        "ready", "delivered"]  # fmt: skip
    assert len(orders.entered(order_id)) == HAPPY_PATH
    assert orders.order(order_id)["waiting_for"] is None


def test_out_of_stock_waits_for_a_restock_then_goes_on(orders: Orders) -> None:
    first = orders.create()
    second = orders.create()
    assert (orders.status(first), orders.status(second)) == ("at_lab", "awaiting_frame")
    assert orders.order(second)["waiting_for"] == "frame"
    orders.restock(quantity=2)
    assert orders.status(second) == "at_lab"
    assert orders.on_shelf() == 1  # one of the two went to the waiting order


def test_another_frame_for_an_order_waiting_for_one(orders: Orders) -> None:
    orders.create()
    waiting = orders.create()
    orders.stock("OAK-02", quantity=0)
    status, answer = orders.act(waiting, "frame", {"frame_sku": "OAK-02"})
    assert (status, orders.status(waiting)) == (409, "awaiting_frame"), answer  # out of stock too
    orders.restock("OAK-02")
    assert orders.status(waiting) == "awaiting_frame"  # it waits for RAY-01, not OAK-02
    status, answer = orders.act(waiting, "frame", {"frame_sku": "OAK-02"})
    assert (status, answer["status"], orders.status(waiting)) == (200, "frame_reserved", "at_lab")
    assert orders.on_shelf("OAK-02") == 0


def test_no_frame_within_two_weeks_cancels_the_order(orders: Orders) -> None:
    orders.create()
    waiting = orders.create()
    orders.advance(14 * DAY + 1)
    assert orders.outcome(waiting) == "cancelled"
    assert orders.order(waiting)["reason"] == "no_frame"
    orders.restock()
    assert orders.on_shelf() == 1  # the cancelled order takes none


def test_a_lab_rejection_puts_the_frame_back(orders: Orders) -> None:
    order_id = orders.create()
    status, answer = orders.act(order_id, "lab-result", {"status": "rejected"})
    assert (status, answer["details"][0]["field"]) == (422, "body.reason")
    orders.lab(order_id, "rejected", reason="prism too strong for this frame")
    assert orders.outcome(order_id) == "lab_rejected"
    assert orders.on_shelf() == 1
    assert orders.events(order_id)[-3:] == ["submitted_to_lab", "frame_released", "lab_rejected"]  # once each


def _reject(orders: Orders, order_id: str) -> None:
    orders.lab(order_id, "rejected", reason="prism too strong for this frame")


def _fail_three_checks(orders: Orders, order_id: str) -> None:
    right, left = EXACT
    orders.lab(order_id, "shipped")
    for remake in (1, 2, None):
        orders.check(order_id, right, {**left, "sphere": "-1.00"}, lenses_mounted=False)
        if remake:
            orders.lab(order_id, "shipped")


def _cancel_unmounted_at_pickup(orders: Orders, order_id: str) -> None:
    orders.lab(order_id, "shipped")
    orders.check(order_id, *EXACT, lenses_mounted=False)
    assert orders.act(order_id, "cancel", {"reason": "moved to another town"})[0] == 200


@pytest.mark.parametrize(
    ("end", "outcome"),
    [(_reject, "lab_rejected"), (_fail_three_checks, "qc_failed"), (_cancel_unmounted_at_pickup, "cancelled")],
)
def test_a_frame_an_ended_order_puts_back_serves_the_order_waiting_for_one(
    orders: Orders, end: Callable[[Orders, str], None], outcome: str
) -> None:
    holder, waiting = orders.create(), orders.create()
    assert orders.status(waiting) == "awaiting_frame"
    end(orders, holder)
    assert orders.outcome(holder) == outcome
    assert (orders.status(waiting), orders.on_shelf()) == ("at_lab", 0)
    assert "frame_reserved" in orders.events(waiting)


def test_a_silent_lab_is_escalated_and_the_order_keeps_waiting(orders: Orders) -> None:
    order_id = orders.create()
    orders.advance(3 * DAY + 1)  # no news within the heartbeat
    assert orders.events(order_id)[-1] == "escalated"
    assert orders.order(order_id)["events"][-1]["details"] == {"why": "lab_silent"}
    assert (orders.status(order_id), orders.order(order_id)["waiting_for"]) == ("at_lab", "lab_result")
    orders.lab(order_id, "in_production")  # heartbeats reach the new wait
    orders.advance(2 * DAY)
    assert orders.events(order_id).count("escalated") == 1
    assert orders.lab(order_id, "shipped")["status"] == "quality_check"


def test_a_lab_past_its_overall_time_is_escalated_and_cancelled(orders: Orders) -> None:
    order_id = orders.create()
    with UnitOfWork("test") as uow:  # the lab has had the order for a month
        started = uow.session.get(Order, order_id).lab_started_at
        uow.session.execute(
            update(Order).where(Order.id == order_id).values(lab_started_at=started - timedelta(days=30))
        )
    orders.advance(3 * DAY + 1)
    assert orders.outcome(order_id) == "cancelled"
    order = orders.order(order_id)
    assert (order["reason"], order["events"][-3]["details"]) == ("lab_overdue", {"why": "lab_overdue"})
    assert orders.events(order_id)[-2:] == ["frame_kept", "cancelled"]  # the lab has it: not back on the shelf
    assert orders.on_shelf() == 0


def test_a_failed_quality_check_is_remade_then_passes(orders: Orders) -> None:
    order_id = to_quality_check(orders)
    right, left = EXACT
    failed = orders.check(order_id, {**right, "sphere": "-2.50"}, left)
    assert failed["status"] == "remake"
    assert failed["deviations"] == [
        {"field": "right.sphere", "ordered": "-2.25", "measured": "-2.50", "tolerance": "0.13"}
    ]
    assert (orders.status(order_id), submissions(order_id)) == ("at_lab", 2)
    orders.lab(order_id, "shipped")
    assert orders.check(order_id, right, left)["status"] == "ready"
    assert orders.order(order_id)["lab_attempt"] == 2


def test_a_third_failed_check_is_for_a_manager(orders: Orders) -> None:
    order_id = to_quality_check(orders)
    right, left = EXACT
    wrong = {**left, "sphere": "-1.00"}
    for _remake in (1, 2):
        assert orders.check(order_id, right, wrong)["status"] == "remake"
        orders.lab(order_id, "shipped")
    assert orders.check(order_id, right, wrong)["status"] == "qc_failed"
    assert orders.outcome(order_id) == "qc_failed"
    assert submissions(order_id) == 3


def test_reminders_then_pickup(orders: Orders) -> None:
    order_id = to_quality_check(orders)
    orders.check(order_id, *EXACT)
    orders.advance(WEEK + 1)
    orders.advance(WEEK + 1)
    assert [message["reminder"] for message in messages("pickup_reminder")] == [1, 2]
    assert orders.act(order_id, "pickup")[1]["status"] == "delivered"
    assert orders.outcome(order_id) == "delivered"


@pytest.mark.parametrize(("mounted", "back_on_shelf"), [(True, 0), (False, 1)])
def test_reminders_then_uncollected(orders: Orders, mounted: bool, back_on_shelf: int) -> None:
    order_id = to_quality_check(orders)
    orders.check(order_id, *EXACT, lenses_mounted=mounted)
    for _ in range(4):
        orders.advance(WEEK + 1)
    assert [message["reminder"] for message in messages("pickup_reminder")] == [1, 2, 3]
    assert orders.outcome(order_id) == "uncollected"
    assert orders.on_shelf() == back_on_shelf  # a fitted frame never goes back


@pytest.mark.parametrize(
    ("where", "back_on_shelf"),
    [("awaiting_frame", 0), ("at_lab", 0), ("quality_check", 0), ("ready", 0)],
)
def test_a_cancellation_in_each_wait_ends_it_and_compensates_once(
    orders: Orders, where: str, back_on_shelf: int
) -> None:
    orders.create()  # holds the one frame: a second order waits for one
    order_id = orders.create() if where == "awaiting_frame" else None
    if order_id is None:
        orders.restock()
        order_id = orders.create()
        if where in ("quality_check", "ready"):
            orders.lab(order_id, "shipped")
        if where == "ready":
            orders.check(order_id, *EXACT)
    assert orders.status(order_id) == where
    status, answer = orders.act(order_id, "cancel", {"reason": "moved to another town"})
    assert (status, answer["status"]) == (200, "cancelled"), answer
    assert orders.outcome(order_id) == "cancelled"
    assert orders.on_shelf() == back_on_shelf  # after the lab started the frame stays with the order
    status, answer = orders.act(order_id, "cancel", {"reason": "again"})
    assert status == 409, answer
    assert orders.on_shelf() == back_on_shelf


def test_a_cancellation_before_the_lab_puts_the_frame_back(orders: Orders) -> None:
    orders.create()
    waiting = orders.create()
    orders.restock()  # the waiting order takes it and goes to the lab
    assert orders.on_shelf() == 0
    first_reserved = orders.create()  # none left: waits
    assert orders.status(first_reserved) == "awaiting_frame"
    with UnitOfWork("test") as uow:  # a frame for it, but the workflow has not submitted it yet
        order = uow.orders.lock(first_reserved)
        order.frame_reserved, order.status = True, OrderStatus.FRAME_RESERVED
    status, _ = orders.act(first_reserved, "cancel", {"reason": "changed her mind"})
    assert (status, orders.outcome(first_reserved)) == (200, "cancelled")
    assert orders.on_shelf() == 1
    assert orders.status(waiting) == "at_lab"


def test_no_prescription_value_name_or_contact_in_the_execution(orders: Orders) -> None:
    order_id = to_quality_check(orders)
    orders.check(order_id, *EXACT)
    orders.act(order_id, "pickup")
    recorded = json.dumps([orders.execution(order_id), orders.history(order_id)])
    for secret in ("-2.25", "-0.50", "31.5", "Camille", "Roux", "Amina", "Diallo", "+33612345678", "moved"):
        assert secret not in recorded


def test_erasing_the_client_cancels_her_open_orders_and_ends_their_workflows(orders: Orders) -> None:
    delivered = to_quality_check(orders)
    orders.check(delivered, *EXACT)
    assert orders.act(delivered, "pickup")[0] == 200
    orders.restock()
    at_lab, waiting = orders.create(), orders.create()  # the one frame restocked: the second waits
    assert (orders.status(at_lab), orders.status(waiting)) == ("at_lab", "awaiting_frame")
    status, erased = call_api(api_event("DELETE", f"/clients/{orders.client_id}", groups=("managers",)))
    assert status == 200, erased
    orders.settle()
    for order_id in (at_lab, waiting):
        order = orders.order(order_id)
        assert (order["status"], order["prescription"], order["reason"]) == ("cancelled", None, None)
        assert orders.outcome(order_id) == "cancelled"
    assert (orders.status(delivered), orders.order(delivered)["prescription"]) == ("delivered", None)
    assert orders.on_shelf() == 0  # the lab has the cancelled order's frame


@pytest.fixture
def stage_parameters(tmp_path, monkeypatch: pytest.MonkeyPatch):
    """The local settings file with some values changed, as an operator changes them in Parameter Store."""
    from lambdas.shared import parameters
    from lambdas.shared.config import parameter_source

    def change(**values: str) -> None:
        text = (REPO / "local" / "settings.toml").read_text(encoding="utf-8")
        for name, value in values.items():
            text, found = re.subn(rf"(?m)^{name} = .*$", f"{name} = {value}", text)
            assert found == 1, name
        path = tmp_path / "settings.toml"
        path.write_text(text, encoding="utf-8")
        monkeypatch.setenv("SETTINGS_FILE", str(path))
        parameter_source.cache_clear()
        parameters._provider.cache_clear()

    yield change
    parameter_source.cache_clear()
    parameters._provider.cache_clear()


def test_pickup_reminders_follow_the_stages_parameters(orders: Orders, stage_parameters) -> None:
    stage_parameters(**{"pickup-reminder-days": "2", "pickup-reminders": "1"})
    order_id = to_quality_check(orders)
    orders.check(order_id, *EXACT)
    orders.advance(DAY)
    assert messages("pickup_reminder") == []  # not a week: two days
    orders.advance(DAY + 1)
    assert [message["reminder"] for message in messages("pickup_reminder")] == [1]
    assert orders.status(order_id) == "ready"
    orders.advance(2 * DAY + 1)  # one reminder only, then uncollected
    assert orders.outcome(order_id) == "uncollected"
    assert len(messages("pickup_reminder")) == 1


def test_each_task_reads_only_the_parameter_groups_its_declaration_grants(
    orders: Orders, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a record of which function read which group (in AWS, its role allows only those)
    from lambdas.shared import parameters
    from local.sfn import functions, workers
    from workflows.order_fulfilment import WORKFLOW

    running = threading.local()
    reads: dict[str, set[str]] = {}
    real_invoke, real_read = functions.invoke, parameters._validated

    def invoke(invocation):
        running.function = invocation.function.name if invocation.function else None
        try:
            return real_invoke(invocation)
        finally:
            running.function = None

    def recorded(model, source, values):
        reads.setdefault(getattr(running, "function", None) or "api", set()).add(model.group)
        return real_read(model, source, values)

    monkeypatch.setattr(workers, "invoke", invoke)
    monkeypatch.setattr(parameters, "_validated", recorded)
    # When orders go through every wait, a reminder and a lab timeout
    order_id = to_quality_check(orders)
    orders.check(order_id, *EXACT)
    orders.advance(WEEK + 1)
    orders.act(order_id, "pickup")
    silent = orders.create()
    orders.advance(31 * DAY)
    assert orders.outcome(silent) == "cancelled"
    # Then each task read what its declaration grants, and some read something
    declared = {
        functions.function_name_of(WORKFLOW.function_name(placeholder)): set(task.parameters)
        for placeholder, task in WORKFLOW.tasks.items()
    }
    tasks = {name: groups for name, groups in reads.items() if name != "api"}
    assert tasks
    for name, groups in tasks.items():
        assert groups <= declared[name], name
