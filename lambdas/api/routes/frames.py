"""A site's frames by SKU: managers set and restock them, the front desk and managers read them."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Body, Path

from lambdas.api.access import CONFIGURE_SITES, READ_RECORDS, Routes
from lambdas.api.caller import actor
from lambdas.api.routes.sites import SiteId
from lambdas.shared.fields import SKU_PATTERN
from lambdas.shared.orders import frames
from lambdas.shared.orders.frames import FramePage, FrameView

routes = Routes("orders")

Sku = Annotated[str, Path(pattern=SKU_PATTERN, description="the frame model's SKU, in upper case, e.g. RAY-2140-52")]


@routes.put(
    "/sites/{site_id}/frames/{sku}",
    allow=CONFIGURE_SITES,
    summary="Set a site's stock of one frame model: description, kind, count (orders waiting for it take theirs)",
)
def handle_set_frames(site_id: SiteId, sku: Sku, settings: Annotated[frames.FrameSettings, Body()]) -> FrameView:
    caller = actor(routes.router)
    return caller.run(frames.set_stock, site_id, sku, settings, caller.name)


@routes.post(
    "/sites/{site_id}/frames/{sku}/restock",
    allow=CONFIGURE_SITES,
    summary="Add frames of one model to a site's stock: orders waiting for it take theirs, oldest first",
)
def handle_restock_frames(site_id: SiteId, sku: Sku, restock: Annotated[frames.Restock, Body()]) -> FrameView:
    caller = actor(routes.router)
    return caller.run(frames.restock, site_id, sku, restock.quantity, caller.name)


@routes.get(
    "/sites/{site_id}/frames", allow=READ_RECORDS, summary="A site's frames, by SKU, with the count on the shelf"
)
def handle_list_frames(site_id: SiteId) -> FramePage:
    return actor(routes.router).run(frames.list_frames, site_id)
