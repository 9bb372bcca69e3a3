"""The local gateway builds the REST proxy event (v1) AWS would, and answers as API Gateway does."""

import json
from typing import Any

import pytest

from local.gateway import LocalApiGateway
from local.tokens import KeyPair, issue_access_token, issue_token, subject_of


def _capture(response: dict[str, Any] | None = None) -> tuple[list[dict[str, Any]], Any]:
    events: list[dict[str, Any]] = []

    def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
        events.append(event)
        events.append({"context": context})
        return response or {"statusCode": 200, "headers": {"Content-Type": "application/json"}, "body": "{}"}

    return events, handler


def test_request_becomes_a_rest_proxy_event_with_claims(token_keys: KeyPair) -> None:
    # Given a gateway in front of a handler that records what it receives
    events, handler = _capture()
    gateway = LocalApiGateway(handler, token_keys)
    token = issue_token(token_keys, ["front-desk", "managers"], "awa")
    client_id = "00000000-0000-4000-8000-000000000001"
    # When a request comes in
    status, _, _ = gateway.handle(
        "GET",
        f"/clients/{client_id}?a=1&a=2&b=x",
        [("Authorization", f"Bearer {token}"), ("X-Trace", "t1"), ("X-Trace", "t2")],
        b"",
        "203.0.113.9",
    )
    # Then the handler saw an API Gateway REST proxy event
    event, context = events[0], events[1]["context"]
    assert status == 200
    assert event["resource"] == "/clients/{client_id}"
    assert event["path"] == f"/clients/{client_id}"
    assert event["httpMethod"] == "GET"
    assert event["pathParameters"] == {"client_id": client_id}
    assert event["queryStringParameters"] == {"a": "2", "b": "x"}
    assert event["multiValueQueryStringParameters"] == {"a": ["1", "2"], "b": ["x"]}
    assert event["headers"]["X-Trace"] == "t2"
    assert event["multiValueHeaders"]["X-Trace"] == ["t1", "t2"]
    assert (event["body"], event["isBase64Encoded"]) == (None, False)
    request_context = event["requestContext"]
    assert request_context["stage"] == "local"
    assert request_context["requestId"]
    assert request_context["identity"]["sourceIp"] == "203.0.113.9"
    claims = request_context["authorizer"]["claims"]
    assert claims["sub"] == subject_of("awa")
    assert claims["cognito:groups"] == "front-desk,managers"
    assert claims["token_use"] == "id"
    assert isinstance(claims["exp"], str)
    # and a Lambda-like context
    assert context.function_name == "fondation-local-api"
    assert context.invoked_function_arn.endswith(":function:fondation-local-api")
    assert 0 < context.get_remaining_time_in_millis() <= 29_000


def test_binary_body_is_base64_encoded(token_keys: KeyPair) -> None:
    events, handler = _capture()
    token = issue_token(token_keys, ["front-desk"], "awa")
    LocalApiGateway(handler, token_keys).handle("GET", "/clients", [("Authorization", token)], b"\xff\xfe", "::1")
    assert events[0]["isBase64Encoded"] is True
    assert events[0]["body"] == "//4="


def test_public_route_needs_no_token_and_carries_no_claims(token_keys: KeyPair) -> None:
    events, handler = _capture()
    status, _, _ = LocalApiGateway(handler, token_keys).handle("GET", "/health", [], b"", "::1")
    assert status == 200
    assert events[0]["requestContext"]["authorizer"] is None


def test_protected_route_without_a_valid_token_never_reaches_the_handler(token_keys: KeyPair) -> None:
    events, handler = _capture()
    gateway = LocalApiGateway(handler, token_keys)
    for headers in ([], [("Authorization", "Bearer nonsense")]):
        status, response_headers, body = gateway.handle("GET", "/clients", headers, b"", "::1")
        assert (status, json.loads(body)) == (401, {"message": "Unauthorized"})
        assert ("Content-Type", "application/json") in response_headers
    assert events == []


@pytest.mark.parametrize(
    ("token", "reason"),
    [
        (None, "no token"),
        ("not.a.token", "not a token the user pool issued"),
        ("expired", "the token has expired"),
        ("access", "an access token where a person's ID token is required"),
    ],
)
def test_a_401_says_why_in_the_local_log_and_nothing_more_to_the_caller(
    token_keys: KeyPair, token: str | None, reason: str, capsys: pytest.CaptureFixture[str]
) -> None:
    tokens = {
        "expired": issue_token(token_keys, ["front-desk"], "awa", ttl_seconds=-10),
        "access": issue_access_token(token_keys, "lab", ["fondation/lab-results"]),
    }
    headers = [] if token is None else [("Authorization", f"Bearer {tokens.get(token, token)}")]
    status, _, body = LocalApiGateway(_capture()[1], token_keys).handle("GET", "/clients", headers, b"", "::1")
    assert (status, json.loads(body)) == (401, {"message": "Unauthorized"})
    assert f"GET /clients: 401, {reason}" in capsys.readouterr().err


def test_undeclared_route_is_404_without_calling_the_handler(token_keys: KeyPair) -> None:
    events, handler = _capture()
    status, _, body = LocalApiGateway(handler, token_keys).handle("PUT", "/clients", [], b"", "::1")
    assert status == 404
    assert json.loads(body)["error"] == "not_found"
    assert events == []


def test_a_crashing_function_is_a_502_not_a_dead_server(token_keys: KeyPair) -> None:
    def crash(event: dict[str, Any], context: Any) -> dict[str, Any]:
        raise RuntimeError("boom")

    status, _, body = LocalApiGateway(crash, token_keys).handle("GET", "/health", [], b"", "::1")
    assert (status, json.loads(body)) == (502, {"message": "Internal server error"})


def test_response_headers_and_base64_bodies_are_passed_back(token_keys: KeyPair) -> None:
    _, handler = _capture(
        {
            "statusCode": 201,
            "headers": {"Location": "/x"},
            "multiValueHeaders": {"Set-Cookie": ["a=1", "b=2"]},
            "body": "aGVsbG8=",
            "isBase64Encoded": True,
        }
    )
    status, headers, body = LocalApiGateway(handler, token_keys).handle("GET", "/health", [], b"", "::1")
    assert (status, body) == (201, b"hello")
    assert ("Location", "/x") in headers
    assert [value for name, value in headers if name == "Set-Cookie"] == ["a=1", "b=2"]
