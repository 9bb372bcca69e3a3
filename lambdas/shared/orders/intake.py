"""Creating an order: an active client, a site's frame, a lens, and the prescription it is made from
— stored as a new version of the client's prescription, never changed afterwards."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from pydantic import ConfigDict, Field

from lambdas.shared import signals
from lambdas.shared.clock import utcnow
from lambdas.shared.db.base import new_id
from lambdas.shared.db.unit_of_work import UnitOfWork
from lambdas.shared.domain import ClientStatus
from lambdas.shared.errors import Conflict, InvalidField
from lambdas.shared.fields import SKU_PATTERN, SLUG_PATTERN, UUID_PATTERN
from lambdas.shared.idempotency import earlier_entity
from lambdas.shared.model import Model
from lambdas.shared.orders import prescription
from lambdas.shared.orders.steps import record_event
from lambdas.shared.parameters import OrderParameters, read
from lambdas.shared.queue.sites import service_day
from lambdas.shared.stepfunctions import execution_arn_of
from workflows.order_fulfilment import WORKFLOW as ORDER_FULFILMENT


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


class CreateOrder(Model):
    model_config = ConfigDict(extra="forbid", json_schema_extra=_example)

    client_id: str = Field(pattern=UUID_PATTERN, description="an active client")
    site_id: str = Field(pattern=SLUG_PATTERN, description="the site that fits and hands over the glasses")
    frame_sku: str = Field(pattern=SKU_PATTERN, description="one of the site's frames")
    lens: prescription.Lens
    prescription: prescription.Prescription


@dataclass(frozen=True)
class Created:
    order_id: str
    execution_arn: str  # the execution that fulfils it


def limits() -> prescription.Limits:
    settings = read(OrderParameters)
    return prescription.Limits(
        sphere=settings.max_sphere,
        cylinder=settings.max_cylinder,
        max_age=timedelta(days=settings.prescription_max_age_days),
    )


def create_order(uow: UnitOfWork, request: CreateOrder, actor: str, idempotency_key: str | None = None) -> Created:
    """A new order, its workflow started — or, for an Idempotency-Key seen before with the same
    request, that one."""
    order_id = new_id()
    if idempotency_key is not None:
        earlier = earlier_entity(uow, "order", actor, idempotency_key, request, order_id, "order")
        if earlier is not None:
            found = uow.orders.get(earlier)
            arn = found.execution_arn if found and found.execution_arn else None
            return Created(earlier, arn or execution_arn_of(ORDER_FULFILMENT, earlier))
    client = uow.clients.lock(request.client_id)  # its prescription versions are numbered one at a time
    if client is None:
        raise InvalidField("client_id", f"no client {request.client_id}")
    if client.status != ClientStatus.ACTIVE:
        raise Conflict(f"client {request.client_id} is {client.status}: only an active client can order glasses")
    site = uow.sites.get(request.site_id)
    if site is None:
        raise InvalidField("site_id", f"no site {request.site_id}")
    if uow.frames.get(request.site_id, request.frame_sku) is None:
        raise InvalidField("frame_sku", f"site {request.site_id} has no frame {request.frame_sku}")
    now = utcnow()
    today = service_day(site.timezone, now)  # the site's date: a prescription written this morning there
    problems = prescription.problems(request.prescription, request.lens, limits(), today)
    if problems:
        raise InvalidField(*problems[0], *problems[1:])
    rx = request.prescription
    from lambdas.shared.db.orders.models import Order, Prescription

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
        execution_arn=(execution_arn := signals.start(uow, ORDER_FULFILMENT, order_id)),
    )
    uow.orders.add(order)
    record_event(uow, order, "created", actor, prescription_version=version.version)
    return Created(order.id, execution_arn)
