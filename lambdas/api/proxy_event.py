"""The event must be what API Gateway sends: a REST proxy event whose path is an instance of its resource.

API Gateway always sends such an event, and only it may invoke the function; this holds when
something else does. The groups are checked against the event's ``resource`` while the resolver
picks its route by the ``path``: a path of another route would reach that route's handler with the
groups of this one. Any other shape would raise in the resolver (a 502 at the gateway), not answer.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler import Response

from lambdas.api.errors import error_response

TEXT = ("httpMethod", "resource", "path")
TEXT_OR_NONE = ("body",)
TEXT_MAPS = ("headers", "queryStringParameters", "pathParameters", "stageVariables")
LIST_MAPS = ("multiValueHeaders", "multiValueQueryStringParameters")
OBJECTS = ("requestContext", "requestContext.authorizer", "requestContext.authorizer.claims")


def event_refusal(event: Any) -> Response[str] | None:
    """Why ``event`` is no API Gateway proxy event (400, naming the field), or None."""
    if not isinstance(event, dict):
        return _malformed("event", "an object")
    for name in TEXT:
        if not isinstance(event.get(name), str):
            return _malformed(name, "text")
    for name in TEXT_OR_NONE:
        if not isinstance(event.get(name), str | None):
            return _malformed(name, "text or null")
    if not isinstance(event.get("isBase64Encoded"), bool | None):
        return _malformed("isBase64Encoded", "true, false or null")
    for name in TEXT_MAPS:
        if not _map_of(event.get(name), str):
            return _malformed(name, "an object of texts, or null")
    for name in LIST_MAPS:
        if not _map_of(event.get(name), list) or any(
            not isinstance(item, str) for values in (event.get(name) or {}).values() for item in values
        ):
            return _malformed(name, "an object of lists of texts, or null")
    for dotted in OBJECTS:
        if not isinstance(_at(event, dotted), dict | None):
            return _malformed(dotted, "an object or null")
    if not instance_of(event["resource"], event["path"]):
        return _malformed("path", f"an instance of the resource {event['resource'][:200]}")
    return None


def instance_of(resource: str, path: str) -> bool:
    """Whether ``path`` is ``resource`` with each ``{parameter}`` a non-empty segment."""
    templates, segments = resource.split("/"), path.split("/")
    if len(templates) != len(segments):
        return False
    return all(
        segment != "" if template.startswith("{") and template.endswith("}") else segment == template
        for template, segment in zip(templates, segments, strict=True)
    )


def _map_of(value: Any, kind: type) -> bool:
    return value is None or (isinstance(value, dict) and all(isinstance(item, kind) for item in value.values()))


def _at(event: dict[str, Any], dotted: str) -> Any:
    value: Any = event
    for name in dotted.split("."):
        if not isinstance(value, dict):
            return None  # the parent's own check names it
        value = value.get(name)
    return value


def _malformed(field: str, expected: str) -> Response[str]:
    message = f"not an API Gateway proxy event: {field} must be {expected}"
    return error_response(400, "invalid_event", message, [{"field": field, "message": message}])
