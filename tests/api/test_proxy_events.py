"""An event that is not what API Gateway sends (a direct invoke) is a 400 naming the field, never a
route its caller may not call, never an exception; the groups are checked for the route it reaches."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from lambdas.api.app import handler
from lambdas.api.proxy_event import instance_of
from tests.events import api_event, claims_for, lambda_context
from tests.matrix import declared_routes, sample_path

ORDER = "00000000-0000-4000-8000-000000000000"


def _answer(event: Any) -> tuple[int, dict[str, Any]]:
    response = handler(event, lambda_context())
    assert response["multiValueHeaders"]["Cache-Control"] == ["no-store"]
    return response["statusCode"], json.loads(response["body"])


def _changed(field: str, value: Any) -> dict[str, Any]:
    event = copy.deepcopy(api_event("POST", "/clients", body={"first_name": "Ana"}))
    target = event
    *parents, name = field.split(".")
    for parent in parents:
        target = target[parent]
    target[name] = value
    return event


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("resource", ["/clients"]),
        ("resource", {"a": 1}),
        ("resource", None),
        ("path", None),
        ("path", 7),
        ("httpMethod", ["POST"]),
        ("body", 12),
        ("body", {"first_name": "Ana"}),
        ("isBase64Encoded", "yes"),
        ("headers", ["Content-Type", "application/json"]),
        ("headers", {"Content-Type": 7}),
        ("multiValueHeaders", {"Content-Type": "application/json"}),
        ("multiValueHeaders", {"Content-Type": [7]}),
        ("queryStringParameters", "limit=5"),
        ("multiValueQueryStringParameters", {"limit": "5"}),
        ("pathParameters", ["x"]),
        ("stageVariables", 1),
        ("requestContext", "context"),
        ("requestContext.authorizer", "authorizer"),
        ("requestContext.authorizer.claims", "sub=1"),
    ],
)
def test_a_malformed_event_is_a_400_naming_the_field(field: str, value: Any) -> None:
    status, body = _answer(_changed(field, value))
    assert (status, body["error"], body["details"][0]["field"]) == (400, "invalid_event", field)


@pytest.mark.parametrize("event", [[], "GET /clients", None, 7])
def test_an_event_that_is_no_object_is_a_400(event: Any) -> None:
    status, body = _answer(event)
    assert (status, body["error"], body["details"][0]["field"]) == (400, "invalid_event", "event")


@pytest.mark.parametrize(
    ("method", "resource", "path", "groups"),
    [
        ("GET", "/sites/{site_id}/board", "/sites/saint-denis/statistics", ("lab",)),  # statistics: managers only
        ("GET", "/openapi.json", "/clients", ("lab",)),
        ("GET", "/health", "/openapi.json", None),
        ("GET", "/health", "/clients", None),
        ("POST", "/tickets/{ticket_id}/call", f"/orders/{ORDER}/cancel", ("front-desk",)),
        ("GET", "/sites/{site_id}", "/sites", ("front-desk",)),
        ("GET", "/sites/{site_id}", "/sites/", ("front-desk",)),
        ("GET", "/clients/{client_id}", f"/clients/{ORDER}/", ("front-desk",)),
    ],
)
def test_a_path_that_is_not_an_instance_of_its_resource_reaches_no_route(
    method: str, resource: str, path: str, groups: tuple[str, ...] | None
) -> None:
    # Given every module already included, so any route could be matched by the path alone
    assert _answer(api_event("GET", "/openapi.json"))[0] == 200
    event = {"httpMethod": method, "resource": resource, "path": path, "headers": {}, "requestContext": {}}
    if groups is not None:
        event["requestContext"] = {"authorizer": {"claims": claims_for(*groups)}}
    status, body = _answer(event)
    assert (status, body["error"], body["details"][0]["field"]) == (400, "invalid_event", "path")


def test_the_lab_clients_token_on_its_resource_reaches_no_other_route() -> None:
    event = api_event("POST", f"/orders/{ORDER}/cancel", body={"reason": "x"})
    event["resource"] = "/lab/orders/{order_id}/result"
    event["requestContext"]["authorizer"] = {"claims": {"sub": "lab", "scope": "fondation/lab-results"}}
    assert _answer(event)[0] == 400


def test_a_resource_of_a_megabyte_is_refused_as_no_route() -> None:
    for resource in ("/" * 1_000_000, "/" + "/".join(["a"] * 500_000)):
        status, body = _answer({"httpMethod": "GET", "resource": resource, "path": resource, "requestContext": {}})
        assert (status, body["error"]) == (403, "forbidden")


@pytest.mark.parametrize(
    ("resource", "path", "expected"),
    [
        ("/clients/{client_id}", "/clients/abc", True),
        ("/clients/{client_id}", "/clients/", False),
        ("/clients/{client_id}", "/clients/a/b", False),
        ("/clients", "/clients/", False),
        ("/clients", "/Clients", False),
        ("/sites/{site_id}/board", "/sites/x/board", True),
        ("/sites/{site_id}/board", "/sites/x/statistics", False),
        ("/health", "/health", True),
        ("", "", True),
    ],
)
def test_a_path_is_an_instance_of_a_resource_segment_by_segment(resource: str, path: str, expected: bool) -> None:
    assert instance_of(resource, path) is expected


def test_events_the_gateway_sends_are_not_refused() -> None:
    # every declared route, its event shaped by the local gateway's code
    for route in declared_routes():
        event = api_event(route.method, sample_path(route), groups=("ops",))
        _, body = _answer(event)
        assert body.get("error") != "invalid_event", (route, body)
