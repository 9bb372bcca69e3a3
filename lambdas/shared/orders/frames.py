"""A site's frames, by SKU: donated or new, how many are on the shelf.

The count only ever changes in one statement (``quantity = quantity ± n``, the decrement only where
one is left), so concurrent reservations, releases and restocks never lose an update and the stock
never goes below zero — the database refuses it too.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

from pydantic import ConfigDict, Field

from lambdas.shared.db.unit_of_work import UnitOfWork
from lambdas.shared.domain import FrameKind
from lambdas.shared.errors import InvalidField, NotFound
from lambdas.shared.fields import Text, whole_number
from lambdas.shared.model import Model
from lambdas.shared.orders.desk import serve_waiting_orders

if TYPE_CHECKING:  # tables are mapped on first use (lambdas/shared/db/unit_of_work.py)
    from lambdas.shared.db.orders.models import FrameStock

MAX_QUANTITY = 100_000  # a site's shelf, not a warehouse: a typo of extra zeros is refused


class FrameSettings(Model):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"description": "Donated, black, 52-18", "kind": "donated", "quantity": 1}]},
    )

    description: Text = Field(description="what the front desk sees: model, colour, size")
    kind: FrameKind = Field(description="donated or new")
    quantity: Annotated[int, *whole_number(0, MAX_QUANTITY)] = Field(description="how many are on the shelf now")


class Restock(Model):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"quantity": 5}]})

    quantity: Annotated[int, *whole_number(1, MAX_QUANTITY)] = Field(description="how many arrived")


class FrameView(Model):
    site_id: str
    sku: str
    description: str
    kind: FrameKind
    quantity: int

    @classmethod
    def of(cls, stock: FrameStock) -> FrameView:
        return cls(
            site_id=stock.site_id,
            sku=stock.sku,
            description=stock.description,
            kind=stock.kind,
            quantity=stock.quantity,
        )


class FramePage(Model):
    items: list[FrameView]


def set_stock(uow: UnitOfWork, site_id: str, sku: str, settings: FrameSettings, actor: str) -> FrameView:
    """Create or replace the SKU's description, kind and count; the orders waiting for it take theirs."""
    if uow.sites.get(site_id) is None:
        raise NotFound("site", site_id)
    stock = uow.frames.lock_or_create(site_id, sku, settings.description, settings.kind, actor)
    stock.description, stock.kind, stock.quantity, stock.configured_by = (
        settings.description,
        settings.kind,
        settings.quantity,
        actor,
    )
    uow.audit("frames.set", "frame_stock", f"{site_id}/{sku}", quantity=settings.quantity)
    uow.session.flush()
    serve_waiting_orders(uow, site_id, sku, actor)
    return FrameView.of(uow.frames.get(site_id, sku) or stock)


def restock(uow: UnitOfWork, site_id: str, sku: str, quantity: int, actor: str) -> FrameView:
    """``quantity`` more on the shelf; the orders waiting for it take theirs, oldest first."""
    if not uow.frames.add(site_id, sku, quantity):
        raise NotFound("frame", f"{sku} at site {site_id}")
    stock = uow.frames.get(site_id, sku)
    assert stock is not None
    if stock.quantity > MAX_QUANTITY:  # the unit of work rolls the addition back
        raise InvalidField("quantity", f"the shelf would hold {stock.quantity}: at most {MAX_QUANTITY}")
    uow.audit("frames.restocked", "frame_stock", f"{site_id}/{sku}", quantity=quantity)
    serve_waiting_orders(uow, site_id, sku, actor)
    stock = uow.frames.get(site_id, sku)  # what the orders served left on the shelf
    assert stock is not None
    return FrameView.of(stock)


def list_frames(uow: UnitOfWork, site_id: str) -> FramePage:
    if uow.sites.get(site_id) is None:
        raise NotFound("site", site_id)
    return FramePage(items=[FrameView.of(stock) for stock in uow.frames.of_site(site_id)])
