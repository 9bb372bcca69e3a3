"""Frames on the shelf, orders, their prescriptions, events and lab submissions."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import Any

from sqlalchemy import and_, delete, func, or_, select, update
from sqlalchemy.orm import Session

from lambdas.shared.db.orders.models import FrameStock, LabSubmission, Order, OrderEvent, Prescription
from lambdas.shared.db.rows import lock_or_create, rowcount
from lambdas.shared.domain import ORDER_ENDED, OrderStatus


class FrameRepository:
    """A site's frames by SKU. Counts change in one statement each: never a lost update."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def get(self, site_id: str, sku: str) -> FrameStock | None:
        return self.session.get(FrameStock, (site_id, sku), populate_existing=True)

    def lock_or_create(self, site_id: str, sku: str, description: str, kind: str, actor: str) -> FrameStock:
        row = FrameStock(site_id=site_id, sku=sku, description=description, kind=kind, quantity=0, configured_by=actor)
        return lock_or_create(self.session, row)

    def of_site(self, site_id: str) -> list[FrameStock]:
        return list(
            self.session.scalars(select(FrameStock).where(FrameStock.site_id == site_id).order_by(FrameStock.sku))
        )

    def add(self, site_id: str, sku: str, quantity: int) -> bool:
        """``quantity`` more (fewer, when negative); False when the site has no such SKU."""
        return self._change(site_id, sku, quantity, at_least=None)

    def take_one(self, site_id: str, sku: str) -> bool:
        """One fewer, if one is left: False when none is (or there is no such SKU)."""
        return self._change(site_id, sku, -1, at_least=1)

    def _change(self, site_id: str, sku: str, by: int, at_least: int | None) -> bool:
        where = [FrameStock.site_id == site_id, FrameStock.sku == sku]
        if at_least is not None:
            where.append(FrameStock.quantity >= at_least)
        changed = self.session.execute(
            update(FrameStock)
            .where(*where)
            .values(quantity=FrameStock.quantity + by)
            .execution_options(synchronize_session=False)
        )
        return rowcount(changed) == 1


class OrderRepository:
    """Orders, their prescriptions, events and lab submissions."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def get(self, order_id: str) -> Order | None:
        return self.session.get(Order, order_id)

    def lock(self, order_id: str) -> Order | None:
        """The order, its row locked until the transaction ends: one change at a time."""
        return self.session.get(Order, order_id, with_for_update=True, populate_existing=True)

    def add(self, row: Any) -> None:
        self.session.add(row)
        self.session.flush()

    def prescription(self, prescription_id: str | None) -> Prescription | None:
        return None if prescription_id is None else self.session.get(Prescription, prescription_id)

    def next_prescription_version(self, client_id: str) -> int:
        """The client's next version number (the caller holds the client's row lock)."""
        query = select(func.max(Prescription.version)).where(Prescription.client_id == client_id)
        return (self.session.execute(query).scalar_one() or 0) + 1

    def park(self, order_id: str, status: str, waiting_for: str, token: str) -> bool:
        """``waiting.park`` in one statement, for the order still in ``status`` (see ``QueueRepository.park``)."""
        parked = self.session.execute(
            update(Order)
            .where(Order.id == order_id, Order.status == status, Order.task_token.is_distinct_from(token))
            .values(waiting_for=waiting_for, task_token=token)
            .execution_options(synchronize_session=False)
        )
        return rowcount(parked) == 1

    def awaiting_frame(self, site_id: str, sku: str) -> list[str]:
        """The ids of the orders waiting for this frame, oldest first, read without locking any."""
        query = (
            select(Order.id)
            .where(Order.site_id == site_id, Order.frame_sku == sku, Order.status == OrderStatus.AWAITING_FRAME)
            .order_by(Order.created_at, Order.id)
        )
        return list(self.session.scalars(query))

    def record(self, event: OrderEvent) -> None:
        self.session.add(event)

    def events(self, order_id: str) -> list[OrderEvent]:
        query = select(OrderEvent).where(OrderEvent.order_id == order_id).order_by(OrderEvent.id)
        return list(self.session.scalars(query))

    def count_events(self, order_id: str, kind: str) -> int:
        query = select(func.count()).where(OrderEvent.order_id == order_id, OrderEvent.kind == kind)
        return self.session.execute(query).scalar_one()

    def submission(self, order_id: str, attempt: int) -> LabSubmission | None:
        return self.session.get(LabSubmission, (order_id, attempt))

    def search(
        self,
        client_id: str | None,
        status: str | None,
        limit: int,
        after: tuple[datetime, str] | None = None,
        site_id: str | None = None,
    ) -> list[Order]:
        """Newest first; ``after``: the (created_at, id) of the previous page's last order."""
        query = select(Order)
        if client_id is not None:
            query = query.where(Order.client_id == client_id)
        if site_id is not None:
            query = query.where(Order.site_id == site_id)
        if status is not None:
            query = query.where(Order.status == status)
        if after is not None:
            created_at, order_id = after
            query = query.where(
                or_(Order.created_at < created_at, and_(Order.created_at == created_at, Order.id > order_id))
            )
        return list(self.session.scalars(query.order_by(Order.created_at.desc(), Order.id).limit(limit)))

    def open_of(self, client_ids: Collection[str]) -> list[Order]:
        """The clients' orders not over yet, locked."""
        query = (
            select(Order)
            .where(Order.client_id.in_(client_ids), Order.status.not_in(ORDER_ENDED))
            .order_by(Order.created_at, Order.id)
            .with_for_update()
        )
        return list(self.session.scalars(query))

    def forget_prescriptions(self, client_ids: Collection[str]) -> None:
        """The orders stay for the counts; their prescriptions (health data) and reasons go."""
        self.session.execute(
            update(Order).where(Order.client_id.in_(client_ids)).values(prescription_id=None, reason=None)
        )
        self.session.execute(delete(Prescription).where(Prescription.client_id.in_(client_ids)))
