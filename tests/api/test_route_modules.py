"""The table of route modules says where each route is: the function imports only that module."""

import pytest

from lambdas.api import routes
from lambdas.api.access import RouteAccess
from lambdas.api.app import handler
from tests.events import claims_for, lambda_context


def _declared_in(module: str) -> list[RouteAccess]:
    return routes.routes_of(module).declared


@pytest.mark.parametrize("module", routes.MODULES)
def test_every_route_is_in_the_module_the_table_names(module: str) -> None:
    declared = _declared_in(module)
    assert declared, f"{module} declares no route"
    assert {route.resource: routes.module_serving(route.resource) for route in declared} == {
        route.resource: module for route in declared
    }


def test_every_prefix_of_the_table_serves_a_route() -> None:
    resources = [route.resource for module in routes.MODULES for route in _declared_in(module)]
    unused = [
        prefix
        for prefix in routes.SERVED_BY
        if not any(resource == prefix or resource.startswith(f"{prefix}/") for resource in resources)
    ]
    assert unused == []


@pytest.mark.parametrize(
    ("resource", "module"),
    [
        ("/sites", "sites"),
        ("/sites/{site_id}/stations/{station_id}", "sites"),
        ("/sites/{site_id}/stations/{station_id}/call-next", "tickets"),
        ("/sites/{site_id}/frames/{sku}/restock", "frames"),
        ("/lab/orders/{order_id}/result", "orders"),
        ("/clientsx", None),
        ("/", None),
        ("", None),
        ("clients", None),
        ("/../clients", None),
    ],
)
def test_a_resource_is_served_by_its_longest_prefix_and_only_by_whole_segments(
    resource: str, module: str | None
) -> None:
    assert routes.module_serving(resource) == module


@pytest.mark.parametrize(
    "resource", ["/clients/{client_id}/secrets", "/sites/{site_id}/frames/{sku}/x", "/nothing", "/../x", 7]
)
def test_a_resource_no_module_declares_is_refused_even_to_every_group(resource: object) -> None:
    event = {
        "resource": resource,
        "path": "/clients/x/secrets",
        "httpMethod": "GET",
        "requestContext": {"authorizer": {"claims": claims_for("front-desk", "managers", "ops", "lab")}},
    }
    response = handler(event, lambda_context())
    assert response["statusCode"] == 403
