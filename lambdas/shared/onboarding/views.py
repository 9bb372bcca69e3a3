"""Reading clients: the views the API returns, and search with keyset pagination."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING

from pydantic import Field

from lambdas.shared.cursor import decode, encode
from lambdas.shared.db.unit_of_work import UnitOfWork
from lambdas.shared.domain import (
    WAIT_LIMIT,
    BirthDateQuality,
    ClientStatus,
    ConsentPurpose,
    DuplicateMatch,
    HousingSituation,
    WaitingFor,
)
from lambdas.shared.errors import NotFound
from lambdas.shared.model import Model
from lambdas.shared.normalize import fold
from lambdas.shared.phones import search_digits

if TYPE_CHECKING:  # tables are mapped on first use (lambdas/shared/db/unit_of_work.py)
    from lambdas.shared.db.clients.models import Client, ConsentRecord


class Address(Model):
    care_of: str | None = None
    line1: str | None = None
    line2: str | None = None
    postal_code: str | None = None
    city: str | None = None


class ClientSummary(Model):
    client_id: str
    status: ClientStatus
    first_name: str
    last_name: str
    birth_date: date | None
    birth_date_quality: BirthDateQuality | None = Field(description="none once erased")
    phone: str | None = Field(description="E.164")
    site_id: str | None = Field(None, description="where the application was taken")
    waiting_for: str | None = Field(None, description="what the onboarding waits for, if anything")
    wait_expires_at: datetime | None = Field(
        None, description="when that wait ends the application unanswered (7 days for a review, 30 for documents)"
    )
    flagged_match_of: str | None = Field(
        None, description="a correction made this client's phone or e-mail the same as this client's: to review"
    )
    flagged_match: DuplicateMatch | None = None

    @classmethod
    def of(cls, client: Client) -> ClientSummary:
        return cls(
            client_id=client.id,
            status=client.status,
            first_name=client.first_name,
            last_name=client.last_name,
            birth_date=client.birth_date,
            birth_date_quality=client.birth_date_quality,
            phone=client.phone,
            site_id=client.site_id,
            waiting_for=client.waiting_for,
            wait_expires_at=_wait_expires_at(client),
            flagged_match_of=client.flagged_match_of_id,
            flagged_match=client.flagged_match,
        )


def _wait_expires_at(client: Client) -> datetime | None:
    if client.waiting_for is None or client.waiting_since is None:
        return None
    return client.waiting_since + WAIT_LIMIT[WaitingFor(client.waiting_for)]


class ConsentView(Model):
    purpose: ConsentPurpose
    granted: bool
    text_version: str = Field(description="the wording the person agreed to, or withdrew")
    channel: str
    recorded_by: str
    recorded_at: datetime
    withdrawn_at: datetime | None

    @classmethod
    def of(cls, record: ConsentRecord) -> ConsentView:
        return cls(
            purpose=record.purpose,
            granted=record.granted and record.withdrawn_at is None,
            text_version=record.text_version,
            channel=record.channel,
            recorded_by=record.recorded_by,
            recorded_at=record.recorded_at,
            withdrawn_at=record.withdrawn_at,
        )


class ClientDetail(ClientSummary):
    email: str | None
    housing_situation: HousingSituation | None = Field(description="none once erased")
    address: Address
    language: str
    outcome_reason: str | None = Field(None, description="why it is ineligible, incomplete, expired, ...")
    duplicate_of: str | None = Field(None, description="the client this application looks like")
    duplicate_match: DuplicateMatch | None = Field(None, description="why it looks like it: the rule that matched")
    consents: list[ConsentView] = Field(
        default_factory=list, description="once registered (or recorded since): given, withdrawn, and by whom"
    )
    merged_into: str | None = Field(None, description="the client this application was merged into")
    emergency_first_visit: bool = False
    execution_arn: str | None = Field(None, description="the onboarding execution (Step Functions)")
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, client: Client) -> ClientDetail:
        return cls(
            **ClientSummary.of(client).model_dump(),
            email=client.email,
            housing_situation=client.housing_situation,
            address=Address(
                care_of=client.address_care_of,
                line1=client.address_line1,
                line2=client.address_line2,
                postal_code=client.postal_code,
                city=client.city,
            ),
            language=client.language,
            outcome_reason=client.outcome_reason,
            duplicate_of=client.duplicate_of_id,
            duplicate_match=client.duplicate_match,
            consents=[ConsentView.of(record) for record in sorted(client.consents, key=lambda r: r.purpose)],
            merged_into=client.merged_into_id,
            emergency_first_visit=client.emergency_first_visit,
            execution_arn=client.execution_arn,
            created_at=client.created_at,
            updated_at=client.updated_at,
        )


class ClientPage(Model):
    items: list[ClientSummary]
    next_cursor: str | None = Field(None, description="pass as `cursor` to get the next page")


def get_client(uow: UnitOfWork, client_id: str) -> ClientDetail:
    client = uow.clients.get(client_id)
    if client is None:
        raise NotFound("client", client_id)
    return ClientDetail.of(client)


@dataclass(frozen=True)
class Filters:
    """What a work list or a search narrows clients to, besides the words searched."""

    birth_year: int | None = None
    status: ClientStatus | None = None
    site_id: str | None = None
    flagged: bool = False


def search_clients(
    uow: UnitOfWork, q: str | None, limit: int, cursor: str | None, filters: Filters = Filters()
) -> ClientPage:
    """Clients whose name (accents and case ignored) or phone number contains ``q``, narrowed by
    ``filters``."""
    name, phone_digits = _search_terms(q)
    after = decode(cursor, 2) if cursor else None
    clients = uow.clients.search(
        name=name,
        phone_digits=phone_digits,
        birth_year=filters.birth_year,
        status=filters.status,
        site_id=filters.site_id,
        flagged=filters.flagged,
        limit=limit + 1,
        after=after,
    )
    page, more = clients[:limit], len(clients) > limit
    next_cursor = encode(page[-1].search_name, page[-1].id) if more else None
    return ClientPage(items=[ClientSummary.of(client) for client in page], next_cursor=next_cursor)


def _search_terms(q: str | None) -> tuple[str | None, str | None]:
    if not q or not q.strip():
        return None, None
    digits = search_digits(q)
    if digits is not None:
        return None, digits
    return fold(q), None
