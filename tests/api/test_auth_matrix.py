"""Who may call what: the hand-written table of tests/matrix.py against the route declarations, the
handler behind the local gateway, and the same over real HTTP."""

from __future__ import annotations

import re
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from lambdas.api.app import handler
from lambdas.shared.db.clients.models import Client
from local.gateway import LocalApiGateway, make_http_server
from local.tokens import KeyPair
from tests.matrix import (
    GROUPS,
    LAB_CLIENT,
    LAB_SCOPE,
    NO_TOKEN_NEEDED,
    WHO_MAY_CALL,
    Case,
    cases,
    concrete_path,
    declared_routes,
)

ROWS = list(WHO_MAY_CALL)  # the table's order: the erasure comes last


def _route_id(row: tuple[str, str]) -> str:
    return " ".join(row)


@pytest.fixture(scope="module")
def matrix_cases(token_keys: KeyPair, tmp_path_factory: pytest.TempPathFactory) -> list[Case]:
    return cases(token_keys, KeyPair.load_or_create(tmp_path_factory.mktemp("other-keys")))


def _judge(case: Case, method: str, resource: str, status: int, body: bytes) -> str | None:
    """What is wrong with this answer, or None when it is the one the table demands."""
    expected = case.answer(method, resource)
    if expected == "allowed":  # the handler ran: a success, or its own answer to an empty body
        reached_step_functions = status == 503 and b'"unavailable"' in body  # none runs for these tests
        if status in (401, 403) or (status >= 500 and not reached_step_functions):
            return f"{method} {resource} as {case.name}: {status} {body!r}, expected the handler to answer"
        return None
    if str(status) != expected:
        return f"{method} {resource} as {case.name}: {status} {body!r}, expected {expected}"
    if status == 401 and body != b'{"message":"Unauthorized"}':
        return f"{method} {resource} as {case.name}: 401 with {body!r}, not API Gateway's own body"
    return None


def test_every_route_has_a_row_and_every_row_a_route() -> None:
    # Given the routes the API declares (those a deployed stage serves) and the hand-written table
    declared = {(route.method, route.resource) for route in declared_routes()}
    # Then neither has a route the other lacks
    assert sorted(declared - set(WHO_MAY_CALL)) == [], "declared routes without a row in tests/matrix.py"
    assert sorted(set(WHO_MAY_CALL) - declared) == [], "rows in tests/matrix.py without a declared route"


@pytest.mark.parametrize("route", declared_routes(), ids=lambda route: f"{route.method} {route.resource}")
def test_each_route_declares_the_groups_of_its_row(route) -> None:
    row = WHO_MAY_CALL.get((route.method, route.resource), "no row")
    machine = {LAB_CLIENT} if route.scopes == {LAB_SCOPE} else set()
    declared = None if route.public else {str(group) for group in route.allow} | machine
    assert declared == row


@pytest.mark.parametrize("row", ROWS, ids=_route_id)
def test_route_answers_each_caller_as_the_table_says(
    row: tuple[str, str], matrix_cases: list[Case], token_keys: KeyPair, make_client
) -> None:
    # Given a client the routes can find, and the gateway in front of the real handler
    method, resource = row
    client: Client = make_client()
    gateway = LocalApiGateway(handler, token_keys)
    failures = []
    for case in matrix_cases:
        # When each kind of caller calls the route
        headers = [("Authorization", case.token)] if case.token else []
        status, _, body = gateway.handle(method, concrete_path(resource, client.id), headers, b"", "127.0.0.1")
        # Then the answer is the table's
        failures.append(_judge(case, method, resource, status, body))
    assert [failure for failure in failures if failure] == []


@pytest.fixture
def api_url(token_keys: KeyPair) -> Iterator[str]:
    """The local gateway serving the real handler over HTTP on a free loopback port, in this process."""
    server = make_http_server("127.0.0.1", 0, LocalApiGateway(handler, token_keys))
    thread = threading.Thread(target=server.serve_forever, name="matrix-api", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(10)


def _http(url: str, method: str, token: str | None) -> tuple[int, bytes]:
    request = urllib.request.Request(url, data=b"" if method in ("POST", "DELETE") else None, method=method)  # noqa: S310
    request.add_header("Content-Type", "application/json")
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 - our own loopback server
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def test_the_table_holds_over_http(api_url: str, matrix_cases: list[Case], make_client) -> None:
    # Given a client the routes can find
    client: Client = make_client()
    failures = []
    for method, resource in ROWS:
        for case in matrix_cases:
            # When each kind of caller calls each route over HTTP
            status, body = _http(f"{api_url}{concrete_path(resource, client.id)}", method, case.token)
            # Then every answer is the table's
            failures.append(_judge(case, method, resource, status, body))
    assert [failure for failure in failures if failure] == []


def _readme_table() -> dict[tuple[str, str], frozenset[str] | None]:
    """The README's "Who may call what" table, read: ``…/x`` is the route before it, its last segment x."""
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    section = readme.split("### Who may call what", 1)[1].split("\n\n", 2)[1]
    header, _, *rows = section.splitlines()
    columns = [cell.strip() for cell in header.split("|")[2:-1]]
    callers = {**{group: group for group in GROUPS}, "lab client": LAB_CLIENT}
    table: dict[tuple[str, str], frozenset[str] | None] = {}
    for row in rows:
        routes, *marks = (cell.strip() for cell in row.split("|")[1:-1])
        allowed = (
            NO_TOKEN_NEEDED
            if marks[0] == "no token needed"
            else frozenset(callers[columns[index]] for index, mark in enumerate(marks) if mark == "✓")
        )
        method = path = ""
        for written in re.findall(r"`([^`]+)`", routes):
            if written.startswith("…/"):
                path = path.rsplit("/", 1)[0] + written[1:]
            else:
                method, path = written.split(" ")
            table[(method, path)] = allowed
    return table


def test_the_readmes_table_is_the_matrix() -> None:
    assert _readme_table() == WHO_MAY_CALL
