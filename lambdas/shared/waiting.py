"""Waiting for a person: the one mechanism every workflow uses.

A ``.waitForTaskToken`` task parks its entity: the task token goes on the entity's row, with what it
waits for. The action that records the person's answer claims the token under the row's lock — so a
second answer finds none — and answers the wait in the same transaction (``lambdas.shared.signals``).
"""

from __future__ import annotations

from typing import Protocol

from lambdas.shared.errors import Conflict, NotFound


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
