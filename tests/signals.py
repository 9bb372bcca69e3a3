"""What the actions told the workflows: the signals outbox, as the tests read it."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from lambdas.shared.db.signals.models import Signal
from lambdas.shared.db.unit_of_work import UnitOfWork


def written(kind: str | None = None) -> list[Signal]:
    """Every signal written, oldest first (of ``kind`` only, if given)."""
    with UnitOfWork("test") as uow:
        query = select(Signal).order_by(Signal.created_at, Signal.id)
        if kind is not None:
            query = query.where(Signal.kind == kind)
        return list(uow.session.scalars(query))


def resumed() -> list[str | None]:
    """The tokens of the waits answered (a resume each)."""
    return [signal.token for signal in written("resume")]


def answered(**payload: Any) -> str | None:
    """The token of the wait answered with this in its output (``ticket_id=…``), if one was (once or
    more: answering a wait again is harmless)."""
    found = {signal.token for signal in written("resume") if payload.items() <= signal.payload.items()}
    assert len(found) <= 1, found
    return found.pop() if found else None


def answer_to(token: str) -> dict[str, Any] | None:
    """What the wait holding ``token`` was answered with, if it was."""
    found = {json_of(signal.payload) for signal in written("resume") if signal.token == token}
    assert len(found) <= 1, found
    return dict(found.pop()) if found else None


def json_of(payload: dict[str, Any]) -> tuple[tuple[str, Any], ...]:
    return tuple(sorted(payload.items()))
