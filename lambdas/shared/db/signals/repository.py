"""The workflow signals outbox: written in the transaction of the action they report, claimed by
the function that wrote them, then by the relay."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from lambdas.shared.db import outbox
from lambdas.shared.db.signals.models import Signal
from lambdas.shared.domain import SignalStatus


class SignalRepository:
    def __init__(self, session: Session) -> None:
        self.session = session
        self.written: list[Signal] = []  # this transaction's, for the writer to deliver once it commits

    def new(self, **fields: Any) -> Signal:
        """A new signal of ``fields``, added to the transaction."""
        signal = Signal(**fields)
        self.session.add(signal)
        self.written.append(signal)
        return signal

    def claim(self, claim: str, now: datetime, until: datetime, limit: int) -> list[Signal]:
        """Up to ``limit`` signals due now, claimed by ``claim`` (``outbox.claim_due``)."""
        return outbox.claim_due(self.session, Signal, SignalStatus.PENDING, claim, now, until, limit)

    def settle(self, signal_id: str, claim: str, **values: Any) -> bool:
        """The claimed signal's outcome, if the claim is still ours (``outbox.settle``)."""
        return outbox.settle(self.session, Signal, signal_id, claim, **values)

    def release(self, signal_id: str, claim: str, **values: Any) -> bool:
        """``settle``, giving back the try its claim counted though it was not tried."""
        return self.settle(signal_id, claim, attempts=Signal.attempts - 1, **values)
