"""What the OpenAPI document says besides each route's success: the error schema and the answers
every route shares, declared once.

``Routes.route`` documents each route's answers from what it is — authenticated or public, with a
body, with a path id, with input to validate — plus what only its declaration can say (a 409).
``contract`` then takes Powertools' own error schemas (``HTTPValidationError``: ``{"detail": …}``),
which this API never sends, out of the document.
"""

from __future__ import annotations

import inspect
import json
from collections.abc import Callable
from typing import Any

from aws_lambda_powertools.event_handler import content_types
from aws_lambda_powertools.event_handler.openapi.models import OpenAPI, Server, Tag
from pydantic import BaseModel, Field

from lambdas.shared.model import Model

METHODS_WITH_BODY = frozenset({"POST", "PUT", "PATCH"})  # API Gateway validates these bodies (infra/constructs/api.py)
OPERATIONS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")

# The local runtime serves the routes at the root (http://127.0.0.1:3000/health); Powertools would
# derive "/<stage>" from the request, which the local gateway does not serve.
SERVERS = [Server(url="/", description="this API's root: where this document was read from")]

# The routes grouped by process, in the order the README walks through them (Swagger UI's sections).
TAGS = {
    "clients": "Onboarding: applications, the decisions they wait for, search, erasure",
    "queue": "Sites and stations, and the clinic day's queue: check-in, the counters, the board, the figures",
    "orders": "Frames on the shelf, orders of glasses, the lab's results, the quality check, the pickup",
    "executions": "The workflows' executions: what managers watch, what ops redrive or stop",
    "health": "Whether the API answers, and this document",
}

# Powertools documents these for every validated route; the API answers with ``Error`` instead.
POWERTOOLS_ERROR_SCHEMAS = ("HTTPValidationError", "ValidationError", "ResponseValidationError")


class ErrorDetail(Model):
    field: str = Field(description="where the problem is: body.phone, path.client_id, query.cursor, …")
    message: str


class Error(Model):
    """Every error the API itself returns, and API Gateway's own but the 401, in the same format."""

    error: str = Field(
        description="a stable code: invalid_request, invalid_json, not_found, conflict, unavailable, busy, …"
    )
    message: str = Field(description="for a person to read")
    details: list[ErrorDetail] = Field(description="one entry per invalid field; empty for other errors")


class Unauthorized(Model):
    """API Gateway's Cognito authorizer answers a missing, expired or invalid token itself, in its own format."""

    message: str


RETRY_AFTER = {"Retry-After": {"description": "seconds to wait before repeating", "schema": {"type": "integer"}}}


def error(description: str, *, model: type[BaseModel] = Error, headers: dict[str, Any] | None = None) -> dict[str, Any]:
    """A documented answer whose body is ``model`` (the API's ``Error`` unless told otherwise)."""
    response: dict[str, Any] = {
        "description": description,
        "content": {content_types.APPLICATION_JSON: {"model": model}},
    }
    if headers:
        response["headers"] = headers
    return response


def route_responses(
    method: str,
    resource: str,
    *,
    authenticated: bool,
    validated: bool,
    success: int,
    declared: dict[int, Any] | None = None,
) -> dict[int, Any]:
    """Every answer a route can give. ``declared`` adds or overrides answers; a string is the
    description of an ``Error`` answer (``{409: "why it conflicts"}``)."""
    responses: dict[int, Any] = {success: {"description": "Successful Response"}}  # content: the return annotation
    if method in METHODS_WITH_BODY:
        responses[400] = error("the body is not JSON (invalid_json), or not a JSON object (API Gateway)")
    if authenticated:
        responses[401] = error("no valid token (API Gateway's Cognito authorizer)", model=Unauthorized)
        responses[403] = error("the caller's groups may not call this route (checked before the input)")
    if "{" in resource:
        responses[404] = error("nothing has this id (not_found)")
    if method in METHODS_WITH_BODY:
        responses[413] = error("the body is too large for any request of this API (payload_too_large)")
        responses[415] = error("the body is not application/json (unsupported_media_type)")
    if validated:
        responses[422] = error("invalid input (invalid_request): each detail names a field (body.phone, query.limit)")
    responses[429] = error("too many requests (API Gateway's throttling, throttled)")
    responses[500] = error("a bug on our side (internal_error); it has been logged")
    if authenticated:
        responses[503] = error(
            "the database or Step Functions cannot be reached (unavailable), or the database stayed busy with other "
            "requests through every retry (busy); repeat the request",
            headers=RETRY_AFTER,
        )
    for status, answer in (declared or {}).items():
        responses[status] = error(answer) if isinstance(answer, str) else answer
    return responses


def takes_input(handler: Callable[..., Any]) -> bool:
    """Whether Powertools validates anything for this handler (its parameters are the route's input)."""
    return bool(inspect.signature(handler).parameters)


def contract(schema: OpenAPI, declared: list[str]) -> OpenAPI:
    """``schema`` without Powertools' error schemas: it adds a 422 ``HTTPValidationError`` to every
    route, even one without input; routes with input document the API's own 422 instead. Its paths
    go by process (``TAGS``), each process's in the order they were ``declared`` (the README's); its
    schemas by name."""
    first = {resource: index for index, resource in reversed(list(enumerate(declared)))}
    paths = schema.paths or {}

    def place(path: str) -> tuple[int, int]:
        operation = next(getattr(paths[path], name) for name in OPERATIONS if getattr(paths[path], name))
        return list(TAGS).index((operation.tags or ["health"])[0]), first.get(path, len(declared))

    schema.paths = {path: paths[path] for path in sorted(paths, key=place)}
    for item in (schema.paths or {}).values():
        for name in OPERATIONS:
            operation = getattr(item, name)
            if operation is None or not operation.responses:
                continue
            operation.responses = {
                status: response
                for status, response in sorted(operation.responses.items(), key=lambda answer: int(answer[0]))
                if not _refers_to_powertools_errors(response)
            }
            _optional_body_is_left_out(operation)
    schema.tags = [Tag(name=name, description=description) for name, description in TAGS.items()]
    if schema.components and schema.components.schemas:
        # by name: the order the routes were included in depends on what the container served first
        schema.components.schemas = dict(sorted(schema.components.schemas.items()))
    schemas = schema.components.schemas if schema.components else None
    for name in POWERTOOLS_ERROR_SCHEMAS:
        (schemas or {}).pop(name, None)
    if _refers_to_powertools_errors(schema):
        raise AssertionError("the OpenAPI document still refers to Powertools' error schemas")
    return schema


def _optional_body_is_left_out(operation: Any) -> None:
    """An optional body (``Body() = None``) is sent or left out, never sent as ``null``: every body
    is a JSON object (``lambdas.api.requests``). Powertools documents it as "the model or null"."""
    body = operation.requestBody
    if body is None or body.required:
        return
    for media in (body.content or {}).values():
        variants = (media.schema_.anyOf or []) if media.schema_ is not None else []
        objects = [variant for variant in variants if getattr(variant, "type", None) != "null"]
        if len(objects) == 1 and len(variants) == 2:
            media.schema_ = objects[0]


def _refers_to_powertools_errors(part: Any) -> bool:
    text = part.model_dump_json(by_alias=True) if isinstance(part, BaseModel) else json.dumps(part, default=str)
    return any(f'"#/components/schemas/{name}"' in text for name in POWERTOOLS_ERROR_SCHEMAS)
