"""The authorisation matrix of DESIGN.md as test cases: every declared route, every kind of caller."""

from __future__ import annotations

import re
import time
from dataclasses import dataclass

from lambdas.api.access import ROUTES, Group, RouteAccess
from local.tokens import KeyPair, issue_token

FAKE_ID = "00000000-0000-4000-8000-000000000000"


@dataclass(frozen=True)
class Case:
    name: str
    token: str | None
    group: Group | None  # the caller's group when the token is valid

    def expected(self, route: RouteAccess) -> str:
        """``public``/``allowed`` reach the handler; otherwise the status the matrix demands."""
        if route.public:
            return "allowed"
        if self.group is None:
            return "401"
        return "allowed" if self.group in route.allow else "403"


def cases(keys: KeyPair, other_keys: KeyPair) -> list[Case]:
    now = time.time()
    result = [
        Case("no token", None, None),
        Case("bad signature", issue_token(other_keys, ["front-desk"], "mallory"), None),
        Case("expired", issue_token(keys, ["front-desk"], "late", ttl_seconds=60, now=now - 3600), None),
        Case("wrong audience", _with_audience(keys, "someone-else"), None),
    ]
    result += [Case(group.value, issue_token(keys, [group.value], group.value), group) for group in Group]
    return result


def _with_audience(keys: KeyPair, audience: str) -> str:
    import jwt

    claims = jwt.decode(issue_token(keys, ["front-desk"], "x"), options={"verify_signature": False})
    claims["aud"] = audience
    return jwt.encode(claims, keys.private_pem, algorithm="RS256")


def sample_path(route: RouteAccess, entity_id: str = FAKE_ID) -> str:
    """A concrete path for a declared resource: every ``{parameter}`` is ``entity_id``."""
    return re.sub(r"\{\w+\}", entity_id, route.resource)


def declared_routes() -> list[RouteAccess]:
    return [route for route in ROUTES.values() if not route.local_only]
