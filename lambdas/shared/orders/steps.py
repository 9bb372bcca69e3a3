"""Order fulfilment: every step of an order's workflow (creation is in ``intake``, the front desk's
and the lab's answers in ``desk``).

The order's row is the truth; the workflow follows it. Each step reads the row and returns the
order's status, and the workflow goes where that status says (its ``Route`` state): an answer given
before the workflow started waiting for it is not lost, a cancellation is seen by the next step,
and every step is safe to run twice. A wait maps to a status: ``frame`` while awaiting a frame,
``lab_result`` at the lab, ``quality_check`` once shipped, ``pickup`` when ready.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from lambdas.shared import notify, signals
from lambdas.shared.clock import utcnow
from lambdas.shared.db.unit_of_work import UnitOfWork
from lambdas.shared.domain import ORDER_ENDED, OrderStatus
from lambdas.shared.errors import NotFound
from lambdas.shared.model import Model
from lambdas.shared.orders import lab
from lambdas.shared.parameters import OrderParameters, read

if TYPE_CHECKING:  # tables are mapped on first use (lambdas/shared/db/unit_of_work.py)
    from lambdas.shared.db.orders.models import Order

AWAITED_IN = {
    "frame": OrderStatus.AWAITING_FRAME,
    "lab_result": OrderStatus.AT_LAB,
    "quality_check": OrderStatus.QUALITY_CHECK,
    "pickup": OrderStatus.READY,
}
HEARTBEAT = timedelta(days=3)  # the longest the lab may stay silent before managers hear of it


class OrderAnswer(Model):
    """What a person's answer tells the order's wait: the order's status, where the workflow goes next."""

    status: OrderStatus


@dataclass(frozen=True)
class Step:
    status: OrderStatus
    timeout_seconds: int | None = None  # the lab's wait: what is left of its overall time
    heartbeat_seconds: int | None = None


def open_order(uow: UnitOfWork, order_id: str) -> Order:
    order = uow.orders.lock(order_id)
    if order is None:
        raise NotFound("order", order_id)
    return order


def reserve_frame(uow: UnitOfWork, order_id: str, actor: str) -> Step:
    """One of the order's frames taken from the site's stock, or the order waits for one."""
    order = open_order(uow, order_id)
    waiting = order.status in (OrderStatus.RECEIVED, OrderStatus.AWAITING_FRAME)
    if waiting and not reserve(uow, order, actor) and order.status == OrderStatus.RECEIVED:
        order.status = OrderStatus.AWAITING_FRAME
        record_event(uow, order, "awaiting_frame", actor, sku=order.frame_sku)
    return Step(order.status)


def await_order(uow: UnitOfWork, order_id: str, waiting_for: str, token: str, actor: str) -> None:
    """Park the workflow on the order until a person answers — unless they already have: then the
    wait is answered at once, as a person would have answered it (``signals.resume`` with the order's
    status: the workflow goes where it says).

    An order starting to wait for a frame takes one if one is on the shelf now: a restock that read
    the waiting orders an instant before this one became one of them left it there."""
    if uow.orders.park(order_id, AWAITED_IN[waiting_for], waiting_for, token):
        if waiting_for != "frame":
            return
        order = open_order(uow, order_id)
        if not reserve(uow, order, actor):
            return
        order.waiting_for = order.task_token = None
    else:
        order = open_order(uow, order_id)
        if order.status == AWAITED_IN[waiting_for]:
            order.waiting_for, order.task_token = waiting_for, token  # it came back to it since the statement above
            return
    signals.resume(uow, token, OrderAnswer(status=order.status))


def submit_to_lab(uow: UnitOfWork, order_id: str, actor: str) -> Step:
    """The lens order in the lab's outbox (one per order and attempt) and handed to the lab."""
    order = open_order(uow, order_id)
    if order.status in (OrderStatus.FRAME_RESERVED, OrderStatus.REMAKE):
        now = utcnow()
        order.lab_attempt += 1
        from lambdas.shared.db.orders.models import LabSubmission

        submission = LabSubmission(
            order_id=order.id,
            attempt=order.lab_attempt,
            remake_reason=order.reason if order.status == OrderStatus.REMAKE else None,
            created_at=now,
        )
        uow.orders.add(submission)
        lab.adapter().submit(order, submission)
        order.status, order.lab_status, order.reason = OrderStatus.AT_LAB, "submitted", None
        order.lab_started_at = order.lab_started_at or now
        record_event(uow, order, "submitted_to_lab", actor, attempt=order.lab_attempt)
    return _at_lab(order, utcnow())


def timed_out(uow: UnitOfWork, order_id: str, waited_for: str, actor: str) -> Step:
    """A wait ran out. For a frame: the order takes one if one is on the shelf now, else it is
    cancelled. For the lab: managers hear of its silence
    and the order keeps waiting — until the lab's overall time is up: then it is cancelled, the
    frame released. For a pickup: a reminder, or after the last, the glasses are uncollected. For
    a quality check: managers hear of it, and it keeps waiting. An answer given at the last moment
    wins: the order's status then says where to go."""
    order = open_order(uow, order_id)
    if order.status != AWAITED_IN[waited_for] or order.waiting_for != waited_for:
        return Step(order.status)  # answered meanwhile — or this timeout was handled already (a retry)
    now = utcnow()
    order.waiting_for = order.task_token = None
    if waited_for == "frame":
        if not reserve(uow, order, actor):  # one may be back on the shelf since (a pickup never made)
            end_order(uow, order, OrderStatus.CANCELLED, actor, reason="no_frame")
    elif waited_for == "lab_result":
        if _lab_deadline(order) <= now:
            record_event(uow, order, "escalated", actor, why="lab_overdue")
            end_order(uow, order, OrderStatus.CANCELLED, actor, reason="lab_overdue")
        else:
            record_event(uow, order, "escalated", actor, why="lab_silent")
    elif waited_for == "quality_check":
        record_event(uow, order, "escalated", actor, why="quality_check_waiting")
    else:
        sent = uow.orders.count_events(order.id, "reminded")
        if sent < read(OrderParameters).pickup_reminders:  # then a wait as long again: uncollected
            remind(uow, order, sent + 1, actor)
        else:
            end_order(uow, order, OrderStatus.UNCOLLECTED, actor)
    return _at_lab(order, now) if order.status == OrderStatus.AT_LAB else Step(order.status)


def remind(uow: UnitOfWork, order: Order, reminder: int, actor: str) -> None:
    client = uow.clients.get_one(order.client_id)
    payload = {"order_id": order.id, "reminder": reminder}
    channel = notify.queue_message(uow, client, "pickup_reminder", f"pickup_reminder:{order.id}:{reminder}", payload)
    record_event(uow, order, "reminded", actor, reminder=reminder, channel=channel or notify.IN_PERSON)


def reminder_seconds() -> int:
    """How long the workflow waits for a pickup before the next reminder."""
    return int(timedelta(days=read(OrderParameters).pickup_reminder_days).total_seconds())


def _lab_deadline(order: Order) -> datetime:
    assert order.lab_started_at is not None
    return order.lab_started_at + timedelta(days=read(OrderParameters).lab_timeout_days)


def _at_lab(order: Order, now: datetime) -> Step:
    """The lab's wait: its heartbeat, and what is left of its overall time (at least two seconds:
    a heartbeat is shorter than the timeout)."""
    if order.status != OrderStatus.AT_LAB:
        return Step(order.status)
    left = max(2, int((_lab_deadline(order) - now).total_seconds()))
    return Step(order.status, timeout_seconds=left, heartbeat_seconds=min(int(HEARTBEAT.total_seconds()), left - 1))


# --- transitions, shared with the front desk's and the lab's answers ----------------------------------


def record_event(uow: UnitOfWork, order: Order, kind: str, actor: str, **details: object) -> None:
    from lambdas.shared.db.orders.models import OrderEvent

    uow.orders.record(OrderEvent(order_id=order.id, kind=kind, actor=actor, at=utcnow(), details=details))


def reserve(uow: UnitOfWork, order: Order, actor: str) -> bool:
    """Take one of the order's frames from the site's stock, if one is left."""
    if order.frame_reserved:
        return True
    if not uow.frames.take_one(order.site_id, order.frame_sku):
        return False
    order.frame_reserved, order.status = True, OrderStatus.FRAME_RESERVED
    record_event(uow, order, "frame_reserved", actor, sku=order.frame_sku)
    return True


AT_THE_LAB = ("submitted", "in_production")  # what the lab said last, while it has the frame


def release_frame(uow: UnitOfWork, order: Order, actor: str) -> bool:
    """The compensation, once: the frame goes back on the shelf (True) — unless the lab has it or the
    lenses are mounted in it (then the reservation ends, recorded, and a manager restocks what comes back)."""
    if not order.frame_reserved:
        return False
    order.frame_reserved = False
    at_lab = order.lab_status in AT_THE_LAB
    if order.lenses_mounted or at_lab:
        record_event(uow, order, "frame_kept", actor, sku=order.frame_sku, why="at_lab" if at_lab else "mounted")
        return False
    uow.frames.add(order.site_id, order.frame_sku, 1)
    record_event(uow, order, "frame_released", actor, sku=order.frame_sku)
    return True


def end_order(uow: UnitOfWork, order: Order, status: OrderStatus, actor: str, reason: str | None = None) -> bool:
    """The order is over; the frame it holds is released (``release_frame``'s rules: True when it is
    back on the shelf). A parked token stays: the answer that ended the order still has to reach the
    workflow."""
    assert status in ORDER_ENDED
    order.status, order.ended_at = status, utcnow()
    if reason is not None:
        order.reason = reason
    released = status != OrderStatus.DELIVERED and release_frame(uow, order, actor)
    record_event(uow, order, str(status), actor)  # the reason stays on the order: erasure forgets it there
    return released
