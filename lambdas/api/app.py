"""The REST API function: one Powertools resolver, every route declared with its groups."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response, content_types
from aws_lambda_powertools.event_handler.openapi.models import HTTPBearer

from lambdas.api.access import ANY_GROUP, PUBLIC, ROUTES, Routes, authorize, declare
from lambdas.api.errors import register_error_handlers
from lambdas.api.routes import clients, health
from lambdas.shared.observability import api_handler

TITLE = "Fondation API"
VERSION = "1.0.0"
SECURITY_SCHEMES = {"cognito": HTTPBearer(description="a Cognito ID token (locally: python -m local token)")}
SWAGGER_PATH = "/docs"

openapi = Routes()
app = APIGatewayRestResolver(enable_validation=True)


def openapi_document() -> str:
    return app.get_openapi_json_schema(title=TITLE, version=VERSION, security_schemes=SECURITY_SCHEMES)


@openapi.get(
    "/openapi.json",
    allow=ANY_GROUP,
    summary="This document",
    responses={200: {"description": "OpenAPI 3.1", "content": {"application/json": {"schema": {"type": "object"}}}}},
)
def handle_get_openapi():  # a Response annotation would enter the schema
    return Response(status_code=200, content_type=content_types.APPLICATION_JSON, body=openapi_document())


for module_routes in (health.routes, clients.routes, openapi):
    app.include_router(module_routes.router)
app.use(middlewares=[authorize])
register_error_handlers(app)


def enable_local_docs() -> None:
    """Swagger UI at /docs: the local runtime turns it on; deployed stages serve no HTML."""
    if ("GET", SWAGGER_PATH) not in ROUTES:
        declare("GET", SWAGGER_PATH, PUBLIC, local_only=True)
        app.enable_swagger(path=SWAGGER_PATH, title=TITLE, version=VERSION, security_schemes=SECURITY_SCHEMES)


@api_handler
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return app.resolve(event, context)
