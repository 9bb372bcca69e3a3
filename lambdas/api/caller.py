"""The authenticated caller of the current request, and the ``Actor`` their actions run as."""

from __future__ import annotations

from aws_lambda_powertools.event_handler.api_gateway import Router

from lambdas.api.access import Caller, caller_of
from lambdas.shared.signals import Actor


def current_caller(router: Router) -> Caller:
    caller = caller_of(router.current_event.raw_event)
    if caller is None:  # the authorize middleware lets no such request reach a non-public route
        raise PermissionError("no authenticated caller")
    return caller


def actor(router: Router) -> Actor:
    """The caller, acting: audit entries name their ``sub``. The unit of work and the Step Functions
    client are the container's, unless the request was resolved with others (``resolver.append_context
    (services={"unit_of_work": …, "workflows": …})``: a test hands in its own)."""
    return Actor(current_caller(router).sub, **router.context.get("services", {}))
