"""The queue of a clinic day: tickets, the counters that number them, and what happened to each."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from lambdas.shared.clock import utcnow
from lambdas.shared.db.base import ARN, ID, Base, Timestamps, WaitsForPerson, enum_column, new_id
from lambdas.shared.db.clients import models as clients  # noqa: F401 - the tables its foreign keys name
from lambdas.shared.db.sites import models as sites  # noqa: F401
from lambdas.shared.db.types import JsonText, UtcDateTime
from lambdas.shared.domain import TicketPriority, TicketStatus
from lambdas.shared.fields import NAME_LENGTH, PREFIX_LENGTH, SLUG_LENGTH


class TicketCounter(Base):
    """The last number given at a site, on a day, for a prefix: incremented under its row lock, in the
    transaction that stores the ticket, so numbers are unique and gapless."""

    __tablename__ = "ticket_counters"

    site_id: Mapped[str] = mapped_column(ForeignKey("sites.id"), primary_key=True)
    service_day: Mapped[date] = mapped_column(Date, primary_key=True)
    prefix: Mapped[str] = mapped_column(String(PREFIX_LENGTH), primary_key=True)
    last_number: Mapped[int] = mapped_column(Integer, default=0)


class Ticket(WaitsForPerson, Timestamps, Base):
    """A person's place in the queues of a site for one clinic day, station after station."""

    __tablename__ = "tickets"
    __table_args__ = (
        UniqueConstraint("site_id", "service_day", "prefix", "number"),
        ForeignKeyConstraint(["site_id", "station_id"], ["stations.site_id", "stations.id"]),
        Index(None, "site_id", "station_id", "status", "queued_at"),
    )

    id: Mapped[str] = mapped_column(ID, primary_key=True, default=new_id)
    site_id: Mapped[str] = mapped_column(ForeignKey("sites.id"))
    service_day: Mapped[date] = mapped_column(Date)
    prefix: Mapped[str] = mapped_column(String(PREFIX_LENGTH))
    number: Mapped[int] = mapped_column(Integer)
    station_id: Mapped[str] = mapped_column(String(SLUG_LENGTH))  # where it is now
    journey: Mapped[list[str]] = mapped_column(JsonText)  # the stations, in order
    journey_index: Mapped[int] = mapped_column(Integer, default=0)
    status: Mapped[TicketStatus] = mapped_column(enum_column(TicketStatus), default=TicketStatus.WAITING)
    priority: Mapped[TicketPriority] = mapped_column(enum_column(TicketPriority), default=TicketPriority.NONE)
    priority_set_by: Mapped[str | None] = mapped_column(String(128))
    appointment_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    client_id: Mapped[str | None] = mapped_column(ForeignKey("clients.id"), index=True)
    display_name: Mapped[str | None] = mapped_column(String(NAME_LENGTH))  # a walk-in not onboarded yet
    checked_in_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)  # fairness across stations
    queued_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)  # at the current station
    called_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    called_by_counter: Mapped[str | None] = mapped_column(String(SLUG_LENGTH))
    recalled: Mapped[bool] = mapped_column(Boolean, default=False)
    served_at: Mapped[datetime | None] = mapped_column(UtcDateTime)  # arrived at the counter
    ended_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    checked_in_by: Mapped[str] = mapped_column(String(128))
    execution_arn: Mapped[str | None] = mapped_column(ARN)

    @property
    def label(self) -> str:
        """What the person and the board see: ``A007``."""
        return f"{self.prefix}{self.number:03d}"


class QueueEvent(Base):
    """Append-only: what happened to a ticket, where, at which counter, by whom. Statistics and wait
    estimates are computed from these rows, never from execution history."""

    __tablename__ = "queue_events"
    __table_args__ = (
        Index(None, "site_id", "at"),
        Index(None, "ticket_id"),
        Index(None, "site_id", "station_id", "kind"),
    )

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    ticket_id: Mapped[str] = mapped_column(ForeignKey("tickets.id"))
    site_id: Mapped[str] = mapped_column(ForeignKey("sites.id"))
    station_id: Mapped[str] = mapped_column(String(SLUG_LENGTH))
    kind: Mapped[str] = mapped_column(String(32))
    counter: Mapped[str | None] = mapped_column(String(SLUG_LENGTH))
    actor: Mapped[str] = mapped_column(String(128))
    at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    seconds: Mapped[int | None] = mapped_column(Integer)  # called: waited at the station; served: served
    details: Mapped[dict[str, Any]] = mapped_column(JsonText, default=dict)
