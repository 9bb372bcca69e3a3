"""Queries, one repository per aggregate. They flush but never commit: the unit of work does."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, or_, select, tuple_, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from lambdas.shared.db.models.clients import Client, ConsentRecord, EligibilityEvidence
from lambdas.shared.db.models.records import IdempotencyRecord, Notification
from lambdas.shared.domain import ClientStatus, ConsentPurpose, NotificationStatus

# Clients a new application may duplicate: everyone but applications that went nowhere.
NOT_DUPLICABLE = (ClientStatus.MERGED, ClientStatus.ERASED, ClientStatus.EXPIRED)


def _contains(value: str) -> str:
    escaped = value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


class ClientRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def get(self, client_id: str) -> Client | None:
        return self.session.get(Client, client_id)

    def lock(self, client_id: str) -> Client | None:
        """The client, its row locked until the transaction ends (MySQL; SQLite locks the database)."""
        return self.session.get(Client, client_id, with_for_update=True, populate_existing=True)

    def add(self, client: Client) -> None:
        self.session.add(client)

    def search(
        self, *, name: str | None, phone_digits: str | None, limit: int, after: tuple[str, str] | None
    ) -> list[Client]:
        """Clients whose folded name or phone contains the query, in (name, id) order after ``after``."""
        query = select(Client).where(Client.status != ClientStatus.ERASED)
        matches = []
        if name:
            matches.append(Client.search_name.like(_contains(name), escape="\\"))
        if phone_digits:
            matches.append(Client.phone_key.like(_contains(phone_digits), escape="\\"))
        if matches:
            query = query.where(or_(*matches))
        if after is not None:
            query = query.where(tuple_(Client.search_name, Client.id) > tuple_(*after))
        query = query.order_by(Client.search_name, Client.id).limit(limit)
        return list(self.session.scalars(query))

    def duplicate_candidates(self, client: Client) -> list[Client]:
        """Clients created before ``client`` sharing its phone, email or birth date.

        Only earlier ones: of two applications for the same person, the later one is the duplicate,
        whichever workflow looks first.
        """
        same = [Client.phone_key == client.phone_key] if client.phone_key else []
        same += [Client.email_key == client.email_key] if client.email_key else []
        same += [Client.birth_date == client.birth_date] if client.birth_date else []
        if not same:
            return []
        query = (
            select(Client)
            .where(or_(*same))
            .where(Client.id != client.id)
            .where(Client.status.not_in(NOT_DUPLICABLE))
            .where(tuple_(Client.created_at, Client.id) < tuple_(client.created_at, client.id))
            .order_by(Client.created_at, Client.id)
        )
        return list(self.session.scalars(query))


class EvidenceRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, evidence: EligibilityEvidence) -> None:
        self.session.add(evidence)

    def latest(self, client_id: str) -> EligibilityEvidence | None:
        query = (
            select(EligibilityEvidence)
            .where(EligibilityEvidence.client_id == client_id)
            .order_by(EligibilityEvidence.received_at.desc(), EligibilityEvidence.id.desc())
            .limit(1)
        )
        return self.session.scalars(query).first()

    def forget_references(self, client_id: str) -> None:
        self.session.execute(
            update(EligibilityEvidence).where(EligibilityEvidence.client_id == client_id).values(reference=None)
        )


class ConsentRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def of(self, client_id: str) -> dict[ConsentPurpose, ConsentRecord]:
        records = self.session.scalars(select(ConsentRecord).where(ConsentRecord.client_id == client_id))
        return {record.purpose: record for record in records}

    def add(self, record: ConsentRecord) -> None:
        self.session.add(record)

    def withdraw_all(self, client_id: str, when: datetime) -> None:
        self.session.execute(
            update(ConsentRecord)
            .where(ConsentRecord.client_id == client_id, ConsentRecord.withdrawn_at.is_(None))
            .values(withdrawn_at=when)
        )


class NotificationRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def by_dedup_key(self, dedup_key: str) -> Notification | None:
        return self.session.scalars(select(Notification).where(Notification.dedup_key == dedup_key)).first()

    def add(self, notification: Notification) -> None:
        self.session.add(notification)

    def cancel_pending(self, client_id: str) -> None:
        self.session.execute(
            update(Notification)
            .where(Notification.client_id == client_id, Notification.status == NotificationStatus.PENDING)
            .values(status=NotificationStatus.CANCELLED)
        )


class IdempotencyRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def get(self, key: str) -> IdempotencyRecord | None:
        return self.session.get(IdempotencyRecord, key, populate_existing=True)

    def claim(self, key: str, request_hash: str, entity_id: str) -> bool:
        """Record ``key``; False if another request holds it already (it may have just committed)."""
        try:
            with self.session.begin_nested():
                self.session.add(IdempotencyRecord(key=key, request_hash=request_hash, entity_id=entity_id))
        except IntegrityError:
            return False
        return True

    def forget_entity(self, entity_id: str) -> None:
        self.session.execute(delete(IdempotencyRecord).where(IdempotencyRecord.entity_id == entity_id))
