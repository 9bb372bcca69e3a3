"""Glasses: donated frames, orders with their prescription, frame reservations."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, Integer, Numeric, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lambdas.shared.db.models import clients, sites  # noqa: F401 - the tables its foreign keys name
from lambdas.shared.db.models.base import ARN, ID, TOKEN, Base, Timestamps, enum_column, new_id
from lambdas.shared.db.types import UtcDateTime, utcnow
from lambdas.shared.domain import FrameStatus, OrderStatus, ReservationStatus


class Frame(Base):
    """One donated frame in stock."""

    __tablename__ = "frames"
    __table_args__ = (Index(None, "site_id", "status"),)

    id: Mapped[str] = mapped_column(ID, primary_key=True, default=new_id)
    site_id: Mapped[str | None] = mapped_column(ForeignKey("sites.id"))
    reference: Mapped[str] = mapped_column(String(64), unique=True)
    model: Mapped[str] = mapped_column(String(100))
    colour: Mapped[str | None] = mapped_column(String(50))
    size: Mapped[str | None] = mapped_column(String(20))
    status: Mapped[FrameStatus] = mapped_column(enum_column(FrameStatus), default=FrameStatus.AVAILABLE)
    donated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class Order(Timestamps, Base):
    """A pair of glasses for a client, from prescription to pickup."""

    __tablename__ = "orders"

    id: Mapped[str] = mapped_column(ID, primary_key=True, default=new_id)
    client_id: Mapped[str] = mapped_column(ForeignKey("clients.id"), index=True)
    site_id: Mapped[str] = mapped_column(ForeignKey("sites.id"))
    status: Mapped[OrderStatus] = mapped_column(enum_column(OrderStatus), default=OrderStatus.RECEIVED)
    lab_reference: Mapped[str | None] = mapped_column(String(64))
    lab_note: Mapped[str | None] = mapped_column(String(500))
    task_token: Mapped[str | None] = mapped_column(TOKEN)
    execution_arn: Mapped[str | None] = mapped_column(ARN)
    created_by: Mapped[str] = mapped_column(String(128))
    ready_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    delivered_at: Mapped[datetime | None] = mapped_column(UtcDateTime)

    prescription: Mapped[Prescription | None] = relationship(back_populates="order")


class Prescription(Base):
    """Per-eye lens prescription of an order, in dioptres, degrees and millimetres."""

    __tablename__ = "prescriptions"
    __table_args__ = (
        CheckConstraint("right_axis IS NULL OR (right_axis BETWEEN 0 AND 180)", name="right_axis_range"),
        CheckConstraint("left_axis IS NULL OR (left_axis BETWEEN 0 AND 180)", name="left_axis_range"),
    )

    id: Mapped[str] = mapped_column(ID, primary_key=True, default=new_id)
    order_id: Mapped[str] = mapped_column(ForeignKey("orders.id"), unique=True)
    prescribed_by: Mapped[str | None] = mapped_column(String(200))
    prescribed_on: Mapped[date | None] = mapped_column(Date)
    right_sphere: Mapped[Decimal] = mapped_column(Numeric(5, 2))
    right_cylinder: Mapped[Decimal] = mapped_column(Numeric(5, 2), default=Decimal("0"))
    right_axis: Mapped[int | None] = mapped_column(Integer)
    right_addition: Mapped[Decimal | None] = mapped_column(Numeric(4, 2))
    right_pd: Mapped[Decimal] = mapped_column(Numeric(4, 1))
    left_sphere: Mapped[Decimal] = mapped_column(Numeric(5, 2))
    left_cylinder: Mapped[Decimal] = mapped_column(Numeric(5, 2), default=Decimal("0"))
    left_axis: Mapped[int | None] = mapped_column(Integer)
    left_addition: Mapped[Decimal | None] = mapped_column(Numeric(4, 2))
    left_pd: Mapped[Decimal] = mapped_column(Numeric(4, 1))

    order: Mapped[Order] = relationship(back_populates="prescription")


class FrameReservation(Base):
    """A frame held for an order; released when the order is cancelled or the lab rejects it."""

    __tablename__ = "frame_reservations"

    id: Mapped[str] = mapped_column(ID, primary_key=True, default=new_id)
    order_id: Mapped[str] = mapped_column(ForeignKey("orders.id"), unique=True)
    frame_id: Mapped[str] = mapped_column(ForeignKey("frames.id"), index=True)
    status: Mapped[ReservationStatus] = mapped_column(enum_column(ReservationStatus), default=ReservationStatus.ACTIVE)
    reserved_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    released_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    release_reason: Mapped[str | None] = mapped_column(String(200))
