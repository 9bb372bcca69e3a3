"""The OpenAPI document lists every route with its groups, parameters and schemas."""

import json

from lambdas.api.app import openapi_document
from tests.events import api_event, call_api
from tests.matrix import declared_routes


def test_document_lists_every_declared_route_with_its_groups_and_response_schema() -> None:
    document = json.loads(openapi_document())
    for route in declared_routes():
        operation = document["paths"][route.resource][route.method.lower()]
        success = next(code for code in operation["responses"] if code.startswith("2"))
        assert operation["responses"][success]["content"]["application/json"]["schema"], route
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


def test_request_bodies_are_described() -> None:
    document = json.loads(openapi_document())
    create = document["paths"]["/clients"]["post"]
    assert create["requestBody"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/Application"
    }
    assert "202" in create["responses"]
    application = document["components"]["schemas"]["Application"]
    assert {"first_name", "last_name", "birth_date", "address", "language", "consents"} <= set(application["required"])
    review = document["paths"]["/clients/{client_id}/duplicate-review"]["post"]
    assert review["requestBody"]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/Review"}
