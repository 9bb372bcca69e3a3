"""The table of route modules says where each route is: the function imports only that module."""

import subprocess
import sys

import pytest

from benchmarks.cold_start import REPO
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


@pytest.mark.parametrize("resource", ["/clients/{client_id}/secrets", "/sites/{site_id}/frames/{sku}/x", "/nothing"])
def test_a_resource_no_module_declares_is_refused_even_to_every_group(resource: str) -> None:
    event = {
        "resource": resource,
        "path": resource.replace("{", "").replace("}", ""),
        "httpMethod": "GET",
        "requestContext": {"authorizer": {"claims": claims_for("front-desk", "managers", "ops", "lab")}},
    }
    assert handler(event, lambda_context())["statusCode"] == 403


def _overlap(one: str, other: str) -> bool:
    """Whether one path could be an instance of both resources."""
    ones, others = one.split("/"), other.split("/")
    return len(ones) == len(others) and all(
        a == b or a.startswith("{") or b.startswith("{") for a, b in zip(ones, others, strict=True)
    )


def test_no_path_is_an_instance_of_two_routes_of_one_method() -> None:
    """The resolver matches a path against the routes in the order they were included, which depends
    on what the container served first: no path may match two."""
    declared = [route for module in routes.MODULES for route in _declared_in(module)]
    both = [
        (one.method, one.resource, other.resource)
        for index, one in enumerate(declared)
        for other in declared[index + 1 :]
        if one.method == other.method and _overlap(one.resource, other.resource)
    ]
    assert both == []


def test_the_openapi_document_is_the_same_whatever_the_container_served_first() -> None:
    code = """
import sys
from lambdas.api.app import handler, openapi_document
from tests.events import lambda_context
for resource in sys.argv[1:]:
    path = resource.replace("{", "").replace("}", "")
    handler({"httpMethod": "GET", "resource": resource, "path": path, "requestContext": {}}, lambda_context())
sys.stdout.write(openapi_document())
"""
    orders = [[], ["/health"], ["/sites/{site_id}/board", "/orders"], ["/workflows", "/clients", "/health"]]
    documents = {
        subprocess.run(
            [sys.executable, "-c", code, *first],
            cwd=REPO,
            env={"PATH": "", "POWERTOOLS_METRICS_NAMESPACE": "x"},
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        for first in orders
    }
    assert len(documents) == 1
    assert '"/sites/{site_id}/board"' in documents.pop()
