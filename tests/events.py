"""Builders of the events AWS hands to our functions, shaped by the same code as the local gateway."""

from __future__ import annotations

import functools
import json
from typing import Any
from urllib.parse import urlencode

from lambdas.api.routes import every_route
from local.gateway import RouteTable, proxy_event
from local.sfn.lambda_context import LambdaContext
from local.tokens import subject_of


def claims_for(*groups: str, username: str = "tester") -> dict[str, str]:
    """Claims as the Cognito authorizer passes them: strings, groups comma-joined."""
    return {
        "sub": subject_of(username),
        "cognito:username": username,
        "cognito:groups": ",".join(groups),
        "email": f"{username}@fondation.local",
        "token_use": "id",
    }


def api_event(
    method: str,
    path: str,
    *,
    groups: tuple[str, ...] | None = ("front-desk",),
    query: dict[str, Any] | None = None,
    body: Any = None,
    headers: dict[str, str] | None = None,
    username: str = "tester",
) -> dict[str, Any]:
    """A REST proxy event for ``method path`` as API Gateway sends it after the Cognito authorizer.

    ``groups=None`` sends no claims at all (an unauthenticated call to a public route).
    """
    route = RouteTable(every_route()).match(method, path)
    assert route is not None, f"{method} {path} is not a declared route"
    raw_path = f"{path}?{urlencode(query, doseq=True)}" if query else path
    raw_body = body if isinstance(body, str) or body is None else json.dumps(body)
    all_headers = {"Content-Type": "application/json", **(headers or {})}
    return proxy_event(
        method=method,
        raw_path=raw_path,
        headers=list(all_headers.items()),
        body=(raw_body or "").encode(),
        source_ip="198.51.100.7",
        route=route,
        claims=None if groups is None else claims_for(*groups, username=username),
    )


def lambda_context(function_name: str = "test-function", timeout_seconds: float = 30.0) -> LambdaContext:
    return LambdaContext(function_name, timeout_seconds=timeout_seconds)


# What the API's actions run on in place of the container's own (``lambdas.api.caller.actor``): a
# test hands in its Step Functions client (``"workflows"``) or unit of work (``"unit_of_work"``).
SERVICES: dict[str, Any] = {}


def call_api(event: dict[str, Any]) -> tuple[int, Any]:
    """Invoke the API handler; the status and the decoded JSON body. Every answer of every test is held
    to the OpenAPI document: a status its route does not list fails the test that got it."""
    from lambdas.api.app import api, handler

    if SERVICES:
        api().append_context(services=dict(SERVICES))  # for this request only: resolving clears it
    response = handler(event, lambda_context("fondation-api"))
    status, body = response["statusCode"], response.get("body")
    route = (event["httpMethod"], event["resource"])
    listed = documented_statuses().get(route)
    assert listed is None or status in listed, (
        f"{' '.join(route)} answered {status}, which its OpenAPI entry does not list"
    )
    return status, json.loads(body) if body else None


@functools.cache
def documented_statuses() -> dict[tuple[str, str], frozenset[int]]:
    """{(method, resource): the statuses its OpenAPI entry lists}."""
    from lambdas.api.app import openapi_document

    paths = json.loads(openapi_document())["paths"]
    return {
        (method.upper(), path): frozenset(int(status) for status in operation["responses"])
        for path, item in paths.items()
        for method, operation in item.items()
    }
