"""The OpenAPI document is the contract: every route, its groups, its schemas, and every answer it can
give with the body the API really sends; the local Swagger UI calls the routes where they are served."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any
from urllib.parse import urljoin, urlsplit

from lambdas.api.app import enable_local_docs, handler, openapi_document
from lambdas.shared.orders.intake import EXAMPLE_CLIENT_ID
from local.gateway import LocalApiGateway
from local.seed import SITE_ID, seed
from local.tokens import KeyPair, issue_token
from tests.events import api_event, call_api
from tests.matrix import FAKE_ID, declared_routes

# Every status each route can answer, written out by hand (README "The API", lambdas/api/errors.py):
# API Gateway's 429 and our 500 anywhere; with a token 401, 403 and 503 (database, Step Functions);
# with input 422; with a body 400 (not JSON), 413 and 415; with a path id 404; 409 where a state clashes.
ANYWHERE = {429, 500}
AUTHENTICATED = {401, 403, 503}
WITH_BODY = {400, 413, 415}
DOCUMENTED_STATUSES: dict[tuple[str, str], set[int]] = {
    ("GET", "/health"): {200} | ANYWHERE,
    ("GET", "/openapi.json"): {200} | ANYWHERE | AUTHENTICATED,
    ("GET", "/clients"): {200, 422} | ANYWHERE | AUTHENTICATED,
    ("GET", "/clients/{client_id}"): {200, 404, 422} | ANYWHERE | AUTHENTICATED,
    ("DELETE", "/clients/{client_id}"): {200, 404, 422} | ANYWHERE | AUTHENTICATED,
    ("POST", "/clients"): {202, 409, 422} | WITH_BODY | ANYWHERE | AUTHENTICATED,
    ("POST", "/clients/{client_id}/duplicate-review"): {202, 404, 409, 422} | WITH_BODY | ANYWHERE | AUTHENTICATED,
    ("POST", "/clients/{client_id}/documents"): {202, 404, 409, 422} | WITH_BODY | ANYWHERE | AUTHENTICATED,
    ("PATCH", "/clients/{client_id}"): {200, 404, 409, 422} | WITH_BODY | ANYWHERE | AUTHENTICATED,
    ("POST", "/clients/{client_id}/consents"): {200, 404, 409, 422} | WITH_BODY | ANYWHERE | AUTHENTICATED,
    ("GET", "/sites"): {200} | ANYWHERE | AUTHENTICATED,
    ("GET", "/sites/{site_id}"): {200, 404, 422} | ANYWHERE | AUTHENTICATED,
    ("PUT", "/sites/{site_id}"): {200, 404, 422} | WITH_BODY | ANYWHERE | AUTHENTICATED,
    ("PUT", "/sites/{site_id}/stations/{station_id}"): {200, 404, 409, 422} | WITH_BODY | ANYWHERE | AUTHENTICATED,
    ("PUT", "/sites/{site_id}/frames/{sku}"): {200, 404, 422} | WITH_BODY | ANYWHERE | AUTHENTICATED,
    ("POST", "/sites/{site_id}/frames/{sku}/restock"): {200, 404, 422} | WITH_BODY | ANYWHERE | AUTHENTICATED,
    ("GET", "/sites/{site_id}/frames"): {200, 404, 422} | ANYWHERE | AUTHENTICATED,
    ("POST", "/sites/{site_id}/tickets"): {201, 404, 409, 422} | WITH_BODY | ANYWHERE | AUTHENTICATED,
    ("GET", "/sites/{site_id}/tickets"): {200, 404, 422} | ANYWHERE | AUTHENTICATED,
    ("GET", "/tickets/{ticket_id}"): {200, 404, 422} | ANYWHERE | AUTHENTICATED,
    ("GET", "/tickets"): {200, 422} | ANYWHERE | AUTHENTICATED,
    ("POST", "/sites/{site_id}/stations/{station_id}/call-next"): {200, 204, 404, 409, 422}
    | WITH_BODY
    | ANYWHERE
    | AUTHENTICATED,
    **{
        ("POST", f"/tickets/{{ticket_id}}/{action}"): {200, 404, 409, 422} | WITH_BODY | ANYWHERE | AUTHENTICATED
        for action in ("call", "arrived", "recall", "no-show", "complete", "transfer", "cancel", "client")
    },
    ("GET", "/sites/{site_id}/board"): {200, 404, 422} | ANYWHERE | AUTHENTICATED,
    ("POST", "/orders"): {202, 409, 422} | WITH_BODY | ANYWHERE | AUTHENTICATED,
    ("GET", "/orders"): {200, 422} | ANYWHERE | AUTHENTICATED,
    ("GET", "/orders/{order_id}"): {200, 404, 422} | ANYWHERE | AUTHENTICATED,
    **{
        ("POST", f"/orders/{{order_id}}/{action}"): {200, 404, 409, 422} | WITH_BODY | ANYWHERE | AUTHENTICATED
        for action in ("frame", "lab-result", "quality-check", "pickup", "cancel")
    },
    ("POST", "/lab/orders/{order_id}/result"): {200, 404, 409, 422} | WITH_BODY | ANYWHERE | AUTHENTICATED,
    ("GET", "/sites/{site_id}/statistics"): {200, 404, 422} | ANYWHERE | AUTHENTICATED,
    ("GET", "/workflows"): {200, 422} | ANYWHERE | AUTHENTICATED,
    ("GET", "/workflows/{workflow}/executions"): {200, 404, 422} | ANYWHERE | AUTHENTICATED,
    ("GET", "/executions"): {200, 422} | ANYWHERE | AUTHENTICATED,
    ("GET", "/workflows/{workflow}/executions/{name}"): {200, 404, 422} | ANYWHERE | AUTHENTICATED,
    ("GET", "/workflows/{workflow}/executions/{name}/history"): {200, 404, 422} | ANYWHERE | AUTHENTICATED,
    ("POST", "/workflows/{workflow}/executions/{name}/redrive"): {202, 404, 409, 422}
    | WITH_BODY
    | ANYWHERE
    | AUTHENTICATED,
    ("POST", "/workflows/{workflow}/executions/{name}/stop"): {202, 404, 409, 422}
    | WITH_BODY
    | ANYWHERE
    | AUTHENTICATED,
}
SUCCESS = {200, 201, 202, 204}
ERROR = {"$ref": "#/components/schemas/Error"}
UNAUTHORIZED = {"$ref": "#/components/schemas/Unauthorized"}


def _document() -> dict[str, Any]:
    return json.loads(openapi_document())


def _operation(document: dict[str, Any], method: str, resource: str) -> dict[str, Any]:
    return document["paths"][resource][method.lower()]


def test_document_lists_every_declared_route_with_its_groups_and_response_schema() -> None:
    document = _document()
    for route in declared_routes():
        operation = _operation(document, route.method, route.resource)
        success = next(code for code in operation["responses"] if code.startswith("2"))
        assert operation["responses"][success]["content"]["application/json"]["schema"], route
        if route.public:
            assert "security" not in operation
        elif route.scopes:  # a machine client's route: an access token with one of its scopes
            assert operation["security"] == [{"cognito": sorted(route.scopes)}]
            assert operation["x-allowed-scopes"] == sorted(route.scopes)
            assert "x-allowed-groups" not in operation
        else:
            assert operation["security"] == [{"cognito": []}]
            assert operation["x-allowed-groups"] == sorted(route.allow)


def test_every_route_documents_every_status_it_can_answer() -> None:
    # Given the document and the hand-written table of statuses
    document = _document()
    declared = {(route.method, route.resource) for route in declared_routes()}
    # Then every declared route has a row, and documents exactly the row's statuses
    assert sorted(declared ^ set(DOCUMENTED_STATUSES)) == [], "routes and rows of DOCUMENTED_STATUSES differ"
    for (method, resource), statuses in DOCUMENTED_STATUSES.items():
        documented = {int(code) for code in _operation(document, method, resource)["responses"]}
        assert documented == statuses, f"{method} {resource}"


def test_every_error_answer_has_the_api_error_schema_and_401_api_gateways() -> None:
    document = _document()
    for (method, resource), statuses in DOCUMENTED_STATUSES.items():
        responses = _operation(document, method, resource)["responses"]
        for status in statuses - SUCCESS:
            schema = responses[str(status)]["content"]["application/json"]["schema"]
            assert schema == (UNAUTHORIZED if status == 401 else ERROR), f"{method} {resource} {status}"
            assert responses[str(status)]["description"]
    retry_after = _operation(document, "GET", "/clients")["responses"]["503"]["headers"]["Retry-After"]
    assert retry_after["schema"] == {"type": "integer"}


def test_the_error_schemas_are_the_api_s_own_and_powertools_defaults_are_gone() -> None:
    document = _document()
    schemas = document["components"]["schemas"]
    assert schemas["Error"]["required"] == ["error", "message", "details"]
    assert schemas["Error"]["properties"]["details"]["items"] == {"$ref": "#/components/schemas/ErrorDetail"}
    assert schemas["ErrorDetail"]["required"] == ["field", "message"]
    assert schemas["Unauthorized"]["required"] == ["message"]
    for powertools_default in ("HTTPValidationError", "ValidationError", "ResponseValidationError"):
        assert powertools_default not in schemas
        assert powertools_default not in openapi_document()


def test_the_documented_error_is_what_the_api_answers() -> None:
    # When the API refuses an invalid query, an unknown id and a caller outside the route's groups
    answers = {
        422: call_api(api_event("GET", "/clients", query={"limit": "0"})),
        404: call_api(api_event("GET", "/clients/00000000-0000-4000-8000-000000000000")),
        403: call_api(api_event("DELETE", "/clients/00000000-0000-4000-8000-000000000000")),
    }
    # Then each body has exactly the documented Error's fields, the 422 naming the field
    error = _document()["components"]["schemas"]["Error"]
    for expected, (status, body) in answers.items():
        assert status == expected
        assert set(body) == set(error["properties"]) == set(error["required"])
        assert all(set(detail) == {"field", "message"} for detail in body["details"])
    assert [detail["field"] for detail in answers[422][1]["details"]] == ["query.limit"]


def test_document_describes_parameters_and_models() -> None:
    document = _document()
    search = _operation(document, "GET", "/clients")
    searched = {parameter["name"] for parameter in search["parameters"]}
    assert searched == {"q", "birth_year", "status", "site_id", "flagged", "limit", "cursor"}
    assert search["responses"]["200"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/ClientPage"
    }
    assert "ClientDetail" in document["components"]["schemas"]
    assert document["components"]["securitySchemes"]["cognito"]["scheme"] == "bearer"


def test_document_is_served_to_any_group() -> None:
    status, body = call_api(api_event("GET", "/openapi.json", groups=("lab",)))
    assert status == 200
    assert body["info"]["title"] == "Fondation API"
    assert body == _document()


def test_health_needs_no_token() -> None:
    assert call_api(api_event("GET", "/health", groups=None)) == (200, {"status": "ok"})


def test_request_bodies_are_described() -> None:
    document = _document()
    create = _operation(document, "POST", "/clients")
    assert create["requestBody"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/Application"
    }
    assert "202" in create["responses"]
    application = document["components"]["schemas"]["Application"]
    assert {"first_name", "last_name", "language", "consents"} <= set(application["required"])
    review = _operation(document, "POST", "/clients/{client_id}/duplicate-review")
    assert review["requestBody"]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/Review"}


# What Swagger UI's user types for the path's ids, as the README's walk-through would: the local site,
# its stations, a frame on its shelf; an unknown id for the rest (a 404 is the body's business done).
PATH_VALUES = {
    "site_id": SITE_ID,
    "station_id": "reception",
    "sku": "DON-0042",
    "workflow": "order-fulfilment",
    "name": f"order-{FAKE_ID}",
}


def test_every_request_body_has_an_example_its_route_takes_in_the_walk_throughs_order(
    make_client: Callable[..., Any],
) -> None:
    # Given the local site, and the client the order's example names
    seed()
    make_client(id=EXAMPLE_CLIENT_ID)
    document = _document()
    operations = [
        (method.upper(), path, operation)
        for path, item in document["paths"].items()
        for method, operation in item.items()
        if "requestBody" in operation
    ]
    assert len(operations) >= 19
    for method, path, operation in operations:
        # When each body's first example is sent, in the document's order (the walk-through's)
        reference = operation["requestBody"]["content"]["application/json"]["schema"]["$ref"]
        examples = document["components"]["schemas"][reference.rsplit("/", 1)[1]].get("examples")
        assert examples, f"{method} {path}: no example for Swagger UI's Try it out"
        concrete = re.sub(r"\{(\w+)\}", lambda found: PATH_VALUES.get(found.group(1), FAKE_ID), path)
        allowed = operation.get("x-allowed-groups", [])
        event = api_event(method, concrete, groups=(allowed[0],) if allowed else None, body=examples[0])
        if "x-allowed-scopes" in operation:  # the lab's machine client
            claims = {"sub": "lab", "token_use": "access", "scope": operation["x-allowed-scopes"][0]}
            event["requestContext"]["authorizer"] = {"claims": claims}
        status, answer = call_api(event)
        # Then nothing in it is refused as invalid (a 404 for an unknown id, a 503 without Step Functions, fine)
        assert status not in (400, 415, 422), f"{method} {path}: {status} {answer}"


# --- the local Swagger UI -------------------------------------------------------------------------------

PAGE_URL = "http://127.0.0.1:3000/docs"  # where `make dev` serves it; only its path reaches the gateway


def _get(gateway: LocalApiGateway, url: str, token: str | None = None) -> tuple[int, str]:
    parts = urlsplit(url)
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    headers = [("Authorization", f"Bearer {token}")] if token else []
    status, _, body = gateway.handle("GET", path, headers, b"", "127.0.0.1")
    return status, body.decode()


def test_swagger_ui_try_it_out_reaches_the_routes_on_the_local_runtime(token_keys: KeyPair) -> None:
    # Given the local runtime's gateway with its Swagger UI
    enable_local_docs()
    gateway = LocalApiGateway(handler, token_keys)
    # When the browser opens /docs
    status, page = _get(gateway, PAGE_URL)
    assert status == 200
    # Then the page loads the document at /docs?format=json, which it also embeds, and which is /openapi.json's
    spec_url = re.search(r'updateUrl\(currentUrl\.pathname \+ "(\?format=json)"\)', page)
    assert spec_url is not None
    status, spec = _get(gateway, urljoin(PAGE_URL, spec_url.group(1)))
    assert status == 200
    assert spec in page
    document = json.loads(spec)
    assert document == _document()
    # And "Try it out" — the server URL, resolved against the page as Swagger UI does, plus a documented
    # path — reaches the routes: a public one, and an authenticated one with the token given to Authorize
    server = urljoin(PAGE_URL, document["servers"][0]["url"]).rstrip("/")
    token = issue_token(token_keys, ["front-desk"], "desk-1")
    assert "/health" in document["paths"]
    assert "/clients" in document["paths"]
    status, body = _get(gateway, f"{server}/health")
    assert (status, json.loads(body)) == (200, {"status": "ok"})
    status, body = _get(gateway, f"{server}/clients?limit=5", token)
    assert (status, json.loads(body)["items"]) == (200, [])
