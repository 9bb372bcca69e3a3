"""What the front desk and the lab do to an order: choose another frame, report the lab's progress
and result, check the finished lenses, hand the glasses over, cancel; and restocks, which serve the
orders waiting for a frame, oldest first.

Each action changes the order's row under its lock; if the order's workflow is waiting, the action
answers its wait in the same transaction (``signals.resume`` with the order's status; news of the
lab's progress is a ``signals.heartbeat``, and the wait goes on). Each gives what it did (``Answer``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import BeforeValidator, ConfigDict, Field, WithJsonSchema

from lambdas.shared import notify, signals
from lambdas.shared.clock import utcnow
from lambdas.shared.db.unit_of_work import UnitOfWork
from lambdas.shared.domain import ORDER_ENDED, OrderStatus
from lambdas.shared.errors import Conflict, InvalidField
from lambdas.shared.fields import SKU_PATTERN, IsoDate, Text, whole_number
from lambdas.shared.model import Model
from lambdas.shared.orders import tolerances
from lambdas.shared.orders.prescription import Prescription, written_plainly
from lambdas.shared.orders.steps import OrderAnswer, end_order, open_order, record_event, reserve
from lambdas.shared.orders.tolerances import Deviation, Measured

if TYPE_CHECKING:  # tables are mapped on first use (lambdas/shared/db/unit_of_work.py)
    from lambdas.shared.db.orders.models import Order

MAX_REMAKES = 2
LAB_REFERENCE_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._/-]{0,63}$"


@dataclass
class Answer:
    """An action done on an order: its status after it."""

    order_id: str
    status: OrderStatus
    deviations: list[Deviation] = field(default_factory=list)
    served: list[str] = field(default_factory=list)  # orders that took the frame it put back on the shelf


def _begin(uow: UnitOfWork, order_id: str, verb: str, allowed: tuple[OrderStatus, ...]) -> Order:
    order = open_order(uow, order_id)
    if order.status not in allowed:
        can = " or ".join(str(status) for status in allowed)
        raise Conflict(f"order {order_id} is {order.status}: only an order that is {can} can be {verb}")
    return order


def _answer(uow: UnitOfWork, order: Order, deviations: list[Deviation] | None = None) -> Answer:
    """The workflow's wait, if one is parked, answered with the order's status."""
    if order.task_token is not None:
        signals.resume(uow, order.task_token, OrderAnswer(status=order.status))
        order.task_token = order.waiting_for = None
    return Answer(order.id, order.status, deviations=deviations or [])


def _ended(uow: UnitOfWork, order: Order, status: OrderStatus, actor: str, reason: str | None = None) -> Answer:
    """``end``, and if its frame went back on the shelf, the oldest order waiting for one takes it."""
    released = end_order(uow, order, status, actor, reason)
    answer = _answer(uow, order)
    if released:
        answer.served = serve_waiting_orders(uow, order.site_id, order.frame_sku, actor)
    return answer


class FrameChoice(Model):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"frame_sku": "DON-0043"}]})

    frame_sku: str = Field(pattern=SKU_PATTERN, description="another of the site's frames, in stock")


def choose_frame(uow: UnitOfWork, order_id: str, choice: FrameChoice, actor: str) -> Answer:
    order = _begin(uow, order_id, "given another frame", (OrderStatus.AWAITING_FRAME,))
    stock = uow.frames.get(order.site_id, choice.frame_sku)
    if stock is None:
        raise InvalidField("frame_sku", f"site {order.site_id} has no frame {choice.frame_sku}")
    previous, order.frame_sku = order.frame_sku, choice.frame_sku
    if not reserve(uow, order, actor):
        raise Conflict(f"frame {choice.frame_sku} is out of stock too at site {order.site_id}")
    record_event(uow, order, "frame_changed", actor, previous=previous, sku=choice.frame_sku)
    return _answer(uow, order)


def serve_waiting_orders(uow: UnitOfWork, site_id: str, sku: str, actor: str) -> list[str]:
    """After a restock or a release: the orders waiting for this frame take one each, oldest first,
    while any is left. Each is locked by its id, waiting for whoever holds it: skipping a held one
    would leave the frame on the shelf while the order waits (for days, when what held it was its
    own workflow starting to wait)."""
    served = []
    for order_id in uow.orders.awaiting_frame(site_id, sku):
        order = open_order(uow, order_id)
        if order.status != OrderStatus.AWAITING_FRAME or order.frame_sku != sku:
            continue  # it moved on since the read: cancelled, or given another frame
        if not reserve(uow, order, actor):
            break  # none left on the shelf
        served.append(_answer(uow, order).order_id)
    return served


class LabResult(Model):
    # a rejection needs its reason: the document says so too
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "if": {"properties": {"status": {"const": "rejected"}}},
            "then": {"required": ["reason"], "properties": {"reason": {"type": "string"}}},
            "else": {"not": {"required": ["reason"]}},
            "examples": [
                {"status": "in_production", "lab_reference": "LAB-2026-1187", "expected_on": "2026-12-09"},
                {"status": "shipped"},
                {"status": "rejected", "reason": "the frame is too small for these lenses"},
            ],
        },
    )

    status: Literal["in_production", "shipped", "rejected"]
    lab_reference: str | None = Field(None, pattern=LAB_REFERENCE_PATTERN, description="the lab's own reference")
    reason: Text | None = Field(None, description="why the lab rejected it (required then)")
    expected_on: IsoDate | None = Field(None, description="when the lab expects to ship it (YYYY-MM-DD)")


def lab_result(uow: UnitOfWork, order_id: str, result: LabResult, actor: str) -> Answer:
    if result.status == "rejected" and result.reason is None:
        raise InvalidField("reason", "a rejection needs its reason")
    if result.status != "rejected" and result.reason is not None:
        raise InvalidField("reason", "a reason goes with a rejection only")
    order = _begin(uow, order_id, "given a lab result", (OrderStatus.AT_LAB,))
    order.lab_status = result.status
    order.lab_reference = result.lab_reference or order.lab_reference
    order.lab_expected_on = result.expected_on or order.lab_expected_on
    if result.status == "in_production":
        record_event(uow, order, "lab_in_production", actor, attempt=order.lab_attempt)
        if order.task_token is not None:  # news of progress: the wait goes on
            signals.heartbeat(uow, order.task_token)
        return Answer(order.id, order.status)
    if result.status == "shipped":
        record_event(uow, order, "lab_shipped", actor, attempt=order.lab_attempt)
        # the lab sends the glasses back made: lenses in the frame, until the check says otherwise
        order.status, order.lenses_mounted = OrderStatus.QUALITY_CHECK, True
        return _answer(uow, order)
    order.lenses_mounted = False  # a job the lab will not make comes back as the bare frame
    return _ended(uow, order, OrderStatus.LAB_REJECTED, actor, reason=result.reason)


def _to_the_hundredth(value: Any) -> Any:
    """A lensmeter reading to 0.01 D, whether written as a number or as text: -2.385 and "-2.385" are
    both -2.38 (and a float's 2.2500000001 is 2.25; no reading is -0). Anything else is left to refuse."""
    value = written_plainly(value)
    if isinstance(value, str):
        value = Decimal(value)
    number = isinstance(value, int | float | Decimal) and not isinstance(value, bool)
    if number and math.isfinite(value) and abs(value) <= 30:
        return Decimal(str(value)).quantize(Decimal("0.01")) + 0
    return value


Reading = Annotated[
    Decimal,
    BeforeValidator(_to_the_hundredth),
    Field(ge=-30, le=30, allow_inf_nan=False, description="dioptres, as read (to 0.01)"),
    WithJsonSchema({"type": "number", "minimum": -30, "maximum": 30}),
]


class MeasuredLens(Model):
    model_config = ConfigDict(extra="forbid")

    sphere: Reading
    cylinder: Reading = Decimal(0)
    axis: Annotated[int, *whole_number(0, 180)] | None = Field(
        None, description="whole degrees, where there is a cylinder"
    )
    add: Reading | None = None


class QualityCheck(Model):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"right": {"sphere": -2.25, "cylinder": -0.5, "axis": 90}, "left": {"sphere": -2.0}}]
        },
    )

    right: MeasuredLens = Field(description="what the lensmeter reads, in either cylinder form")
    left: MeasuredLens
    lenses_mounted: bool = Field(True, strict=True, description="the lenses are fitted in the site's frame")


def quality_check(uow: UnitOfWork, order_id: str, check: QualityCheck, actor: str) -> Answer:
    """The ANSI Z80.1 tolerances: the glasses are ready, or go back to the lab (at most twice), or a
    manager decides (``qc_failed``)."""
    order = _begin(uow, order_id, "checked", (OrderStatus.QUALITY_CHECK,))
    version = uow.orders.prescription(order.prescription_id)
    if version is None:
        raise Conflict(f"order {order_id} has no prescription any more (the client's data was erased)")
    rx = Prescription.model_validate({**version.rx, "prescriber": version.prescriber, "written_on": version.written_on})
    deviations = [
        *_named("right", tolerances.deviations(rx.right, Measured(**check.right.model_dump()))),
        *_named("left", tolerances.deviations(rx.left, Measured(**check.left.model_dump()))),
    ]
    failed = [deviation.field for deviation in deviations]
    record_event(uow, order, "quality_checked", actor, attempt=order.lab_attempt, failed=failed)
    order.lenses_mounted = check.lenses_mounted
    if not deviations:
        order.status, order.ready_at = OrderStatus.READY, utcnow()
        client = uow.clients.get_one(order.client_id)
        channel = notify.queue_message(
            uow, client, "glasses_ready", f"glasses_ready:{order.id}", {"order_id": order.id}
        )
        record_event(uow, order, "ready", actor, channel=channel or notify.IN_PERSON)
    elif order.lab_attempt <= MAX_REMAKES:
        order.status, order.reason = OrderStatus.REMAKE, f"outside tolerance: {', '.join(failed)}"
    else:
        answer = _ended(uow, order, OrderStatus.QC_FAILED, actor, reason=f"outside tolerance: {', '.join(failed)}")
        answer.deviations = deviations
        return answer
    return _answer(uow, order, deviations)


def _named(side: str, deviations: list[Deviation]) -> list[Deviation]:
    return [Deviation(f"{side}.{d.field}", d.ordered, d.measured, d.tolerance) for d in deviations]


def pickup(uow: UnitOfWork, order_id: str, actor: str) -> Answer:
    order = _begin(uow, order_id, "handed over", (OrderStatus.READY,))
    end_order(uow, order, OrderStatus.DELIVERED, actor)
    return _answer(uow, order)


class Cancellation(Model):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"reason": "moved to another town"}]})

    reason: Text = Field(description="why: the client moved away, changed their mind …")


WAITING = (
    OrderStatus.RECEIVED,
    OrderStatus.AWAITING_FRAME,
    OrderStatus.FRAME_RESERVED,
    OrderStatus.AT_LAB,
    OrderStatus.REMAKE,
    OrderStatus.QUALITY_CHECK,
    OrderStatus.READY,
)


def cancel(uow: UnitOfWork, order_id: str, cancellation: Cancellation, actor: str) -> Answer:
    """In any state but an ended one: the wait stops, the frame is released by the stock's rule
    (back on the shelf, unless the lab has it or lenses are mounted in it: kept and recorded)."""
    order = _begin(uow, order_id, "cancelled", WAITING)
    if order.lab_started_at is not None:
        record_event(uow, order, "cancelled_after_lab", actor, attempt=order.lab_attempt)
    return _ended(uow, order, OrderStatus.CANCELLED, actor, reason=cancellation.reason)


def end_stopped(uow: UnitOfWork, order_id: str, actor: str) -> bool:
    """Ops stopped the order's workflow: an order not over is cancelled as ``cancel`` does (True);
    its own wait ended with the execution. False: it was over already."""
    order = uow.orders.lock(order_id)
    if order is None or order.status in ORDER_ENDED:
        return False
    order.waiting_for = order.task_token = None
    cancel(uow, order_id, Cancellation(reason="the order's workflow was stopped"), actor)
    return True
