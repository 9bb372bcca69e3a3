"""Creating an order: an active client, a site's frame, a lens, and the prescription it is made from
— stored as a new version of the client's prescription, never changed afterwards."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from lambdas.shared.clock import utcnow
from lambdas.shared.db.base import new_id
from lambdas.shared.db.orders.models import Order, Prescription
from lambdas.shared.db.unit_of_work import UnitOfWork
from lambdas.shared.domain import ClientStatus, OrderStatus
from lambdas.shared.errors import Conflict, InvalidField
from lambdas.shared.fields import SKU_PATTERN, UUID_PATTERN
from lambdas.shared.idempotency import earlier_entity
from lambdas.shared.orders import prescription
from lambdas.shared.orders.steps import end, record
from lambdas.shared.parameters import OrderParameters, read
from lambdas.shared.queue.sites import SLUG_PATTERN, service_day


def _example(schema: dict[str, Any]) -> None:
    """The README's order, written a week ago: an example stays valid whatever the day."""
    written_on = (date.today() - timedelta(days=7)).isoformat()
    schema["examples"] = [
        {
            "client_id": EXAMPLE_CLIENT_ID,
            "site_id": "saint-denis",
            "frame_sku": "DON-0042",
            "lens": {"type": "single_vision"},
            "prescription": {
                "right": {"sphere": -2.25, "cylinder": -0.50, "axis": 90},
                "left": {"sphere": -2.00},
                "pd": {"right": 31.5, "left": 32},
                "prescriber": "Dr Camille Roux",
                "written_on": written_on,
            },
        }
    ]


EXAMPLE_CLIENT_ID = "2c7d4a57-0c4e-4d8a-9a43-6f0a1c2e9b10"  # an active client's id goes here


class CreateOrder(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra=_example)

    client_id: str = Field(pattern=UUID_PATTERN, description="an active client")
    site_id: str = Field(pattern=SLUG_PATTERN, description="the site that fits and hands over the glasses")
    frame_sku: str = Field(pattern=SKU_PATTERN, description="one of the site's frames")
    lens: prescription.Lens
    prescription: prescription.Prescription


@dataclass(frozen=True)
class Created:
    order_id: str
    execution_arn: str | None
    repeat: bool = False  # an earlier request with its key made the order


def limits() -> prescription.Limits:
    settings = read(OrderParameters)
    return prescription.Limits(
        sphere=settings.max_sphere,
        cylinder=settings.max_cylinder,
        max_age=timedelta(days=settings.prescription_max_age_days),
    )


def create_order(
    uow: UnitOfWork,
    request: CreateOrder,
    actor: str,
    idempotency_key: str | None = None,
    execution_arn: Callable[[str], str] | None = None,
) -> Created:
    """A new order — or, for an Idempotency-Key seen before with the same request, that one."""
    order_id = new_id()
    if idempotency_key is not None:
        earlier = earlier_entity(uow, "POST /orders", actor, idempotency_key, request, order_id, "order")
        if earlier is not None:
            found = uow.orders.get(earlier)
            return Created(earlier, found.execution_arn if found else None, repeat=True)
    client = uow.clients.lock(request.client_id)  # its prescription versions are numbered one at a time
    if client is None:
        raise InvalidField("body.client_id", f"no client {request.client_id}")
    if client.status != ClientStatus.ACTIVE:
        raise Conflict(f"client {request.client_id} is {client.status}: only an active client can order glasses")
    site = uow.sites.get(request.site_id)
    if site is None:
        raise InvalidField("body.site_id", f"no site {request.site_id}")
    if uow.frames.get(request.site_id, request.frame_sku) is None:
        raise InvalidField("body.frame_sku", f"site {request.site_id} has no frame {request.frame_sku}")
    now = utcnow()
    today = service_day(site.timezone, now)  # the site's date: a prescription written this morning there
    problems = prescription.problems(request.prescription, request.lens, limits(), today)
    if problems:
        raise InvalidField(*problems[0], *problems[1:])
    rx = request.prescription
    version = Prescription(
        id=new_id(),
        client_id=client.id,
        version=uow.orders.next_prescription_version(client.id),
        rx=rx.model_dump(mode="json", exclude={"prescriber", "written_on"}, exclude_none=True),
        prescriber=rx.prescriber,
        written_on=rx.written_on,
        recorded_by=actor,
        recorded_at=now,
    )
    uow.orders.add(version)
    order = Order(
        id=order_id,
        client_id=client.id,
        site_id=request.site_id,
        prescription_id=version.id,
        frame_sku=request.frame_sku,
        lens=request.lens.model_dump(mode="json"),
        created_by=actor,
        execution_arn=execution_arn(order_id) if execution_arn else None,
    )
    uow.orders.add(order)
    record(uow, order, "created", actor, prescription_version=version.version)
    return Created(order.id, order.execution_arn)


def withdraw_order(uow: UnitOfWork, order_id: str, actor: str) -> None:
    """The order's workflow could not start: the order is cancelled (the client can order again) and
    its Idempotency-Key forgotten, so that repeating the request orders anew."""
    order = uow.orders.lock(order_id)
    if order is not None and order.status == OrderStatus.RECEIVED:
        end(uow, order, OrderStatus.CANCELLED, actor, reason="workflow_unavailable")
    uow.idempotency.forget_entities([order_id])
