"""What a request body must be before any route reads it: JSON, UTF-8, one object of sane shape.

Powertools would answer each of these with a 500 (or silently take the last of two equal keys);
here they are the API's own 4xx, in its error format. Checked after authorisation, before routing.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
from typing import Any

from aws_lambda_powertools.event_handler import Response

from lambdas.api.errors import BAD_REQUEST_BODY, error_response, invalid_request

MAX_BODY_BYTES = 1024 * 1024  # far above any form; API Gateway itself refuses more than 10 MB
MAX_DEPTH = 32  # the deepest request model nests 3 levels
MAX_INTEGER_DIGITS = 18  # no field takes more; bigger numbers are refused by name, not parsed
JSON_MEDIA_TYPES = ("application/json",)
METHODS_WITH_BODY = ("POST", "PUT", "PATCH")


class _InvalidJson(ValueError):
    pass


class _OutOfRange:
    """A number no field can hold, kept in place so the error can name where it is."""

    def __init__(self, text: str) -> None:
        self.text = text


def body_refusal(event: dict[str, Any]) -> Response[str] | None:
    """Why the body cannot be read (400, 413, 415, 422), or None; a readable body is left decoded, as JSON."""
    if str(event.get("httpMethod", "")).upper() not in METHODS_WITH_BODY:
        return None
    media_type = _header(event, "content-type").split(";")[0].strip().lower()
    if media_type and media_type not in JSON_MEDIA_TYPES:
        return _unsupported_media_type()
    if not event.get("body"):
        return None  # the route says whether it needs one (422 naming the body)
    try:
        raw = _raw_body(event)
    except (binascii.Error, ValueError):
        return _invalid_json("the body is not valid base64")
    if len(raw) > MAX_BODY_BYTES:
        return error_response(413, "payload_too_large", f"the body is over {MAX_BODY_BYTES} bytes")
    if not media_type:
        return _unsupported_media_type()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return _invalid_json("the body is not UTF-8 text")
    try:
        document = json.loads(
            text, object_pairs_hook=_object, parse_int=_integer, parse_float=_number, parse_constant=_constant
        )
    except RecursionError:
        return _invalid_json(f"the body nests deeper than {MAX_DEPTH} levels")
    except _InvalidJson as error:
        return _invalid_json(str(error))
    except json.JSONDecodeError as error:
        return _invalid_json(f"the body is not JSON: {error.msg} at line {error.lineno} column {error.colno}")
    if not isinstance(document, dict):
        return error_response(*BAD_REQUEST_BODY, [{"field": "body", "message": BAD_REQUEST_BODY[2]}])
    if _depth(document) > MAX_DEPTH:
        return _invalid_json(f"the body nests deeper than {MAX_DEPTH} levels")
    out_of_range = list(_numbers_out_of_range(document, "body"))
    if out_of_range:
        details = [{"field": field, "message": "number out of range"} for field in out_of_range]
        return invalid_request(details)
    if event.get("isBase64Encoded"):
        event["body"], event["isBase64Encoded"] = text, False
    _set_header(event, "content-type", JSON_MEDIA_TYPES[0])  # the resolver knows only the lower-case form
    return None


def _raw_body(event: dict[str, Any]) -> bytes:
    body: str = event["body"]
    if event.get("isBase64Encoded"):
        return base64.b64decode(body, validate=True)
    return body.encode("utf-8", errors="surrogatepass")


def _header(event: dict[str, Any], name: str) -> str:
    for key, value in (event.get("headers") or {}).items():
        if key.lower() == name:
            return str(value or "")
    return ""


def _set_header(event: dict[str, Any], name: str, value: str) -> None:
    for field, new in (("headers", value), ("multiValueHeaders", [value])):
        headers: dict[str, Any] = event.get(field) or {}
        for key in list(headers):
            if key.lower() == name:
                headers[key] = new


def _unsupported_media_type() -> Response[str]:
    return error_response(415, "unsupported_media_type", "send the body as JSON, with Content-Type: application/json")


def _invalid_json(message: str) -> Response[str]:
    return error_response(400, "invalid_json", message, [{"field": "body", "message": message}])


def _object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    document: dict[str, Any] = {}
    for key, value in pairs:
        if key in document:
            raise _InvalidJson(f"the key {json.dumps(key)} appears twice in one object")
        document[key] = value
    return document


def _integer(text: str) -> int | _OutOfRange:
    return int(text) if len(text.lstrip("-")) <= MAX_INTEGER_DIGITS else _OutOfRange(text)


def _number(text: str) -> float | _OutOfRange:
    value = float(text)
    return value if math.isfinite(value) else _OutOfRange(text)


def _constant(text: str) -> Any:
    raise _InvalidJson(f"{text} is not a JSON value")


def _depth(document: Any) -> int:
    deepest, stack = 0, [(document, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, dict | list):
            deepest = max(deepest, depth)
            stack.extend((item, depth + 1) for item in (value.values() if isinstance(value, dict) else value))
    return deepest


def _numbers_out_of_range(value: Any, path: str) -> list[str]:
    if isinstance(value, _OutOfRange):
        return [path]
    if isinstance(value, dict):
        return [found for key, item in value.items() for found in _numbers_out_of_range(item, f"{path}.{key}")]
    if isinstance(value, list):
        return [found for index, item in enumerate(value) for found in _numbers_out_of_range(item, f"{path}.{index}")]
    return []
