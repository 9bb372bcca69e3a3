"""The OpenAPI document lists every route with its groups, parameters and schemas."""

import json

from lambdas.api.app import openapi_document
from tests.events import api_event, call_api
from tests.matrix import declared_routes


def test_document_lists_every_declared_route_with_its_groups_and_response_schema() -> None:
    document = json.loads(openapi_document())
    for route in declared_routes():
        operation = document["paths"][route.resource][route.method.lower()]
        assert operation["responses"]["200"]["content"]["application/json"]["schema"], route
        if route.public:
            assert "security" not in operation
        else:
            assert operation["security"] == [{"cognito": []}]
            assert operation["x-allowed-groups"] == sorted(route.allow)


def test_document_describes_parameters_and_models() -> None:
    document = json.loads(openapi_document())
    search = document["paths"]["/clients"]["get"]
    assert {parameter["name"] for parameter in search["parameters"]} == {"q", "limit", "cursor"}
    assert search["responses"]["200"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/ClientPage"
    }
    assert "ClientDetail" in document["components"]["schemas"]
    assert document["components"]["securitySchemes"]["cognito"]["scheme"] == "bearer"


def test_document_is_served_to_any_group() -> None:
    status, body = call_api(api_event("GET", "/openapi.json", groups=("lab",)))
    assert status == 200
    assert body["info"]["title"] == "Fondation API"


def test_health_needs_no_token() -> None:
    assert call_api(api_event("GET", "/health", groups=None)) == (200, {"status": "ok"})
