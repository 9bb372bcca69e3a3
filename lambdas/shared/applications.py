"""Onboarding applications as the front desk submits them, and the front desk's answers.

The API's side of client onboarding: validated input, storing the application idempotently,
claiming a waiting step's token for an answer, and erasure. The workflow's own steps are in
``lambdas.shared.onboarding``.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from datetime import date
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, EmailStr, Field, StringConstraints, ValidationInfo, field_validator

from lambdas.shared.db.models.base import new_id
from lambdas.shared.db.models.clients import Client, EligibilityEvidence
from lambdas.shared.db.types import utcnow
from lambdas.shared.db.unit_of_work import UnitOfWork
from lambdas.shared.domain import CONSENT_TEXT_VERSION, ClientStatus, EvidenceStatus, EvidenceType, Language, WaitingFor
from lambdas.shared.errors import Conflict, NotFound
from lambdas.shared.normalize import email_key, fold, phone_key, search_name

MAX_AGE_YEARS = 120
OPEN_STATUSES = (ClientStatus.PENDING, ClientStatus.AWAITING_REVIEW, ClientStatus.AWAITING_DOCUMENTS)

Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]


class _Input(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class PostalAddress(_Input):
    line1: Text
    line2: Text | None = None
    postal_code: Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^[0-9A-Za-z -]{2,16}$")]
    city: Name


class Consents(_Input):
    data_processing: bool = Field(description="required: the person agrees to their data being processed")
    sms: bool = Field(False, description="the person agrees to be contacted by SMS")

    @field_validator("data_processing")
    @classmethod
    def _required(cls, value: bool) -> bool:
        if not value:
            raise ValueError("consent to data processing is required to onboard a client")
        return value


class Evidence(_Input):
    type: EvidenceType
    reference: Text | None = Field(None, validate_default=True)
    expires_on: date | None = None

    @field_validator("reference")
    @classmethod
    def _reference_unless_none_yet(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is None and info.data.get("type") not in (None, EvidenceType.NONE_YET):
            raise ValueError("a reference is required for this type of evidence")
        return value


class Documents(_Input):
    """The evidence the front desk received for a client waiting for documents."""

    type: Literal[EvidenceType.SOCIAL_BENEFIT_CERTIFICATE, EvidenceType.INCOME_STATEMENT, EvidenceType.REFERRAL_LETTER]
    reference: Text
    expires_on: date | None = None
    rejected_reason: Text | None = Field(None, description="set when the document was checked and refused")


class Application(_Input):
    """What the front desk submits to onboard a person."""

    first_name: Name
    last_name: Name
    birth_date: date
    phone: Annotated[str, StringConstraints(strip_whitespace=True, max_length=32)] | None = None
    email: EmailStr | None = Field(None, validate_default=True)
    address: PostalAddress
    language: Language
    consents: Consents
    evidence: Evidence | None = None
    emergency_first_visit: bool = Field(False, description="allow a first emergency visit without documents")

    @field_validator("first_name", "last_name")
    @classmethod
    def _has_letters(cls, value: str) -> str:
        if not any(character.isalpha() for character in value):
            raise ValueError("a name needs at least one letter")
        return value

    @field_validator("birth_date")
    @classmethod
    def _plausible(cls, value: date) -> date:
        today = date.today()
        if value > today:
            raise ValueError("the birth date is in the future")
        if today.year - value.year > MAX_AGE_YEARS:
            raise ValueError(f"the birth date gives an age over {MAX_AGE_YEARS}")
        return value

    @field_validator("phone")
    @classmethod
    def _phone(cls, value: str | None) -> str | None:
        if value is None:
            return None
        if not re.fullmatch(r"\+?[\d\s().-]+", value) or not 6 <= len(re.sub(r"\D", "", value)) <= 15:
            raise ValueError("a phone number has 6 to 15 digits, optionally a leading +")
        return value

    @field_validator("email")
    @classmethod
    def _a_way_to_reach(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is None and not info.data.get("phone"):
            raise ValueError("give a phone number or an email address (at least one)")
        return value

    def fingerprint(self) -> str:
        """The same application gives the same fingerprint, whatever the JSON key order."""
        canonical = json.dumps(self.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(canonical.encode()).hexdigest()


# --- receiving the application -------------------------------------------------------------------------


@dataclass(frozen=True)
class Received:
    client_id: str
    created: bool


class IdempotencyKeyReused(Conflict):
    """The Idempotency-Key was used for a different application."""


class ConcurrentSubmission(Exception):
    """Another request is storing the same application right now: look it up again."""


def receive_application(uow: UnitOfWork, application: Application, idempotency_key: str | None, actor: str) -> Received:
    """Store the application (personal data stays here) unless this key or body was seen before."""
    fingerprint = application.fingerprint()
    keys = [f"POST /clients key {actor} {idempotency_key}"] if idempotency_key else []  # a key is the caller's
    keys.append(f"POST /clients body {fingerprint}")
    for key in keys:
        record = uow.idempotency.get(key)
        if record is not None:
            if record.request_hash != fingerprint:
                raise IdempotencyKeyReused("this Idempotency-Key was already used for a different application")
            return Received(record.entity_id, created=False)
    client_id = new_id()
    for key in keys:
        if not uow.idempotency.claim(key, fingerprint, client_id):
            raise ConcurrentSubmission(key)
    uow.clients.add(_client_from(application, client_id, actor))
    if application.evidence is not None and application.evidence.type != EvidenceType.NONE_YET:
        uow.evidence.add(_evidence_from(application.evidence, client_id, actor))
    uow.audit(
        "client.application_received", "client", client_id, emergency_first_visit=application.emergency_first_visit
    )
    return Received(client_id, created=True)


def record_execution(uow: UnitOfWork, client_id: str, execution_arn: str) -> None:
    """Remember which execution onboards the client (for GET /clients/{id} and erasure)."""
    client = uow.clients.get(client_id)
    if client is not None and client.execution_arn != execution_arn:
        client.execution_arn = execution_arn


def _client_from(application: Application, client_id: str, actor: str) -> Client:
    return Client(
        id=client_id,
        status=ClientStatus.PENDING,
        first_name=application.first_name,
        last_name=application.last_name,
        birth_date=application.birth_date,
        phone=application.phone,
        email=application.email,
        address_line1=application.address.line1,
        address_line2=application.address.line2,
        postal_code=application.address.postal_code,
        city=application.address.city,
        language=application.language,
        search_name=search_name(application.first_name, application.last_name),
        name_key=_name_key(application.first_name, application.last_name),
        phone_key=phone_key(application.phone),
        email_key=email_key(application.email),
        emergency_first_visit=application.emergency_first_visit,
        application={
            "consents": application.consents.model_dump(),
            "consent_text_version": CONSENT_TEXT_VERSION,
            "channel": "front_desk",
            "recorded_by": actor,
            "recorded_at": utcnow().isoformat(),
        },
        created_by=actor,
    )


def _name_key(first_name: str, last_name: str) -> str:
    """What an exact duplicate shares: both names, folded, in their places."""
    return f"{fold(first_name)}|{fold(last_name)}"


def _evidence_from(evidence: Evidence | Documents, client_id: str, actor: str) -> EligibilityEvidence:
    rejected_reason = getattr(evidence, "rejected_reason", None)
    return EligibilityEvidence(
        id=new_id(),
        client_id=client_id,
        type=evidence.type,
        reference=evidence.reference,
        expires_on=evidence.expires_on,
        status=EvidenceStatus.REJECTED if rejected_reason else EvidenceStatus.RECEIVED,
        rejection_reason=rejected_reason,
        recorded_by=actor,
    )


# --- answers from the front desk ---------------------------------------------------------------


class NotWaiting(Conflict):
    """The application is not waiting for this answer."""


def claim_wait(uow: UnitOfWork, client_id: str, waiting_for: WaitingFor) -> str:
    """Take the task token of an application waiting for ``waiting_for``; a second answer finds none."""
    client = uow.clients.lock(client_id)
    if client is None:
        raise NotFound("client", client_id)
    if client.waiting_for != waiting_for or client.task_token is None:
        state = f"waiting for {client.waiting_for}" if client.waiting_for else f"{client.status}"
        raise NotWaiting(f"client {client_id} is not waiting for {waiting_for.replace('_', ' ')} (it is {state})")
    token = client.task_token
    client.task_token = client.waiting_for = None
    client.status = ClientStatus.PENDING
    return token


def record_review(uow: UnitOfWork, client_id: str, decision: str, actor: str) -> str:
    token = claim_wait(uow, client_id, WaitingFor.DUPLICATE_REVIEW)
    uow.audit("client.duplicate_reviewed", "client", client_id, decision=decision, reviewer=actor)
    return token


def record_documents(uow: UnitOfWork, client_id: str, documents: Documents, actor: str) -> tuple[str, str]:
    """Store the evidence received; the token resumes the eligibility check."""
    token = claim_wait(uow, client_id, WaitingFor.DOCUMENTS)
    evidence = _evidence_from(documents, client_id, actor)
    uow.evidence.add(evidence)
    uow.audit("client.documents_received", "client", client_id, evidence_id=evidence.id)
    return token, evidence.id


@dataclass(frozen=True)
class Erasure:
    client_id: str
    already_erased: bool


ERASED_NAME = "erased"


def erase_client(uow: UnitOfWork, client_id: str, actor: str) -> Erasure:
    """Replace the person's data, withdraw their consents, keep the anonymous row for the counts."""
    client = uow.clients.lock(client_id)
    if client is None:
        raise NotFound("client", client_id)
    if client.status == ClientStatus.ERASED:
        return Erasure(client_id, already_erased=True)
    now = utcnow()
    values: dict[str, Any] = {
        "first_name": ERASED_NAME,
        "last_name": ERASED_NAME,
        "birth_date": None,
        "phone": None,
        "email": None,
        "address_line1": None,
        "address_line2": None,
        "postal_code": None,
        "city": None,
        "search_name": "",
        "name_key": None,
        "phone_key": None,
        "email_key": None,
        "application": None,
        "task_token": None,
        "waiting_for": None,
        "status": ClientStatus.ERASED,
        "erased_at": now,
    }
    for name, value in values.items():
        setattr(client, name, value)
    uow.consents.withdraw_all(client_id, now)
    uow.evidence.forget_references(client_id)
    uow.notifications.cancel_pending(client_id)
    uow.idempotency.forget_entity(client_id)
    uow.audit("client.erased", "client", client_id, by=actor)
    return Erasure(client_id, already_erased=False)


def is_open(status: ClientStatus) -> bool:
    """Whether the client's onboarding execution may still be running."""
    return status in OPEN_STATUSES
