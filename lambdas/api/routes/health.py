from __future__ import annotations

from pydantic import BaseModel

from lambdas.api.access import PUBLIC, Routes

routes = Routes("health")


class Health(BaseModel):
    status: str


@routes.get("/health", allow=PUBLIC, summary="Is the API up (no token needed)")
def handle_get_health() -> Health:
    return Health(status="ok")
