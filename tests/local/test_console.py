"""The console as the local runtime serves it: its few files and nothing else under /console, a
config that says "sign in locally", and a local sign-in that gives managers' or ops' tokens only,
to a JSON request only (another site's page cannot send one without a preflight)."""

from __future__ import annotations

import json

import pytest

from local.console import FILES, LocalConsole
from local.tokens import KeyPair, verify_token

JSON = [("Content-Type", "application/json")]


@pytest.fixture
def console(token_keys: KeyPair) -> LocalConsole:
    return LocalConsole(token_keys)


def header(headers: list[tuple[str, str]], name: str) -> str | None:
    return next((value for key, value in headers if key.lower() == name.lower()), None)


def test_the_page_and_its_files_are_served_with_a_strict_policy(console: LocalConsole) -> None:
    status, headers, _ = console.handle("GET", "/console", [], b"")
    assert (status, header(headers, "Location")) == (308, "/console/")
    for path, kind in (
        ("/console/", "text/html"),
        ("/console/console.js", "javascript"),
        ("/console/console.css", "text/css"),
    ):
        status, headers, body = console.handle("GET", path, [], b"")
        assert status == 200, path
        assert kind in header(headers, "Content-Type")
        assert "frame-ancestors 'none'" in header(headers, "Content-Security-Policy")
        assert header(headers, "X-Frame-Options") == "DENY"
        assert body == FILES[path.removeprefix("/console")].read_bytes()


@pytest.mark.parametrize(
    "path",
    [
        "/console/../README.md",
        "/console/..%2F..%2Fetc%2Fpasswd",
        "/console/node_modules/elkjs/package.json",
        "/console/x",
    ],
)
def test_nothing_else_is_a_file(console: LocalConsole, path: str) -> None:
    assert console.handle("GET", path, [], b"")[0] == 404


def test_the_config_says_sign_in_locally(console: LocalConsole) -> None:
    status, _, body = console.handle("GET", "/console/config.json", [], b"")
    assert (status, json.loads(body)) == (200, {"signIn": "local", "groups": ["managers", "ops"], "api": ""})


@pytest.mark.parametrize("group", ["managers", "ops"])
def test_the_local_sign_in_gives_a_token_of_the_group_chosen(
    console: LocalConsole, token_keys: KeyPair, group: str
) -> None:
    status, _, body = console.handle("POST", "/console/token", JSON, json.dumps({"group": group}).encode())
    assert status == 200
    claims = verify_token(token_keys, json.loads(body)["token"])
    assert claims["cognito:groups"] == [group]


@pytest.mark.parametrize(
    ("method", "headers", "body", "status"),
    [
        ("GET", [], b"", 405),
        ("POST", [("Content-Type", "text/plain")], b'{"group": "ops"}', 415),  # a form or a plain fetch: no
        ("POST", [], b'{"group": "ops"}', 415),
        ("POST", JSON, b'{"group": "front-desk"}', 422),  # the console is for managers and ops
        ("POST", JSON, b'{"group": ["ops"]}', 422),
        ("POST", JSON, b"[1]", 422),
        ("POST", JSON, b"not json", 422),
    ],
)
def test_the_local_sign_in_refuses_anything_else(
    console: LocalConsole, method: str, headers: list[tuple[str, str]], body: bytes, status: int
) -> None:
    answer_status, _, answer = console.handle(method, "/console/token", headers, body)
    assert answer_status == status
    assert b'"token"' not in answer
