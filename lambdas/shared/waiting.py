"""Waiting for a person: the one mechanism every workflow uses.

A ``.waitForTaskToken`` task parks its entity: the task token goes on the entity's row, with what it
waits for. The API route that records the person's answer claims the token under the row's lock —
so a second answer finds none — commits what the answer records, and only then delivers it
(``deliver``): an answer Step Functions never received is taken back, never left half-written.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from lambdas.shared.db.unit_of_work import UnitOfWork
from lambdas.shared.errors import Conflict, NotFound, WorkflowUnavailable
from lambdas.shared.stepfunctions import CallbackClosed, workflows


class Waiting(Protocol):
    """A row that can wait for a person (``lambdas.shared.db.base.WaitsForPerson``)."""

    id: str
    waiting_for: str | None
    task_token: str | None

    @property
    def status(self) -> str: ...  # read here, never written: a row's own enum of states


class NotWaiting(Conflict):
    """The entity is not waiting for this answer."""


def park(entity: Waiting, waiting_for: str, token: str) -> None:
    """The token on the loaded row (``QueueRepository.park`` does it in one statement, unread)."""
    entity.waiting_for, entity.task_token = waiting_for, token


def claim(entity: Waiting | None, kind: str, entity_id: str, waiting_for: str) -> str:
    """The token of ``entity`` (locked by the caller) waiting for ``waiting_for``, taken off the row;
    404 when there is no such entity, 409 naming its state when it waits for something else or nothing."""
    if entity is None:
        raise NotFound(kind, entity_id)
    if entity.waiting_for != waiting_for or entity.task_token is None:
        where = f"waiting for {entity.waiting_for.replace('_', ' ')}" if entity.waiting_for else entity.status
        raise NotWaiting(f"{kind} {entity_id} is not waiting for {waiting_for.replace('_', ' ')} (it is {where})")
    token = entity.task_token
    entity.task_token = entity.waiting_for = None
    return token


Withdraw = Callable[[UnitOfWork, bool], None]  # (unit of work, reopen the wait?) → takes the answer back


def deliver(actor: str, token: str, output: dict[str, Any], withdraw: Withdraw) -> None:
    """Send a committed answer to the execution waiting for it.

    If Step Functions cannot be reached, the answer is taken back and the wait reopened, so the
    request can simply be repeated (503). If the execution no longer waits (it timed out or was
    stopped), the answer is taken back and the conflict raised (409).
    """
    try:
        workflows().resume(token, output)
    except CallbackClosed:
        UnitOfWork(actor).run(withdraw, False)
        raise
    except WorkflowUnavailable:
        UnitOfWork(actor).run(withdraw, True)
        raise
