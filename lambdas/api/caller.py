"""The authenticated caller of the current request, and a unit of work acting on their behalf."""

from __future__ import annotations

from aws_lambda_powertools.event_handler.api_gateway import Router

from lambdas.api.access import Caller, caller_of
from lambdas.shared.db.unit_of_work import UnitOfWork


def current_caller(router: Router) -> Caller:
    caller = caller_of(router.current_event.raw_event)
    if caller is None:  # the authorize middleware lets no such request reach a non-public route
        raise PermissionError("no authenticated caller")
    return caller


def unit_of_work(router: Router) -> UnitOfWork:
    """A unit of work whose audit entries name the caller's ``sub``."""
    return UnitOfWork(actor=current_caller(router).sub)
