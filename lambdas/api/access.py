"""Who may call what: the groups of the README's matrix, declared once per route.

Routes are declared with ``Routes.get/post/delete(resource, allow=...)``; that one declaration
registers the Powertools route and its row in ``ROUTES``, which the handler's authorisation check,
the local gateway and the CDK app all read (``lambdas.api.routes`` imports the modules declaring them).
A route registered any other way has no row, and the check refuses it (403) rather than guess. The
same declaration documents every answer the route can give (``lambdas.api.openapi``); ``responses=``
adds what only the route knows, such as a 409.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import ApiGatewayResolver, Router

from lambdas.api import openapi
from lambdas.api.errors import error_response


class Group(StrEnum):
    FRONT_DESK = "front-desk"
    MANAGERS = "managers"
    OPS = "ops"
    LAB = "lab"
    DISPLAY = "display"  # a waiting room's screen: the board and nothing else


# The rows of the README's matrix. An empty set means no token is needed.
PUBLIC: frozenset[Group] = frozenset()
READ_RECORDS = frozenset({Group.FRONT_DESK, Group.MANAGERS})
FRONT_DESK_WORK = frozenset({Group.FRONT_DESK})
ERASE_PERSONAL_DATA = frozenset({Group.MANAGERS})
CONFIGURE_SITES = frozenset({Group.MANAGERS})
READ_STATISTICS = frozenset({Group.MANAGERS})
READ_EXECUTIONS = frozenset({Group.MANAGERS, Group.OPS})
OPERATE_EXECUTIONS = frozenset({Group.OPS})
STAFF = frozenset({Group.FRONT_DESK, Group.MANAGERS, Group.OPS, Group.LAB})
READ_BOARD = STAFF | {Group.DISPLAY}


# A machine client's access tokens carry scopes, not groups: the lab posts its results with this one
# (the user pool's resource server ``fondation``, its scope ``lab-results``).
LAB_RESULTS_SCOPE = "fondation/lab-results"
LAB_CLIENT = frozenset({LAB_RESULTS_SCOPE})


@dataclass(frozen=True)
class RouteAccess:
    method: str
    resource: str  # API Gateway template, e.g. /clients/{client_id}
    allow: frozenset[Group]
    local_only: bool = False
    scopes: frozenset[str] = frozenset()  # a machine client's route: an access token with one of these

    @property
    def public(self) -> bool:
        return not self.allow and not self.scopes


ROUTES: dict[tuple[str, str], RouteAccess] = {}

_TEMPLATE_PARAM = re.compile(r"\{(\w+)\}")


def powertools_rule(resource: str) -> str:
    """``/clients/{client_id}`` → ``/clients/<client_id>``."""
    return _TEMPLATE_PARAM.sub(r"<\1>", resource)


class Routes:
    """A Powertools router whose every route states who may call it; its routes are grouped under
    ``tag`` in the OpenAPI document (one of ``openapi.TAGS``: the process they belong to)."""

    def __init__(self, tag: str) -> None:
        if tag not in openapi.TAGS:
            raise ValueError(f"no tag {tag} in the OpenAPI document (lambdas/api/openapi.py TAGS)")
        self.router = Router()  # type: ignore[no-untyped-call]  # Powertools leaves __init__ unannotated
        self.tag = tag
        self.declared: list[RouteAccess] = []

    def get(self, resource: str, *, allow: frozenset[Group], **options: Any) -> Callable[..., Any]:
        return self.route("GET", resource, allow=allow, **options)

    def post(self, resource: str, *, allow: frozenset[Group], **options: Any) -> Callable[..., Any]:
        return self.route("POST", resource, allow=allow, **options)

    def put(self, resource: str, *, allow: frozenset[Group], **options: Any) -> Callable[..., Any]:
        return self.route("PUT", resource, allow=allow, **options)

    def patch(self, resource: str, *, allow: frozenset[Group], **options: Any) -> Callable[..., Any]:
        return self.route("PATCH", resource, allow=allow, **options)

    def delete(self, resource: str, *, allow: frozenset[Group], **options: Any) -> Callable[..., Any]:
        return self.route("DELETE", resource, allow=allow, **options)

    def route(
        self,
        method: str,
        resource: str,
        *,
        allow: frozenset[Group],
        local_only: bool = False,
        scopes: frozenset[str] = frozenset(),
        responses: dict[int, Any] | None = None,
        **options: Any,
    ) -> Callable[..., Any]:
        """``responses`` adds to the answers every such route documents; a string value is the
        description of an ``Error`` answer: ``responses={409: "the key was used for another application"}``.
        ``scopes`` makes it a machine client's route (and ``allow`` must be empty): API Gateway then
        takes an access token with one of them, and no ID token."""
        if scopes and allow:
            raise ValueError(f"{method} {resource}: a route is for groups (ID tokens) or for scopes, not both")
        self.declared.append(declare(method, resource, allow, local_only=local_only, scopes=scopes))
        options.setdefault("tags", [self.tag])
        if allow:
            options.setdefault("security", [{"cognito": []}])
            options.setdefault("openapi_extensions", {"x-allowed-groups": sorted(allow)})
        if scopes:
            options.setdefault("security", [{"cognito": sorted(scopes)}])
            options.setdefault("openapi_extensions", {"x-allowed-scopes": sorted(scopes)})

        def register(handler: Callable[..., Any]) -> Callable[..., Any]:
            documented = openapi.route_responses(
                method,
                resource,
                authenticated=bool(allow or scopes),
                validated=openapi.takes_input(handler),
                success=options.get("status_code", 200),
                declared=responses,
            )
            return self.router.route(powertools_rule(resource), method, responses=documented, **options)(handler)

        return register


def declare(
    method: str,
    resource: str,
    allow: frozenset[Group],
    *,
    local_only: bool = False,
    scopes: frozenset[str] = frozenset(),
) -> RouteAccess:
    key = (method, resource)
    access = RouteAccess(method, resource, allow, local_only, scopes)
    if key in ROUTES and (ROUTES[key].allow, ROUTES[key].scopes) != (allow, scopes):
        raise ValueError(f"{method} {resource} is declared twice with different groups or scopes")
    ROUTES[key] = access
    return access


@dataclass(frozen=True)
class Caller:
    sub: str
    username: str | None
    groups: frozenset[str]  # a person's (ID token)
    scopes: frozenset[str] = frozenset()  # a machine client's (access token)


def caller_of(event: Any) -> Caller | None:
    """The identity the Cognito authorizer put in the request context, if any."""
    authorizer = (event.get("requestContext") or {}).get("authorizer") or {}
    claims = authorizer.get("claims") or {}
    if not claims.get("sub"):
        return None
    return Caller(
        sub=claims["sub"],
        username=claims.get("cognito:username"),
        groups=parse_groups(claims.get("cognito:groups")),
        scopes=frozenset(str(claims.get("scope") or "").split()),
    )


# What a group's name is made of. API Gateway flattens the groups claim to text (``"a,b"``, or
# ``"[a b]"``), so a name holding a comma, a bracket or a space would read as other groups: such a
# name is no group (the local authorizer refuses a token carrying one; the CDK app names the pool's).
GROUP_NAME = re.compile(r"[A-Za-z0-9_-]{1,128}")


def parse_groups(value: Any) -> frozenset[str]:
    """The caller's groups: the claim as API Gateway flattens it (``"a,b"`` or ``"[a b]"``), or a list
    of names. Anything that is not a group name counts for nothing: ``["front-desk,managers"]`` is
    not a manager."""
    if not value:
        return frozenset()
    if isinstance(value, list):
        names = [str(group) for group in value]
    else:
        text = str(value).strip()
        bracketed = text.startswith("[") and text.endswith("]")
        names = text[1:-1].split() if bracketed else [part.strip() for part in text.split(",")]
    return frozenset(name for name in names if GROUP_NAME.fullmatch(name))


def refusal(event: dict[str, Any]) -> Response[str] | None:
    """Why the caller may not call this route (401, 403), or None. Checked before anything else —
    request validation included — so a caller outside the route's groups learns nothing about it."""
    access = ROUTES.get((str(event.get("httpMethod", "")).upper(), event.get("resource", "")))
    if access is None:
        return error_response(403, "forbidden", "this route declares no groups, so nobody may call it")
    if access.public:
        return None
    caller = caller_of(event)
    if caller is None:
        return error_response(401, "unauthorized", "Unauthorized")
    if access.scopes:
        if not caller.scopes & access.scopes:
            scopes = ", ".join(sorted(access.scopes))
            return error_response(403, "forbidden", f"this route is for a machine client with the scope: {scopes}")
        return None
    if not caller.groups & access.allow:
        allowed = ", ".join(sorted(access.allow))
        return error_response(403, "forbidden", f"this route is for the groups: {allowed}")
    return None


def undeclared_operations(app: ApiGatewayResolver, security_schemes: dict[str, Any]) -> list[tuple[str, str]]:
    """Operations of ``app``'s OpenAPI document that have no row in ``ROUTES``."""
    schema = app.get_openapi_schema(security_schemes=security_schemes)
    return [
        (method.upper(), path)
        for path, item in (schema.paths or {}).items()
        for method in ("get", "post", "put", "patch", "delete")
        if getattr(item, method, None) is not None and (method.upper(), path) not in ROUTES
    ]
