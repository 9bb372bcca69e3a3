"""Glasses: each site's frames by SKU, prescriptions as immutable versions, orders and their events,
and the outbox of lens orders sent to the lab."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
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
from lambdas.shared.domain import FrameKind, OrderStatus
from lambdas.shared.fields import NAME_LENGTH, SKU_LENGTH, TEXT_LENGTH

REFERENCE_LENGTH = 64  # the lab's own reference for an order


class FrameStock(Timestamps, Base):
    """How many frames of one SKU a site has on its shelf, not reserved: never below zero."""

    __tablename__ = "frame_stock"
    __table_args__ = (CheckConstraint("quantity >= 0", name="quantity_not_negative"),)

    site_id: Mapped[str] = mapped_column(ForeignKey("sites.id"), primary_key=True)
    sku: Mapped[str] = mapped_column(String(SKU_LENGTH), primary_key=True)
    description: Mapped[str] = mapped_column(String(TEXT_LENGTH))
    kind: Mapped[FrameKind] = mapped_column(enum_column(FrameKind))
    quantity: Mapped[int] = mapped_column(Integer, default=0)
    configured_by: Mapped[str] = mapped_column(String(128))


class Prescription(Base):
    """One version of a client's prescription, never changed: a correction is a new version (and a
    new order). Health data: erasure deletes the row."""

    __tablename__ = "prescriptions"
    __table_args__ = (UniqueConstraint("client_id", "version"),)

    id: Mapped[str] = mapped_column(ID, primary_key=True, default=new_id)
    client_id: Mapped[str] = mapped_column(ForeignKey("clients.id"))
    version: Mapped[int] = mapped_column(Integer)  # 1, 2, … per client
    rx: Mapped[dict[str, Any]] = mapped_column(JsonText)  # both eyes, distances, heights: decimals as text
    prescriber: Mapped[str] = mapped_column(String(NAME_LENGTH))
    written_on: Mapped[date] = mapped_column(Date)
    recorded_by: Mapped[str] = mapped_column(String(128))
    recorded_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class Order(WaitsForPerson, Timestamps, Base):
    """A pair of glasses for a client, from prescription to pickup. The row is the truth; the
    workflow follows it."""

    __tablename__ = "orders"
    __table_args__ = (Index(None, "site_id", "frame_sku", "status"),)

    id: Mapped[str] = mapped_column(ID, primary_key=True, default=new_id)
    client_id: Mapped[str] = mapped_column(ForeignKey("clients.id"), index=True)
    site_id: Mapped[str] = mapped_column(ForeignKey("sites.id"))
    prescription_id: Mapped[str | None] = mapped_column(ForeignKey("prescriptions.id"))  # None once erased
    frame_sku: Mapped[str] = mapped_column(String(SKU_LENGTH))
    lens: Mapped[dict[str, Any]] = mapped_column(JsonText)  # type, material, coatings
    status: Mapped[OrderStatus] = mapped_column(enum_column(OrderStatus), default=OrderStatus.RECEIVED)
    frame_reserved: Mapped[bool] = mapped_column(Boolean, default=False)  # one taken from the site's stock
    lenses_mounted: Mapped[bool] = mapped_column(Boolean, default=False)  # the frame is fitted: no way back to stock
    lab_attempt: Mapped[int] = mapped_column(Integer, default=0)  # lens orders sent: 1, then one per remake
    lab_started_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    lab_status: Mapped[str | None] = mapped_column(String(32))  # what the lab said last
    lab_reference: Mapped[str | None] = mapped_column(String(REFERENCE_LENGTH))
    lab_expected_on: Mapped[date | None] = mapped_column(Date)
    reason: Mapped[str | None] = mapped_column(String(TEXT_LENGTH))  # why it was cancelled or rejected
    created_by: Mapped[str] = mapped_column(String(128))
    execution_arn: Mapped[str | None] = mapped_column(ARN)
    ready_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class OrderEvent(Base):
    """Append-only: what happened to an order, by whom — including the escalations managers follow."""

    __tablename__ = "order_events"
    __table_args__ = (Index(None, "order_id"), Index(None, "kind", "at"))

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    order_id: Mapped[str] = mapped_column(ForeignKey("orders.id"))
    kind: Mapped[str] = mapped_column(String(32))
    actor: Mapped[str] = mapped_column(String(128))
    at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    details: Mapped[dict[str, Any]] = mapped_column(JsonText, default=dict)


class LabSubmission(Base):
    """The outbox of lens orders: one row per order and attempt, written by the workflow, handed to
    the lab by its adapter."""

    __tablename__ = "lab_submissions"

    order_id: Mapped[str] = mapped_column(ForeignKey("orders.id"), primary_key=True)
    attempt: Mapped[int] = mapped_column(Integer, primary_key=True)
    remake_reason: Mapped[str | None] = mapped_column(String(TEXT_LENGTH))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    handed_over_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
