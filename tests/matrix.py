"""Who may call what, written out by hand, and the callers the matrix tests try on every route.

``WHO_MAY_CALL`` is the README's "Who may call what" table,
typed in here on purpose rather than read from ``lambdas.api.access``: the tests compare the route
declarations and the answers of the running API against it, so widening a route, or adding one
without a row here, fails.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass

from lambdas.api.access import RouteAccess
from lambdas.api.routes import every_route
from local.tokens import KEY_ID, KeyPair, issue_access_token, issue_token

FAKE_ID = "00000000-0000-4000-8000-000000000000"

FRONT_DESK, MANAGERS, OPS, LAB, DISPLAY = "front-desk", "managers", "ops", "lab", "display"
GROUPS = (FRONT_DESK, MANAGERS, OPS, LAB, DISPLAY)
NO_TOKEN_NEEDED = None
# the lab's machine client: an access token with the scope fondation/lab-results, no groups
LAB_CLIENT, LAB_SCOPE = "lab-client", "fondation/lab-results"

# (method, API Gateway resource) → the groups allowed, or NO_TOKEN_NEEDED
WHO_MAY_CALL: dict[tuple[str, str], frozenset[str] | None] = {
    ("GET", "/health"): NO_TOKEN_NEEDED,
    ("GET", "/openapi.json"): frozenset({FRONT_DESK, MANAGERS, OPS, LAB}),
    ("GET", "/clients"): frozenset({FRONT_DESK, MANAGERS}),
    ("GET", "/clients/{client_id}"): frozenset({FRONT_DESK, MANAGERS}),
    ("POST", "/clients"): frozenset({FRONT_DESK}),
    ("GET", "/sites"): frozenset({FRONT_DESK, MANAGERS}),
    ("GET", "/sites/{site_id}"): frozenset({FRONT_DESK, MANAGERS}),
    ("PUT", "/sites/{site_id}"): frozenset({MANAGERS}),
    ("PUT", "/sites/{site_id}/stations/{station_id}"): frozenset({MANAGERS}),
    ("PUT", "/sites/{site_id}/frames/{sku}"): frozenset({MANAGERS}),
    ("POST", "/sites/{site_id}/frames/{sku}/restock"): frozenset({MANAGERS}),
    ("GET", "/sites/{site_id}/frames"): frozenset({FRONT_DESK, MANAGERS}),
    ("POST", "/clients/{client_id}/duplicate-review"): frozenset({FRONT_DESK}),
    ("POST", "/clients/{client_id}/documents"): frozenset({FRONT_DESK}),
    ("PATCH", "/clients/{client_id}"): frozenset({FRONT_DESK}),
    ("POST", "/clients/{client_id}/consents"): frozenset({FRONT_DESK}),
    ("DELETE", "/clients/{client_id}"): frozenset({MANAGERS}),
    ("POST", "/sites/{site_id}/tickets"): frozenset({FRONT_DESK}),
    ("GET", "/sites/{site_id}/tickets"): frozenset({FRONT_DESK, MANAGERS}),
    ("GET", "/tickets/{ticket_id}"): frozenset({FRONT_DESK, MANAGERS}),
    ("POST", "/sites/{site_id}/stations/{station_id}/call-next"): frozenset({FRONT_DESK}),
    ("POST", "/tickets/{ticket_id}/call"): frozenset({FRONT_DESK}),
    ("POST", "/tickets/{ticket_id}/arrived"): frozenset({FRONT_DESK}),
    ("POST", "/tickets/{ticket_id}/recall"): frozenset({FRONT_DESK}),
    ("POST", "/tickets/{ticket_id}/no-show"): frozenset({FRONT_DESK}),
    ("POST", "/tickets/{ticket_id}/complete"): frozenset({FRONT_DESK}),
    ("POST", "/tickets/{ticket_id}/transfer"): frozenset({FRONT_DESK}),
    ("POST", "/tickets/{ticket_id}/cancel"): frozenset({FRONT_DESK}),
    ("POST", "/tickets/{ticket_id}/client"): frozenset({FRONT_DESK}),
    ("GET", "/tickets"): frozenset({FRONT_DESK, MANAGERS}),
    ("GET", "/sites/{site_id}/board"): frozenset({FRONT_DESK, MANAGERS, OPS, LAB, DISPLAY}),
    ("POST", "/orders"): frozenset({FRONT_DESK}),
    ("GET", "/orders"): frozenset({FRONT_DESK, MANAGERS}),
    ("GET", "/orders/{order_id}"): frozenset({FRONT_DESK, MANAGERS}),
    ("POST", "/orders/{order_id}/frame"): frozenset({FRONT_DESK}),
    ("POST", "/orders/{order_id}/lab-result"): frozenset({FRONT_DESK}),
    ("POST", "/orders/{order_id}/quality-check"): frozenset({FRONT_DESK}),
    ("POST", "/orders/{order_id}/pickup"): frozenset({FRONT_DESK}),
    ("POST", "/orders/{order_id}/cancel"): frozenset({FRONT_DESK}),
    ("POST", "/lab/orders/{order_id}/result"): frozenset({LAB_CLIENT}),
    ("GET", "/sites/{site_id}/statistics"): frozenset({MANAGERS}),
    ("GET", "/workflows"): frozenset({MANAGERS, OPS}),
    ("GET", "/workflows/{workflow}/executions"): frozenset({MANAGERS, OPS}),
    ("GET", "/executions"): frozenset({MANAGERS, OPS}),
    ("GET", "/workflows/{workflow}/executions/{name}"): frozenset({MANAGERS, OPS}),
    ("GET", "/workflows/{workflow}/executions/{name}/history"): frozenset({MANAGERS, OPS}),
    ("POST", "/workflows/{workflow}/executions/{name}/redrive"): frozenset({OPS}),
    ("POST", "/workflows/{workflow}/executions/{name}/stop"): frozenset({OPS}),
}


def allowed_groups(method: str, resource: str) -> frozenset[str] | None:
    """The table's row for a route; a route without one is an error, not a guess."""
    try:
        return WHO_MAY_CALL[(method, resource)]
    except KeyError:
        raise AssertionError(f"{method} {resource} has no row in tests/matrix.py WHO_MAY_CALL") from None


@dataclass(frozen=True)
class Case:
    name: str
    token: str | None
    group: str | None  # the caller's group when the token is valid
    client: str | None = None  # the machine client, when the token is its valid access token

    def expected(self, route: RouteAccess) -> str:
        return self.answer(route.method, route.resource)

    def answer(self, method: str, resource: str) -> str:
        """``allowed`` reaches the handler; otherwise the status the table demands (401, 403)."""
        groups = allowed_groups(method, resource)
        if groups is NO_TOKEN_NEEDED:
            return "allowed"
        if LAB_CLIENT in groups:  # API Gateway takes an access token with the scope there, nothing else
            return "allowed" if self.client == LAB_CLIENT else "401"
        if self.group is None:  # an ID token is needed: an access token is refused like a forged one
            return "401"
        return "allowed" if self.group in groups else "403"


def cases(keys: KeyPair, other_keys: KeyPair) -> list[Case]:
    now = time.time()
    result = [
        Case("no token", None, None),
        Case("bad signature", issue_token(other_keys, [FRONT_DESK], "mallory"), None),
        Case("expired", issue_token(keys, [FRONT_DESK], "late", ttl_seconds=60, now=now - 3600), None),
        Case("wrong audience", _with_audience(keys, "someone-else"), None),
    ]
    result += [Case(group, issue_token(keys, [group], group), group) for group in GROUPS]
    result += [
        Case(LAB_CLIENT, issue_access_token(keys, "lab", [LAB_SCOPE]), None, LAB_CLIENT),
        Case("lab client, another scope", issue_access_token(keys, "lab", ["fondation/other"]), None),
        Case("lab client, bad signature", issue_access_token(other_keys, "lab", [LAB_SCOPE]), None),
        Case(
            "lab client, expired",
            issue_access_token(keys, "lab", [LAB_SCOPE], ttl_seconds=60, now=now - 3600),
            None,
        ),
        Case("lab group's ID token", issue_token(keys, [LAB], "lab-person"), LAB),
    ]
    return result


def _with_audience(keys: KeyPair, audience: str) -> str:
    import jwt

    claims = jwt.decode(issue_token(keys, [FRONT_DESK], "x"), options={"verify_signature": False})
    claims["aud"] = audience
    return jwt.encode(claims, keys.private_pem, algorithm="RS256", headers={"kid": KEY_ID})


def concrete_path(resource: str, entity_id: str = FAKE_ID) -> str:
    """A concrete path for a resource template: every ``{parameter}`` is ``entity_id``."""
    return re.sub(r"\{\w+\}", entity_id, resource)


def sample_path(route: RouteAccess, entity_id: str = FAKE_ID) -> str:
    return concrete_path(route.resource, entity_id)


def declared_routes() -> list[RouteAccess]:
    """The routes a deployed stage serves (the local Swagger UI is left out)."""
    return [route for route in every_route().values() if not route.local_only]
