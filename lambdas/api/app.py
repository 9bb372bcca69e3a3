"""The REST API function: one Powertools resolver, every route declared with its groups.

The resolver is built on the first request (CORS origins come from the environment), and a route
module is imported and included when a request first reaches one of its routes (``lambdas.api.routes``
says which): a cold start loads the models of one module, not of the whole API.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, CORSConfig
from aws_lambda_powertools.event_handler.api_gateway import ResponseBuilder
from aws_lambda_powertools.event_handler.openapi.models import HTTPBearer, OpenAPI, SecurityScheme
from aws_lambda_powertools.utilities.data_classes import APIGatewayProxyEvent

from lambdas.api import openapi as contract
from lambdas.api import routes
from lambdas.api.access import PUBLIC, ROUTES, declare, refusal
from lambdas.api.errors import register_error_handlers
from lambdas.api.proxy_event import event_refusal
from lambdas.api.requests import body_refusal
from lambdas.shared.config import api_settings
from lambdas.shared.observability import api_handler

TITLE = "Fondation API"
VERSION = "1.0.0"
SECURITY_SCHEMES: dict[str, SecurityScheme] = {
    "cognito": HTTPBearer(
        description="a person's Cognito ID token (locally: .venv/bin/python -m local token --group front-desk); "
        "for the lab's route, the lab client's access token (--client lab)"
    )
}
SWAGGER_PATH = "/docs"

# What a browser may send cross-origin where ``ALLOWED_ORIGINS`` names origins: the function and the
# local gateway's preflights answer with these (on a stage the console calls the API on its own origin).
CORS_ALLOW_HEADERS = ("Authorization", "Content-Type", "Idempotency-Key")
CORS_ALLOW_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")
CORS_MAX_AGE_SECONDS = 600


def _cors() -> CORSConfig | None:
    origins = api_settings().origins
    if not origins:
        return None
    return CORSConfig(
        allow_origin=origins[0],
        extra_origins=origins[1:],
        allow_headers=list(CORS_ALLOW_HEADERS),
        max_age=CORS_MAX_AGE_SECONDS,
    )


class _Resolver(APIGatewayRestResolver):
    """The REST resolver that includes a route module's routes when first asked, and whose OpenAPI
    document (/openapi.json and /docs alike), holding every module's, is the API's contract."""

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self._included: set[str] = set()

    def include(self, modules: Iterable[str]) -> None:
        for module in modules:
            if module not in self._included:
                self.include_router(routes.routes_of(module).router)
                self._included.add(module)

    def get_openapi_schema(self, **options: Any) -> OpenAPI:
        self.include(routes.MODULES)
        declared = [route.resource for module in routes.MODULES for route in routes.routes_of(module).declared]
        return contract.contract(super().get_openapi_schema(**options), declared)


@functools.cache
def api() -> _Resolver:
    """The container's resolver, built once, its routes included as requests reach them."""
    resolver = _Resolver(enable_validation=True, cors=_cors())
    register_error_handlers(resolver)
    return resolver


def openapi_document() -> str:
    return api().get_openapi_json_schema(
        title=TITLE, version=VERSION, security_schemes=SECURITY_SCHEMES, servers=contract.SERVERS
    )


def enable_local_docs() -> None:
    """Swagger UI at /docs: the local runtime turns it on; deployed stages serve no HTML. The page
    embeds the same document as /openapi.json (also at /docs?format=json), so "Try it out" calls
    the routes where the local gateway serves them."""
    if ("GET", SWAGGER_PATH) not in ROUTES:
        declare("GET", SWAGGER_PATH, PUBLIC, local_only=True)
        api().enable_swagger(
            path=SWAGGER_PATH,
            title=TITLE,
            version=VERSION,
            security_schemes=SECURITY_SCHEMES,
            servers=contract.SERVERS,
        )


# Every answer may carry personal data: no cache keeps it, no browser guesses its type.
SECURITY_HEADERS = {"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"}


@api_handler
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """One request at a time, as Lambda calls it (the resolver holds the current event; the local
    gateway holds a lock around a function served in its own process)."""
    refused = event_refusal(event)
    if refused is None:
        module = routes.module_serving(event["resource"])
        if module is not None:
            api().include([module])  # its routes' declarations too, which the refusal reads
        refused = refusal(event) or body_refusal(event)
    if refused is not None:
        # a refusal has no route: nothing of the event (which may be malformed) or of CORS shapes it
        response = ResponseBuilder[APIGatewayProxyEvent](refused).build(APIGatewayProxyEvent({}))
    else:
        response = api().resolve(event, context)
    headers = response.setdefault("multiValueHeaders", {})
    for name, value in SECURITY_HEADERS.items():
        headers[name] = [value]
    return response
