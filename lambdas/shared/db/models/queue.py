"""The queue of a clinic day: tickets and the counter that numbers them."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Index, Integer, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from lambdas.shared.db.models import clients, sites  # noqa: F401 - the tables its foreign keys name
from lambdas.shared.db.models.base import ARN, ID, TOKEN, Base, Timestamps, enum_column, new_id
from lambdas.shared.db.types import UtcDateTime
from lambdas.shared.domain import TicketPriority, TicketStatus


class TicketCounter(Base):
    """The last ticket number given at a site on a day: incremented under a row lock."""

    __tablename__ = "ticket_counters"

    site_id: Mapped[str] = mapped_column(ForeignKey("sites.id"), primary_key=True)
    service_day: Mapped[date] = mapped_column(Date, primary_key=True)
    last_number: Mapped[int] = mapped_column(Integer, default=0)


class Ticket(Timestamps, Base):
    """A person's place in the queue of a site for one clinic day."""

    __tablename__ = "tickets"
    __table_args__ = (
        UniqueConstraint("site_id", "service_day", "number"),
        Index(None, "station_id", "status", "priority_rank", "created_at"),
    )

    id: Mapped[str] = mapped_column(ID, primary_key=True, default=new_id)
    site_id: Mapped[str] = mapped_column(ForeignKey("sites.id"))
    service_day: Mapped[date] = mapped_column(Date)
    number: Mapped[int] = mapped_column(Integer)
    station_id: Mapped[str] = mapped_column(ForeignKey("stations.id"))
    status: Mapped[TicketStatus] = mapped_column(enum_column(TicketStatus), default=TicketStatus.WAITING)
    priority: Mapped[TicketPriority] = mapped_column(enum_column(TicketPriority), default=TicketPriority.NONE)
    priority_rank: Mapped[int] = mapped_column(Integer, default=1)  # 0 = priority, 1 = normal: sorts first
    client_id: Mapped[str | None] = mapped_column(ForeignKey("clients.id"))
    called_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    served_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    task_token: Mapped[str | None] = mapped_column(TOKEN)
    execution_arn: Mapped[str | None] = mapped_column(ARN)
