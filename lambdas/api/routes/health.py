from __future__ import annotations

from lambdas.api.access import PUBLIC, Routes
from lambdas.shared.model import Model

routes = Routes("health")


class Health(Model):
    status: str


@routes.get("/health", allow=PUBLIC, summary="Is the API up (no token needed)")
def handle_get_health() -> Health:
    return Health(status="ok")
