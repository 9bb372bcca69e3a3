"""The local gateway answers CORS preflights as the CDK app's API Gateway does, for ALLOWED_ORIGINS only."""

from __future__ import annotations

import threading
import urllib.request
from typing import Any

import pytest

from lambdas.shared.config import api_settings
from local.gateway import LocalApiGateway, make_http_server
from local.tokens import KeyPair

APP = "https://desk.fondation.example"
OTHER_APP = "https://console.fondation.example"
PREFLIGHT = [("Origin", APP), ("Access-Control-Request-Method", "POST"),
             ("Access-Control-Request-Headers", "authorization,content-type,idempotency-key")]  # fmt: skip


def _gateway(keys: KeyPair, origins: list[str] | None) -> tuple[LocalApiGateway, list[dict[str, Any]]]:
    calls: list[dict[str, Any]] = []

    def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
        calls.append(event)
        return {"statusCode": 200, "body": "{}"}

    return LocalApiGateway(handler, keys, origins=origins), calls


def _cors_headers(headers: list[tuple[str, str]]) -> dict[str, str]:
    return {name: value for name, value in headers if name.lower().startswith("access-control-")}


@pytest.mark.parametrize("path", ["/clients", "/clients/00000000-0000-4000-8000-000000000001/documents", "/health"])
def test_a_preflight_from_an_allowed_origin_gets_the_cors_headers_without_a_token(
    token_keys: KeyPair, path: str
) -> None:
    # Given a gateway configured with two origins
    gateway, calls = _gateway(token_keys, [OTHER_APP, APP])
    # When the browser sends its preflight, without any token
    status, headers, body = gateway.handle("OPTIONS", path, PREFLIGHT, b"", "127.0.0.1")
    # Then API Gateway's answer comes back, and the function never runs
    assert (status, body) == (204, b"")
    assert _cors_headers(headers) == {
        "Access-Control-Allow-Origin": APP,
        "Access-Control-Allow-Methods": "GET,POST,PUT,PATCH,DELETE,OPTIONS",
        "Access-Control-Allow-Headers": "Authorization,Content-Type,Idempotency-Key",
        "Access-Control-Max-Age": "600",
    }
    assert ("Vary", "Origin") in headers
    assert calls == []


@pytest.mark.parametrize(
    "headers",
    [
        [("Origin", "https://evil.example"), ("Access-Control-Request-Method", "POST")],
        [("Origin", APP.upper()), ("Access-Control-Request-Method", "POST")],  # origins compare exactly
        [("Origin", f"{APP}.evil.example")],
        [("Origin", "null")],
        [],
    ],
)
def test_a_preflight_from_another_origin_gets_no_cors_headers(token_keys: KeyPair, headers) -> None:
    gateway, calls = _gateway(token_keys, [APP])
    status, response_headers, _ = gateway.handle("OPTIONS", "/clients", headers, b"", "127.0.0.1")
    assert status == 204
    assert _cors_headers(response_headers) == {}
    assert calls == []


def test_any_origin_when_the_stage_allows_any(token_keys: KeyPair) -> None:
    gateway, _ = _gateway(token_keys, ["*"])
    _, headers, _ = gateway.handle("OPTIONS", "/clients", [("Origin", "https://x.example")], b"", "::1")
    assert _cors_headers(headers)["Access-Control-Allow-Origin"] == "*"


def test_without_origins_there_is_no_preflight_route(token_keys: KeyPair) -> None:
    # the CDK app adds no OPTIONS methods then: API Gateway answers as for any undeclared route
    gateway, calls = _gateway(token_keys, [])
    status, headers, _ = gateway.handle("OPTIONS", "/clients", PREFLIGHT, b"", "127.0.0.1")
    assert status == 404
    assert _cors_headers(headers) == {}
    assert calls == []


def test_a_preflight_on_a_path_the_api_does_not_have_is_404(token_keys: KeyPair) -> None:
    gateway, _ = _gateway(token_keys, [APP])
    status, headers, _ = gateway.handle("OPTIONS", "/nowhere", PREFLIGHT, b"", "127.0.0.1")
    assert status == 404
    assert _cors_headers(headers) == {}


def test_the_origins_are_those_the_api_function_reads(token_keys: KeyPair, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ALLOWED_ORIGINS", f"{OTHER_APP}, {APP}")
    api_settings.cache_clear()
    try:
        gateway = LocalApiGateway(lambda event, context: {"statusCode": 200}, token_keys)
    finally:
        api_settings.cache_clear()
    status, headers, _ = gateway.handle("OPTIONS", "/clients", PREFLIGHT, b"", "127.0.0.1")
    assert (status, _cors_headers(headers)["Access-Control-Allow-Origin"]) == (204, APP)


def test_a_preflight_over_http(token_keys: KeyPair) -> None:
    gateway, _ = _gateway(token_keys, [APP])
    server = make_http_server("127.0.0.1", 0, gateway)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        request = urllib.request.Request(f"http://127.0.0.1:{server.server_address[1]}/clients", method="OPTIONS")
        for name, value in PREFLIGHT:
            request.add_header(name, value)
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 - our own loopback server
            assert response.status == 204
            assert response.headers["Access-Control-Allow-Origin"] == APP
            assert response.headers["Content-Length"] is None
            assert response.read() == b""
    finally:
        server.shutdown()
        server.server_close()
        thread.join(10)
