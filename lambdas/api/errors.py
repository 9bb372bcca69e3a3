"""The API's error format: ``{"error": "<code>", "message": "...", "details": [...]}``.

Invalid input is a 4xx naming the field; an impossible state change is 409; a 500 only for a bug.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any, TypeVar

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.api_gateway import ApiGatewayResolver
from aws_lambda_powertools.event_handler.openapi.exceptions import RequestValidationError

from lambdas.shared.errors import (
    Conflict,
    DatabaseUnavailable,
    InvalidField,
    NotFound,
    SettingsInvalid,
    SettingsUnavailable,
    WorkflowUnavailable,
)
from lambdas.shared.observability import count_unexpected_error, error_summary, logger

__all__ = ["InvalidField", "error_body", "error_response", "invalid_request", "register_error_handlers"]

# What API Gateway answers by itself, in the same format: the CDK app configures these gateway
# responses, and the local gateway gives the first one (an undeclared route).
NO_SUCH_ROUTE = (404, "not_found", "no such route")
BAD_REQUEST_BODY = (400, "invalid_request", "the body must be a JSON object")
THROTTLED = (429, "throttled", "too many requests; try again in a moment")


REQUEST_PARTS = ("body", "query", "path", "header")


def in_request(field: str) -> str:
    """A domain field is the action's input, which the request's body carries: ``journey.1`` is
    ``body.journey.1``; a field named with its place in the request stays as it is."""
    return field if field.split(".", 1)[0] in REQUEST_PARTS else f"body.{field}"


def error_body(code: str, message: str, details: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    return {"error": code, "message": message, "details": details or []}


def error_response(
    status: int, code: str, message: str, details: list[dict[str, Any]] | None = None, /, **headers: str
) -> Response[str]:
    return Response(
        status_code=status,
        content_type=content_types.APPLICATION_JSON,
        body=json.dumps(error_body(code, message, details), default=str, separators=(",", ":")),  # as the rest
        headers=headers or None,
    )


MAX_DETAILS = 20  # an answer names the first invalid fields, not all of a hostile body's thousands


def invalid_request(details: list[dict[str, Any]]) -> Response[str]:
    """422 naming each invalid field (the first ``MAX_DETAILS`` of them)."""
    shown = details[:MAX_DETAILS]
    fields = ", ".join(detail["field"] for detail in shown) or "the request"
    more = f" and {len(details) - len(shown)} more" if len(details) > len(shown) else ""
    return error_response(422, "invalid_request", f"invalid value for {fields}{more}", shown)


def _field_name(location: tuple[Any, ...] | list[Any]) -> str:
    return ".".join(str(part) for part in location)


# pydantic's words for a number past its bounds name Python's types ("Decimal('30')"): ours name the number
PYTHON_DECIMAL = re.compile(r"Decimal\('([^']*)'\)")  # how the bound reaches the handler: Decimal('30')
BOUNDS = {
    "greater_than_equal": ("ge", "at least"),
    "greater_than": ("gt", "more than"),
    "less_than_equal": ("le", "at most"),
    "less_than": ("lt", "less than"),
    "multiple_of": ("multiple_of", "in steps of"),
}


def _said(problem: dict[str, Any]) -> str:
    """A problem's message in the API's words: a number's bounds as numbers, a decimal asked for as a
    number, our validators' messages without the "Value error, " pydantic heads them with."""
    kind, context = problem.get("type"), problem.get("ctx") or {}
    if kind in BOUNDS and BOUNDS[kind][0] in context:
        name, words = BOUNDS[kind]
        bound = PYTHON_DECIMAL.sub(r"\1", str(context[name]))
        return f"a number {words} {bound}"
    if kind == "decimal_type":
        return "a number, e.g. -2.25"
    return str(problem.get("msg", "invalid")).removeprefix("Value error, ")


ErrorHandler = TypeVar("ErrorHandler", bound=Callable[..., Response[str]])


def _handles(app: ApiGatewayResolver, error: type[Exception]) -> Callable[[ErrorHandler], ErrorHandler]:
    """``app.exception_handler(error)``, typed: Powertools leaves its decorators unannotated."""
    register: Callable[[ErrorHandler], ErrorHandler] = app.exception_handler(error)
    return register


def register_error_handlers(app: ApiGatewayResolver) -> None:
    @_handles(app, RequestValidationError)
    def request_validation_failed(error: RequestValidationError) -> Response[str]:
        details = [{"field": _field_name(item.get("loc", ())), "message": _said(item)[:500]} for item in error.errors()]
        return invalid_request(details)

    @_handles(app, InvalidField)
    def invalid_field(error: InvalidField) -> Response[str]:
        details = [{"field": in_request(field), "message": message} for field, message in error.problems]
        return error_response(422, "invalid_request", str(error), details)

    @_handles(app, NotFound)
    def not_found(error: NotFound) -> Response[str]:
        return error_response(404, "not_found", str(error))

    @_handles(app, Conflict)
    def conflict(error: Conflict) -> Response[str]:
        return error_response(409, "conflict", str(error))

    @_handles(app, DatabaseUnavailable)
    def database_unavailable(error: DatabaseUnavailable) -> Response[str]:
        if error.busy:  # other requests held what this one needed, through every retry
            logger.warning("database busy", extra={"reason": str(error)})
            message = "the database was busy with other requests at that instant; try again"
            return error_response(503, "busy", message, **{"Retry-After": "1"})
        logger.warning("database unavailable", extra={"reason": str(error)})
        return error_response(503, "unavailable", "the database is not reachable; try again", **{"Retry-After": "5"})

    @_handles(app, WorkflowUnavailable)
    def workflow_unavailable(error: WorkflowUnavailable) -> Response[str]:
        logger.warning("step functions unavailable", extra={"reason": str(error)})
        return error_response(
            503, "unavailable", "the workflow service is not reachable; repeat the request", **{"Retry-After": "5"}
        )

    @_handles(app, SettingsUnavailable)
    def settings_unavailable(error: SettingsUnavailable) -> Response[str]:
        logger.warning("settings unavailable", extra={"reason": str(error)})
        return error_response(
            503, "unavailable", "the stage's settings could not be read; try again", **{"Retry-After": "5"}
        )

    @_handles(app, SettingsInvalid)
    def settings_invalid(error: SettingsInvalid) -> Response[str]:  # a deploy or an operator mends it, not the caller
        logger.error("settings invalid", extra={"reason": str(error)})
        count_unexpected_error()
        return error_response(500, "internal_error", "a setting of this stage is invalid; it has been logged")

    @_handles(app, Exception)
    def unexpected(error: Exception) -> Response[str]:
        logger.error("unhandled error", extra=error_summary(error))
        count_unexpected_error()
        return error_response(500, "internal_error", "something went wrong on our side; it has been logged")

    @app.not_found
    def unknown_route(error: Exception) -> Response[str]:
        return error_response(404, "not_found", "no such route")
