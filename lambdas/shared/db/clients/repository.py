"""Clients, their proof of eligibility and their consents."""

from __future__ import annotations

from collections.abc import Collection
from datetime import date, datetime

from sqlalchemy import delete, or_, select, tuple_, update
from sqlalchemy.orm import Session

from lambdas.shared.db.clients.models import Client, ConsentRecord, EligibilityEvidence
from lambdas.shared.db.rows import containing
from lambdas.shared.domain import ClientStatus, ConsentPurpose

# Clients a new application may duplicate: everyone but applications that went nowhere.
NOT_DUPLICABLE = (ClientStatus.MERGED, ClientStatus.ERASED, ClientStatus.EXPIRED)


class ClientRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def get(self, client_id: str) -> Client | None:
        return self.session.get(Client, client_id)

    def get_one(self, client_id: str) -> Client:
        """A client another row names: there, since none is ever deleted."""
        return self.session.get_one(Client, client_id)

    def lock(self, client_id: str) -> Client | None:
        """The client, its row locked until the transaction ends (MySQL; SQLite locks the database)."""
        return self.session.get(Client, client_id, with_for_update=True, populate_existing=True)

    def add(self, client: Client) -> None:
        self.session.add(client)

    def search(
        self,
        *,
        name: str | None,
        phone_digits: str | None,
        birth_year: int | None = None,
        status: ClientStatus | None = None,
        site_id: str | None = None,
        flagged: bool = False,
        limit: int,
        after: tuple[str, str] | None,
    ) -> list[Client]:
        """Clients whose folded name or phone contains the query, born in ``birth_year`` when given
        (the whole year: a birth date may be approximate), in ``status``, taken at ``site_id``, or
        ``flagged`` by a correction for a review, in (name, id) order after ``after``."""
        query = select(Client).where(Client.status != ClientStatus.ERASED)
        if status is not None:
            query = query.where(Client.status == status)
        if site_id is not None:
            query = query.where(Client.site_id == site_id)
        if flagged:
            # an application waiting for its onboarding's review is answered there, not as a flag
            answerable = Client.status.not_in((ClientStatus.MERGED, ClientStatus.AWAITING_REVIEW))
            query = query.where(Client.flagged_match_of_id.is_not(None), answerable)
        matches = []
        if name:
            matches.append(Client.search_name.like(containing(name), escape="\\"))
        if phone_digits:
            matches.append(Client.phone.like(containing(phone_digits), escape="\\"))
        if matches:
            query = query.where(or_(*matches))
        if birth_year is not None:
            query = query.where(Client.birth_date.between(date(birth_year, 1, 1), date(birth_year, 12, 31)))
        if after is not None:
            query = query.where(tuple_(Client.search_name, Client.id) > tuple_(*after))
        query = query.order_by(Client.search_name, Client.id).limit(limit)
        return list(self.session.scalars(query))

    def duplicate_candidates(self, client: Client) -> list[Client]:
        """Clients compared before ``client`` sharing its phone, email or birth year.

        Only those already compared: of two applications for the same person, the one compared second
        is the duplicate, whichever was stored first (the comparisons run one at a time). The whole
        birth year, since either date may be approximate.
        """
        same = [Client.phone == client.phone] if client.phone else []
        same += [Client.email_key == client.email_key] if client.email_key else []
        if client.birth_date:
            year = client.birth_date.year
            same.append(Client.birth_date.between(date(year, 1, 1), date(year, 12, 31)))
        if not same:
            return []
        query = (
            select(Client)
            .where(or_(*same))
            .where(Client.id != client.id)
            .where(Client.status.not_in(NOT_DUPLICABLE))
            .where(Client.duplicate_checked_at.is_not(None))
            .order_by(Client.duplicate_checked_at, Client.id)
        )
        return list(self.session.scalars(query))

    def sharing(self, client: Client, contact: str) -> Client | None:
        """Another client in use with ``client``'s ``phone`` or ``email``, if any."""
        column, value = (Client.phone, client.phone) if contact == "phone" else (Client.email_key, client.email_key)
        if value is None:
            return None
        query = (
            select(Client)
            .where(column == value, Client.id != client.id, Client.status.not_in(NOT_DUPLICABLE))
            .order_by(Client.created_at, Client.id)
            .limit(1)
        )
        return self.session.scalars(query).first()

    def merged_into(self, client_id: str) -> list[Client]:
        """Every application merged into ``client_id``, directly or through another merged one; locked."""
        found: list[Client] = []
        targets = [client_id]
        while targets:
            query = select(Client).where(Client.merged_into_id.in_(targets)).with_for_update()
            merged = [client for client in self.session.scalars(query) if client not in found]
            found += merged
            targets = [client.id for client in merged]
        return found


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

    def remove(self, evidence_id: str) -> None:
        self.session.execute(delete(EligibilityEvidence).where(EligibilityEvidence.id == evidence_id))

    def forget(self, client_ids: Collection[str]) -> None:
        """Keep that documents were received, not what they said."""
        self.session.execute(
            update(EligibilityEvidence)
            .where(EligibilityEvidence.client_id.in_(client_ids))
            .values(reference=None, rejection_reason=None)
        )


class ConsentRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def of(self, client_id: str) -> dict[ConsentPurpose, ConsentRecord]:
        records = self.session.scalars(select(ConsentRecord).where(ConsentRecord.client_id == client_id))
        return {record.purpose: record for record in records}

    def add(self, record: ConsentRecord) -> None:
        self.session.add(record)

    def withdraw_all(self, client_ids: Collection[str], when: datetime) -> None:
        self.session.execute(
            update(ConsentRecord)
            .where(ConsentRecord.client_id.in_(client_ids), ConsentRecord.withdrawn_at.is_(None))
            .values(withdrawn_at=when)
        )
