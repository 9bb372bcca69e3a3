"""The Step Functions JSON 1.0 API over HTTP: ``X-Amz-Target: AWSStepFunctions.<Operation>``.

boto3 and the AWS CLI talk to it unchanged with ``--endpoint-url`` / ``AWS_ENDPOINT_URL_SFN``.
Requests are not signature-checked: any credentials will do locally.
"""

from __future__ import annotations

import json
import sys
import traceback
from http.server import ThreadingHTTPServer
from typing import Any

from local.http import LocalRequestHandler, make_server
from local.sfn.errors import ServiceError
from local.sfn.service import StepFunctionsService

TARGET_PREFIX = "AWSStepFunctions."
CONTENT_TYPE = "application/x-amz-json-1.0"


def handle(service: StepFunctionsService, target: str, body: bytes) -> tuple[int, dict[str, Any]]:
    """One API call: the HTTP status and the JSON response."""
    try:
        if not target.startswith(TARGET_PREFIX):
            raise ServiceError("UnknownOperationException", f"Unknown target {target!r}")
        try:
            request = json.loads(body or b"{}")
        except json.JSONDecodeError as error:
            raise ServiceError("SerializationException", f"Request body is not JSON: {error}") from error
        if not isinstance(request, dict):
            raise ServiceError("SerializationException", "Request body must be a JSON object")
        return 200, service.call(target[len(TARGET_PREFIX) :], request)
    except ServiceError as error:
        return 400, {"__type": f"com.amazonaws.states#{error.code}", "message": error.message}
    except Exception as error:  # an engine bug: answer as AWS does, keep serving
        traceback.print_exc(file=sys.stderr)
        return 500, {"__type": "com.amazonaws.states#InternalFailure", "message": f"{type(error).__name__}: {error}"}


def make_sfn_server(host: str, port: int, service: StepFunctionsService) -> ThreadingHTTPServer:
    class Handler(LocalRequestHandler):
        server_version = "fondation-local-sfn"
        log_prefix = "sfn"

        def do_POST(self) -> None:
            body = self.read_body()
            target = self.headers.get("X-Amz-Target", "")
            status, response = handle(service, target, body)
            payload = json.dumps(response).encode()
            self.respond(status, [("Content-Type", CONTENT_TYPE)], payload, target.removeprefix(TARGET_PREFIX))

    return make_server(host, port, Handler)
