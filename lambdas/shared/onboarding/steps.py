"""Client onboarding: every step of its workflow (the application itself is in ``intake``).

Each function does its work in the caller's unit of work and is safe to run twice with the same
arguments (retries, redrives): it reads the current state and only moves it forward.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Final, Literal

from lambdas.shared import notify, waiting
from lambdas.shared.clock import utcnow
from lambdas.shared.db.base import new_id
from lambdas.shared.db.unit_of_work import UnitOfWork
from lambdas.shared.domain import (
    ADDRESS_COLUMNS,
    CONSENT_TEXT_VERSION,
    WAITING_STATUS,
    BirthDateQuality,
    ClientStatus,
    ConsentPurpose,
    DuplicateMatch,
    EvidenceStatus,
    EvidenceType,
    NotificationChannel,
    WaitingFor,
)
from lambdas.shared.errors import ClientErased, Conflict, NotFound
from lambdas.shared.normalize import fold

if TYPE_CHECKING:  # tables are mapped on first use (lambdas/shared/db/unit_of_work.py)
    from lambdas.shared.db.clients.models import Client

# --- the workflow's steps (tasks) --------------------------------------------------------------------


def _open_client(uow: UnitOfWork, client_id: str) -> Client:
    client = uow.clients.lock(client_id)
    if client is None:
        raise NotFound("client", client_id)
    if client.status == ClientStatus.ERASED:
        raise ClientErased(f"client {client_id} was erased; its onboarding cannot go on")
    return client


@dataclass(frozen=True)
class DuplicateFinding:
    client_id: str
    match: DuplicateMatch


DUPLICATE_CHECK = "duplicate-check"


def find_duplicate(uow: UnitOfWork, client_id: str, execution: str | None = None) -> DuplicateFinding | None:
    """The first client this application looks like, recorded on the application.

    Comparisons run one at a time, each against the applications compared before it: two
    applications for one person stored at the same moment cannot miss each other.

    The first step also records its ``execution`` on the application if the API could not (the
    database dropped between starting the execution and storing its ARN).
    """
    uow.serialise(DUPLICATE_CHECK)
    client = _open_client(uow, client_id)
    if execution is not None and client.execution_arn is None:
        client.execution_arn = execution
    if client.duplicate_of_id is not None:  # found on an earlier run of this step
        assert client.duplicate_match is not None  # stored with it
        return DuplicateFinding(client.duplicate_of_id, DuplicateMatch(client.duplicate_match))
    if client.duplicate_checked_at is not None:  # compared on an earlier run: nothing was found then
        return None
    client.duplicate_checked_at = utcnow()
    for candidate in uow.clients.duplicate_candidates(client):
        match = _match(client, candidate)
        if match is not None:
            client.duplicate_of_id, client.duplicate_match = candidate.id, match
            uow.audit("client.duplicate_suspected", "client", client.id, duplicate_of=candidate.id, match=match)
            return DuplicateFinding(candidate.id, match)
    return None


def _match(client: Client, candidate: Client) -> DuplicateMatch | None:
    if client.phone and client.phone == candidate.phone:
        return DuplicateMatch.PHONE
    if client.email_key and client.email_key == candidate.email_key:
        return DuplicateMatch.EMAIL
    if client.birth_date is None or candidate.birth_date is None:
        return None
    if client.birth_date_quality == candidate.birth_date_quality == BirthDateQuality.EXACT:
        if client.birth_date != candidate.birth_date:
            return None
        exact, similar = DuplicateMatch.NAME_AND_BIRTH_DATE, DuplicateMatch.SIMILAR_NAME_AND_BIRTH_DATE
    else:  # an approximate date: the same year is as close as two dates can be compared
        if client.birth_date.year != candidate.birth_date.year:
            return None
        exact, similar = DuplicateMatch.NAME_AND_BIRTH_YEAR, DuplicateMatch.SIMILAR_NAME_AND_BIRTH_YEAR
    if client.name_key == candidate.name_key:
        return exact
    if _similar_names(client, candidate):
        return similar
    return None


def _name_tokens(client: Client) -> str:
    """The letters of both names, in word order-independent form: swapped or hyphenated names agree."""
    return " ".join(sorted(_full_name(client).split()))


def _full_name(client: Client) -> str:
    return f"{fold(client.first_name)} {fold(client.last_name)}"


def _similar_names(client: Client, candidate: Client) -> bool:
    """The same words in any order, or one typo away, the names in their places or swapped."""
    if _name_tokens(client) == _name_tokens(candidate):
        return True
    mine = _full_name(client)
    theirs = (_full_name(candidate), f"{fold(candidate.last_name)} {fold(candidate.first_name)}")
    return len(mine) >= 8 and any(len(name) >= 8 and _within_one_edit(mine, name) for name in theirs)


def _within_one_edit(first: str, second: str) -> bool:
    """One letter typed wrong, added or missing, or two neighbours swapped."""
    if abs(len(first) - len(second)) > 1:
        return False
    if len(first) == len(second):
        differences = [i for i, (a, b) in enumerate(zip(first, second, strict=True)) if a != b]
        if len(differences) <= 1:
            return True
        i, j = differences[0], differences[-1]
        return len(differences) == 2 and j == i + 1 and (first[i], first[j]) == (second[j], second[i])
    shorter, longer = sorted((first, second), key=len)
    return any(longer[:i] + longer[i + 1 :] == shorter for i in range(len(longer)))


def await_decision(uow: UnitOfWork, client_id: str, waiting_for: WaitingFor, token: str) -> None:
    """Park the application until a person answers; the token is what the API resumes it with."""
    client = _open_client(uow, client_id)
    client.status = WAITING_STATUS[waiting_for]
    if client.waiting_for != waiting_for:  # a retry of this step keeps when the wait began
        client.waiting_since = utcnow()
    waiting.park(client, waiting_for, token)
    uow.audit("client.waiting", "client", client_id, waiting_for=waiting_for)


@dataclass(frozen=True)
class Merge:
    client_id: str  # the existing client
    erased: bool  # the existing client had been erased: so is the application now


def merge_into_existing(uow: UnitOfWork, client_id: str) -> Merge:
    """The reviewer said it is the same person: the application ends as part of the existing client.

    The existing client's empty contact details are filled from the application, never overwritten.
    Merging into a client erased meanwhile erases the application too: it is the same person.
    """
    client = _open_client(uow, client_id)
    if client.duplicate_of_id is None:
        raise Conflict(f"client {client_id} has no suspected duplicate to merge into")
    existing = uow.clients.lock(client.duplicate_of_id)
    if existing is None:
        raise NotFound("client", client.duplicate_of_id)
    if client.status != ClientStatus.MERGED:
        client.status, client.merged_into_id = ClientStatus.MERGED, existing.id
        client.waiting_for = client.task_token = None
        if existing.status != ClientStatus.ERASED:
            filled = _fill_contact_details(existing, client)
            uow.audit("client.merged", "client", client_id, merged_into=existing.id, filled=filled)
    if existing.status == ClientStatus.ERASED:
        # imported here: erasure cancels orders, whose tables no other onboarding step maps
        from lambdas.shared.erasure import erase_client

        erase_client(uow, existing.id)  # reaches this application, merged into it above
        return Merge(existing.id, erased=True)
    return Merge(existing.id, erased=False)


def _fill_contact_details(existing: Client, application: Client) -> list[str]:
    """Copy what ``existing`` lacks from ``application``; the names of what was filled (no values)."""
    filled = []
    if not existing.phone and application.phone:
        existing.phone = application.phone
        filled.append("phone")
    if not existing.email and application.email:
        existing.email, existing.email_key = application.email, application.email_key
        filled.append("email")
    if not existing.address_line1 and application.address_line1:
        for column in ADDRESS_COLUMNS:  # an address and the housing situation it belongs to go together
            setattr(existing, column, getattr(application, column))
        filled.append("address")
    return filled


def close_application(uow: UnitOfWork, client_id: str, outcome: Literal["expired", "incomplete"]) -> None:
    """Nobody answered in time: the application ends with this outcome."""
    client = _open_client(uow, client_id)
    status = ClientStatus(outcome)
    if client.status != status:
        client.status, client.waiting_for, client.task_token = status, None, None
        reason = "no duplicate review within 7 days" if outcome == "expired" else "no documents within 30 days"
        client.outcome_reason = reason
        uow.audit(f"client.{outcome}", "client", client_id)


def register_client(uow: UnitOfWork, client_id: str) -> None:
    """The person is a new client: record their consents (once) and the registration time."""
    client = _open_client(uow, client_id)
    application = client.application or {}
    from lambdas.shared.db.clients.models import ConsentRecord

    existing = uow.consents.of(client_id)
    for purpose, granted in (application.get("consents") or {}).items():
        if ConsentPurpose(purpose) in existing:
            continue
        uow.consents.add(
            ConsentRecord(
                id=new_id(),
                client_id=client_id,
                purpose=ConsentPurpose(purpose),
                granted=bool(granted),
                text_version=application.get("consent_text_version", CONSENT_TEXT_VERSION),
                channel=application.get("channel", "front_desk"),
                recorded_by=application.get("recorded_by", client.created_by),
            )
        )
    if client.registered_at is None:
        client.registered_at = utcnow()
        client.status, client.waiting_for, client.task_token = ClientStatus.PENDING, None, None
        uow.audit("client.registered", "client", client_id)


IneligibleCode = Literal["evidence_rejected", "evidence_expired"]


@dataclass(frozen=True)
class Eligibility:
    outcome: Literal["eligible", "documents_missing", "ineligible"]
    reason: str | None = None  # in words, for the client's record (it may quote a person's note)
    code: IneligibleCode | None = None  # the only reason an execution sees


def check_eligibility(uow: UnitOfWork, client_id: str, today: date | None = None) -> Eligibility:
    """Decide from the latest evidence; an ineligible client is recorded as such with the reason.

    The reason in words stays in the database (erasable); the execution gets its code only: a
    rejection note is free text, and execution history cannot be erased."""
    client = _open_client(uow, client_id)
    evidence = uow.evidence.latest(client_id)
    today = today or date.today()
    if evidence is None or evidence.type == EvidenceType.NONE_YET:
        if not client.emergency_first_visit:
            return Eligibility("documents_missing")
        reason = "first emergency visit allowed without documents"
        client.outcome_reason = reason
        uow.audit("client.emergency_first_visit_allowed", "client", client_id)
        return Eligibility("eligible", reason)
    code: IneligibleCode
    if evidence.status == EvidenceStatus.REJECTED:
        reason, code = f"evidence rejected: {evidence.rejection_reason}", "evidence_rejected"
    elif evidence.expires_on is not None and evidence.expires_on < today:
        reason, code = f"evidence expired on {evidence.expires_on.isoformat()}", "evidence_expired"
    else:
        evidence.status = EvidenceStatus.ACCEPTED
        return Eligibility("eligible")
    if evidence.status != EvidenceStatus.REJECTED:
        evidence.status = EvidenceStatus.EXPIRED
    client.status, client.outcome_reason = ClientStatus.INELIGIBLE, reason
    client.waiting_for = client.task_token = None
    uow.audit("client.ineligible", "client", client_id, evidence_id=evidence.id, evidence_status=evidence.status)
    return Eligibility("ineligible", reason, code)


IN_PERSON: Final = notify.IN_PERSON


@dataclass(frozen=True)
class Activation:
    client_id: str
    welcome: NotificationChannel | Literal["in_person"]


def activate_client(uow: UnitOfWork, client_id: str) -> Activation:
    """Activate, and queue the welcome message in the client's language (once, whatever the retries).

    SMS with consent, else email; a person with neither is welcomed at the desk: that is recorded
    in the audit trail, and nothing is sent.
    """
    client = _open_client(uow, client_id)
    if client.status != ClientStatus.ACTIVE:
        client.status, client.waiting_for, client.task_token = ClientStatus.ACTIVE, None, None
        uow.audit("client.activated", "client", client_id)
        if notify.channel_for(uow, client) is None:
            uow.audit("client.welcomed_in_person", "client", client_id)
    channel = notify.queue_message(uow, client, "welcome", f"welcome:{client_id}", {"client_id": client_id})
    return Activation(client_id, channel or IN_PERSON)
