"""The workflow signals outbox: what a workflow must be told of an action, written in its transaction."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from lambdas.shared.clock import utcnow
from lambdas.shared.db.base import ID, TOKEN, Base, enum_column, new_id
from lambdas.shared.db.outbox import Claimable
from lambdas.shared.db.types import JsonText, UtcDateTime
from lambdas.shared.domain import SignalKind, SignalStatus


class Signal(Claimable, Base):
    """A signal to a workflow: start an execution (``workflow``, ``entity_id``, ``payload`` its input),
    resume a wait (``token``, ``payload`` its output), a heartbeat (``token``), fail a wait (``token``,
    ``error``, ``cause``). Ids and statuses only: nothing personal.

    Written already claimed by the function that wrote it, which delivers it once it commits; a claim
    that lapses (Step Functions unreachable, the function died) leaves the row to the relay.
    """

    __tablename__ = "workflow_signals"
    __table_args__ = (Index(None, "status", "next_attempt_at"),)

    id: Mapped[str] = mapped_column(ID, primary_key=True, default=new_id)
    kind: Mapped[SignalKind] = mapped_column(enum_column(SignalKind))
    workflow: Mapped[str | None] = mapped_column(String(64))
    entity_id: Mapped[str | None] = mapped_column(ID)
    token: Mapped[str | None] = mapped_column(TOKEN)
    payload: Mapped[dict[str, Any]] = mapped_column(JsonText, default=dict)
    error: Mapped[str | None] = mapped_column(String(64))
    cause: Mapped[str | None] = mapped_column(Text)
    status: Mapped[SignalStatus] = mapped_column(enum_column(SignalStatus), default=SignalStatus.PENDING)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    delivered_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    reason: Mapped[str | None] = mapped_column(String(200))  # why the last attempt did not deliver it
