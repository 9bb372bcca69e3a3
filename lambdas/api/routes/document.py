"""The API's own contract: its OpenAPI document."""

from __future__ import annotations

from aws_lambda_powertools.event_handler import Response, content_types

from lambdas.api.access import STAFF, Routes

routes = Routes("health")


@routes.get(
    "/openapi.json",
    allow=STAFF,
    summary="This document",
    responses={200: {"description": "OpenAPI 3.1", "content": {"application/json": {"schema": {"type": "object"}}}}},
)
def handle_get_openapi() -> Response[str]:
    from lambdas.api.app import openapi_document  # the app imports this module when a request reaches it

    return Response(status_code=200, content_type=content_types.APPLICATION_JSON, body=openapi_document())
