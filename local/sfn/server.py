"""The Step Functions JSON 1.0 API over HTTP: ``X-Amz-Target: AWSStepFunctions.<Operation>``.

boto3 and the AWS CLI talk to it unchanged with ``--endpoint-url`` / ``AWS_ENDPOINT_URL_SFN``.
Requests are not signature-checked: any credentials will do locally.
"""

from __future__ import annotations

import json
import sys
import traceback
from collections.abc import Mapping
from http.server import ThreadingHTTPServer
from typing import Any

from local.sfn import local_operations
from local.sfn.errors import ServiceError
from local.sfn.http import BadRequest, RequestHandler, make_server
from local.sfn.service import StepFunctionsService
from local.sfn.store import loads

TARGET_PREFIX = "AWSStepFunctions."
CONTENT_TYPE = "application/x-amz-json-1.0"
INTERNAL_FAILURE = "An internal error occurred; the local runtime's log has the details"


def handle(service: StepFunctionsService, target: str, body: bytes) -> tuple[int, dict[str, Any]]:
    """One API call: the HTTP status and the JSON response. Whatever the request, a 400 in AWS's
    shape, or the operation's answer; a 500 only for an engine bug, and never with Python's words."""
    try:
        if target.startswith(local_operations.TARGET_PREFIX):  # the engine's own: a demo's clock, a drill's fault
            operation = target[len(local_operations.TARGET_PREFIX) :]
            return 200, local_operations.call(service.engine, operation, read_request(body))
        if not target.startswith(TARGET_PREFIX):
            raise ServiceError("UnknownOperationException", f"Unknown target {target!r}")
        return 200, service.call(target[len(TARGET_PREFIX) :], read_request(body))
    except ServiceError as error:
        return _error_response(error)
    except Exception:  # an engine bug: the details go to the log, the caller gets AWS's answer
        traceback.print_exc(file=sys.stderr)
        return 500, {"__type": "com.amazonaws.states#InternalFailure", "message": INTERNAL_FAILURE}


def read_request(body: bytes) -> dict[str, Any]:
    """The request's JSON object, or the SerializationException AWS answers a body it cannot read with."""
    try:
        text = body.decode("utf-8") if body else "{}"
    except UnicodeDecodeError as error:
        raise ServiceError("SerializationException", f"Request body is not UTF-8 (byte {error.start})") from error
    try:
        request = loads(text)
    except ValueError as error:
        raise ServiceError(
            "SerializationException", f"Request body is not JSON the service can read: {error}"
        ) from error
    if not isinstance(request, dict):
        raise ServiceError("SerializationException", "Request body must be a JSON object")
    return request


def _error_response(error: ServiceError) -> tuple[int, dict[str, Any]]:
    return 400, {"__type": f"com.amazonaws.states#{error.code}", "message": error.message}


def make_sfn_server(
    host: str, port: int, service: StepFunctionsService, headers: Mapping[str, str] | None = None
) -> ThreadingHTTPServer:
    """The API on ``host:port``; ``headers`` go with every answer (a host's security headers, say)."""

    class Handler(RequestHandler):
        server_version = "fondation-local-sfn"
        log_prefix = "sfn"
        default_headers = headers or {}

        def do_POST(self) -> None:
            target = self.headers.get("X-Amz-Target", "")
            try:
                status, response = handle(service, target, self.read_body())
            except BadRequest as error:
                response = _error_response(ServiceError("SerializationException", str(error)))[1]
                status = error.status
            payload = json.dumps(response).encode()
            label = target.removeprefix(TARGET_PREFIX)
            label = label if label.isidentifier() else repr(label)  # "StopExecution 200" is no operation
            if status >= 400:  # which refusal: an ExecutionAlreadyExists is an idempotent replay, not a fault
                label += f" ({response['__type'].rpartition('#')[2]})"
            self.respond(status, [("Content-Type", CONTENT_TYPE)], payload, label)

    return make_server(host, port, Handler)
