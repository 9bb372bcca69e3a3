"""A local API Gateway: HTTP requests become REST proxy events (v1) for the real API handler.

Like the Cognito authorizer, it checks the ID token of every route that is not public and answers
401 ``{"message": "Unauthorized"}`` itself; the handler then sees the claims in
``requestContext.authorizer.claims``, flattened to strings as API Gateway does. Like the CDK app's
API, it answers CORS preflights itself, without a token, when ``ALLOWED_ORIGINS`` names origins.
"""

from __future__ import annotations

import base64
import contextlib
import json
import re
import threading
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from http.server import ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

from lambdas.api import errors
from lambdas.api.access import RouteAccess
from lambdas.api.app import CORS_ALLOW_HEADERS, CORS_ALLOW_METHODS, CORS_MAX_AGE_SECONDS
from lambdas.api.routes import every_route
from lambdas.shared.config import api_settings
from local.console import LocalConsole
from local.containers import ContainerPool, ContainerTimedOut
from local.http import LocalRequestHandler
from local.sfn.http import BadRequest, json_payload, log, make_server, path_only
from local.sfn.lambda_context import LambdaContext
from local.tokens import InvalidToken, KeyPair, authorizer_claims, verify_access_token, verify_token

STAGE = "local"
API_FUNCTION = "fondation-local-api"
API_TIMEOUT_SECONDS = 29.0  # API Gateway's integration timeout

UNAUTHORIZED = (401, {"message": "Unauthorized"})
# API Gateway answers an undeclared route itself (the function never sees it), as the CDK app sets it up
NO_SUCH_ROUTE = (errors.NO_SUCH_ROUTE[0], errors.error_body(*errors.NO_SUCH_ROUTE[1:]))
INTERNAL_ERROR = (502, {"message": "Internal server error"})
TIMED_OUT = (504, {"message": "Endpoint request timed out"})  # the integration's 29 s ran out


@dataclass(frozen=True)
class MatchedRoute:
    access: RouteAccess
    path_parameters: dict[str, str] | None


def _template_regex(resource: str) -> re.Pattern[str]:
    pattern = re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/]+)", re.escape(resource))
    return re.compile(f"^{pattern}$")


class RouteTable:
    """Maps a method and path to the declared route, as API Gateway maps them to a resource."""

    def __init__(self, routes: Mapping[tuple[str, str], RouteAccess]) -> None:
        # static resources before templated ones, as API Gateway prefers the most specific match
        ordered = sorted(routes.values(), key=lambda route: ("{" in route.resource, route.resource))
        self._routes = [(route, _template_regex(route.resource)) for route in ordered]

    def has_resource(self, path: str) -> bool:
        """Whether ``path`` is a resource of the API, whatever the method."""
        return any(regex.match(path) for _, regex in self._routes)

    def match(self, method: str, path: str) -> MatchedRoute | None:
        for route, regex in self._routes:
            found = regex.match(path)
            if found and route.method == method:
                parameters = {name: unquote(value) for name, value in found.groupdict().items()}
                return MatchedRoute(route, parameters or None)
        return None


def proxy_event(
    *,
    method: str,
    raw_path: str,
    headers: list[tuple[str, str]],
    body: bytes,
    source_ip: str,
    route: MatchedRoute,
    claims: dict[str, str] | None,
) -> dict[str, Any]:
    """The API Gateway REST proxy event (payload format 1.0) for one request."""
    url = urlsplit(raw_path)
    single_headers: dict[str, str] = {}
    multi_headers: dict[str, list[str]] = {}
    for name, value in headers:
        single_headers[name] = value
        multi_headers.setdefault(name, []).append(value)
    query_pairs = parse_qsl(url.query, keep_blank_values=True)
    single_query = dict(query_pairs)
    multi_query: dict[str, list[str]] = {}
    for name, value in query_pairs:
        multi_query.setdefault(name, []).append(value)
    try:
        text_body: str | None = body.decode("utf-8") if body else None
        is_base64 = False
    except UnicodeDecodeError:
        text_body, is_base64 = base64.b64encode(body).decode(), True
    now = time.time()
    return {
        "resource": route.access.resource,
        "path": url.path,
        "httpMethod": method,
        "headers": single_headers or None,
        "multiValueHeaders": multi_headers or None,
        "queryStringParameters": single_query or None,
        "multiValueQueryStringParameters": multi_query or None,
        "pathParameters": route.path_parameters,
        "stageVariables": None,
        "body": text_body,
        "isBase64Encoded": is_base64,
        "requestContext": {
            "accountId": "000000000000",
            "apiId": "local",
            "resourceId": "local",
            "resourcePath": route.access.resource,
            "httpMethod": method,
            "path": f"/{STAGE}{url.path}",
            "protocol": "HTTP/1.1",
            "stage": STAGE,
            "requestId": str(uuid.uuid4()),
            "requestTime": time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(now)),
            "requestTimeEpoch": int(now * 1000),
            "identity": {"sourceIp": source_ip, "userAgent": single_headers.get("User-Agent")},
            "authorizer": {"claims": claims} if claims is not None else None,
        },
    }


def bearer_token(headers: list[tuple[str, str]]) -> str:
    """The token of the one Authorization header ("" without one); two are refused, not picked from."""
    values = [value.strip() for name, value in headers if name.lower() == "authorization"]
    if len(values) > 1:
        raise InvalidToken("several Authorization headers: send one")
    token = values[0] if values else ""
    return token[7:].strip() if token.lower().startswith("bearer ") else token


class LocalApiGateway:
    """Routes, authorises and invokes the API function as Lambda would: one request at a time per
    container. ``handler`` is the function itself, called in this process (one warm container, given
    all the time it takes: a debugger may stop in it), or a ``ContainerPool`` of worker processes, as
    many requests at once as it has containers, each answered 504 when its 29 seconds run out."""

    def __init__(
        self,
        handler: Callable[[dict[str, Any], Any], dict[str, Any]] | ContainerPool,
        keys: KeyPair,
        origins: Sequence[str] | None = None,
    ) -> None:
        """``origins``: the CORS origins, by default those the API function reads (``ALLOWED_ORIGINS``)."""
        self._handler = handler
        self._keys = keys
        self._routes = RouteTable(every_route())
        self._origins = tuple(api_settings().origins if origins is None else origins)
        # in this process, one call at a time: the Powertools resolver holds the current event globally;
        # a pool sends each event to a container of its own
        self._container = contextlib.nullcontext() if isinstance(handler, ContainerPool) else threading.Lock()

    def handle(
        self, method: str, raw_path: str, headers: list[tuple[str, str]], body: bytes, source_ip: str
    ) -> tuple[int, list[tuple[str, str]], bytes]:
        path = urlsplit(raw_path).path
        if method == "OPTIONS" and self._origins and self._routes.has_resource(path):
            return self._preflight(headers)
        route = self._routes.match(method, path)
        if route is None:
            return _json_response(*NO_SUCH_ROUTE)
        claims = None
        if not route.access.public:
            try:
                token = bearer_token(headers)
                if route.access.scopes:  # a machine client's route: an access token with one of its scopes
                    verified = verify_access_token(self._keys, token, route.access.scopes)
                else:  # a person's: an ID token (an access token has no audience: refused)
                    verified = verify_token(self._keys, token)
                claims = authorizer_claims(verified)
            except InvalidToken as refused:  # the caller hears API Gateway's one word; the log says why
                log(f"api  {method} {path}: 401, {refused}")
                return _json_response(*UNAUTHORIZED)
        event = proxy_event(
            method=method,
            raw_path=raw_path,
            headers=headers,
            body=body,
            source_ip=source_ip,
            route=route,
            claims=claims,
        )
        context = LambdaContext(API_FUNCTION, timeout_seconds=API_TIMEOUT_SECONDS)
        try:
            with self._container:
                result = self._handler(json.loads(json.dumps(event)), context)
        except ContainerTimedOut:
            log(f"api handler timed out after {API_TIMEOUT_SECONDS:.0f} s: {method} {path}")
            return _json_response(*TIMED_OUT)
        except Exception as error:  # a crashed function is a 502 at API Gateway, never a dead server
            log(f"api handler failed: {error!r}")
            return _json_response(*INTERNAL_ERROR)
        return _http_response(result)

    def _preflight(self, headers: list[tuple[str, str]]) -> tuple[int, list[tuple[str, str]], bytes]:
        """API Gateway's mock answer: 204, the CORS headers for an allowed origin, none for another."""
        origin = next((value for name, value in headers if name.lower() == "origin"), None)
        allowed = "*" if "*" in self._origins else origin if origin in self._origins else None
        if allowed is None:
            return 204, [("Vary", "Origin")], b""
        return (
            204,
            [
                ("Access-Control-Allow-Origin", allowed),
                ("Access-Control-Allow-Methods", ",".join(CORS_ALLOW_METHODS)),
                ("Access-Control-Allow-Headers", ",".join(CORS_ALLOW_HEADERS)),
                ("Access-Control-Max-Age", str(CORS_MAX_AGE_SECONDS)),
                ("Vary", "Origin"),
            ],
            b"",
        )


def _json_response(status: int, body: dict[str, Any]) -> tuple[int, list[tuple[str, str]], bytes]:
    return status, [("Content-Type", "application/json")], json_payload(body)


def _http_response(result: dict[str, Any]) -> tuple[int, list[tuple[str, str]], bytes]:
    headers = list((result.get("headers") or {}).items())
    for name, values in (result.get("multiValueHeaders") or {}).items():
        headers.extend((name, value) for value in values if (name, value) not in headers)
    raw = result.get("body") or ""
    body = base64.b64decode(raw) if result.get("isBase64Encoded") else raw.encode()
    return int(result.get("statusCode", 200)), headers, body


def make_http_server(
    host: str, port: int, gateway: LocalApiGateway, console: LocalConsole | None = None
) -> ThreadingHTTPServer:
    """The API's port; with ``console``, it also serves the console under /console (as a deployed
    stage serves it beside the API)."""

    class Handler(LocalRequestHandler):
        server_version = "fondation-local"
        log_prefix = "api"

        def _serve(self) -> None:
            try:
                body = self.read_body()
            except BadRequest as error:
                self.respond(
                    *_json_response(error.status, {"message": str(error)}), f"{self.command} {path_only(self.path)}"
                )
                return
            if console is not None and console.serves(path_only(self.path)):
                status, headers, payload = console.handle(
                    self.command, path_only(self.path), list(self.headers.items()), body
                )
            else:
                status, headers, payload = gateway.handle(
                    self.command, self.path, list(self.headers.items()), body, self.client_address[0]
                )
            self.respond(status, headers, payload, f"{self.command} {path_only(self.path)}")

        # every method goes to the gateway, which answers one no route takes as API Gateway does (404)
        do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_OPTIONS = do_HEAD = unknown_method = _serve

    return make_server(host, port, Handler)
