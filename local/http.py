"""The local servers' request handler: the engine's (``local.sfn.http``), answering with the API's
security headers, as the deployed API answers."""

from __future__ import annotations

from lambdas.api.app import SECURITY_HEADERS
from local.sfn.http import RequestHandler


class LocalRequestHandler(RequestHandler):
    default_headers = SECURITY_HEADERS
