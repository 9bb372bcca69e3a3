"""The API's route modules, and which one serves a resource.

Each module declares its routes (``Routes``); this table says which module a part of the API's paths
belongs to, so that the function imports only the module a request reaches: the models its routes
name are most of the API's import time. A resource is served by the module of its longest prefix
here (``/sites/{site_id}/stations/{station_id}`` by ``sites``, its ``/call-next`` by ``tickets``).
``tests/api/test_route_modules.py`` checks that every route is in the module this table names.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from lambdas.api.access import RouteAccess, Routes

SERVED_BY: Mapping[str, str] = {
    "/health": "health",
    "/openapi.json": "document",
    "/clients": "clients",
    "/sites": "sites",
    "/sites/{site_id}/frames": "frames",
    "/sites/{site_id}/board": "tickets",
    "/sites/{site_id}/statistics": "tickets",
    "/sites/{site_id}/tickets": "tickets",
    "/sites/{site_id}/stations/{station_id}/call-next": "tickets",
    "/tickets": "tickets",
    "/orders": "orders",
    "/lab": "orders",
    "/executions": "executions",
    "/workflows": "executions",
}
MODULES = tuple(dict.fromkeys(SERVED_BY.values()))  # in the README's order, which the OpenAPI document keeps
_DEEPEST = max(prefix.count("/") for prefix in SERVED_BY) + 1  # segments, the empty first one included


def module_serving(resource: str) -> str | None:
    """The route module that declares ``resource`` (an API Gateway template), if any does."""
    segments = resource.split("/", _DEEPEST)  # a longer resource is served by one of its prefixes, or none
    for end in range(min(len(segments), _DEEPEST), 1, -1):
        module = SERVED_BY.get("/".join(segments[:end]))
        if module is not None:
            return module
    return None


def routes_of(module: str) -> Routes:
    """Importing a route module declares its routes (into ``access.ROUTES``)."""
    routes: Routes = importlib.import_module(f"{__name__}.{module}").routes
    return routes


def every_route() -> Mapping[tuple[str, str], RouteAccess]:
    """Every route the API declares, each module imported: what the CDK app, the local gateway and
    the OpenAPI document read."""
    from lambdas.api.access import ROUTES

    for module in MODULES:
        routes_of(module)
    return ROUTES
