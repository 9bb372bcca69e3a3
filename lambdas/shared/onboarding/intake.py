"""Onboarding applications as the front desk submits them, and the front desk's answers.

The API's side of client onboarding: validated input, storing the application idempotently (its
onboarding started in the same transaction), answering a waiting step. The workflow's own steps are
in ``steps``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, EmailStr, Field, StrictBool, ValidationInfo, field_validator

from lambdas.shared import signals, waiting
from lambdas.shared.clock import utcnow
from lambdas.shared.db.base import new_id
from lambdas.shared.db.unit_of_work import UnitOfWork
from lambdas.shared.domain import (
    CONSENT_TEXT_VERSION,
    KNOWN_BIRTH_DATE,
    WITH_ADDRESS,
    BirthDateQuality,
    ClientStatus,
    EvidenceStatus,
    EvidenceType,
    HousingSituation,
    Language,
    ReviewDecision,
    WaitingFor,
)
from lambdas.shared.errors import ConcurrentSubmission, IdempotencyKeyReused, InvalidField
from lambdas.shared.fields import (
    EMAIL_LENGTH,
    PHONE_INPUT_LENGTH,
    SLUG_PATTERN,
    IsoDate,
    Name,
    Reference,
    Text,
    digest,
)
from lambdas.shared.model import Model
from lambdas.shared.normalize import email_key, name_key, search_name
from lambdas.shared.onboarding.answers import DocumentsReceived, DuplicateReviewed
from lambdas.shared.parameters import IntakeParameters, read
from lambdas.shared.phones import InvalidPhoneNumber, to_e164
from lambdas.shared.stepfunctions import execution_arn_of
from workflows.client_onboarding import WORKFLOW as ONBOARDING

if TYPE_CHECKING:  # tables are mapped on first use (lambdas/shared/db/unit_of_work.py)
    from lambdas.shared.db.clients.models import Client, EligibilityEvidence

MAX_AGE_YEARS = 120

PHONE_PATTERN = r"^[0-9+()/ .-]*[0-9][0-9+()/ .-]*$"  # digits and the usual separators; validity is checked after


class _Input(Model):
    model_config = ConfigDict(extra="forbid", frozen=True)


class PostalAddress(_Input):
    care_of: Text | None = Field(
        None, description="with housing_situation care_of: the charity or social service that receives the mail"
    )
    line1: Text
    line2: Text | None = None
    postal_code: Annotated[str, Field(pattern=r"^\s*[0-9A-Za-z][0-9A-Za-z -]{1,15}\s*$")]
    city: Name

    @field_validator("postal_code")
    @classmethod
    def _strip(cls, value: str) -> str:
        return value.strip()


class Consents(_Input):
    data_processing: StrictBool = Field(
        description="must be true: the person agrees to their data being processed",
        json_schema_extra={"const": True},
    )
    sms: StrictBool = Field(False, description="the person agrees to be contacted by SMS")

    @field_validator("data_processing")
    @classmethod
    def _required(cls, value: bool) -> bool:
        if not value:
            raise ValueError("consent to data processing is required to onboard a client")
        return value


def _absent(field: str) -> dict[str, Any]:
    """JSON Schema: ``field`` is absent or null."""
    return {"properties": {field: {"type": "null"}}}


def _present(field: str, *, type_: str = "object") -> dict[str, Any]:
    """JSON Schema: ``field`` is there and not null."""
    return {"required": [field], "properties": {field: {"type": type_}}}


def _when(field: str, values: tuple[str, ...]) -> dict[str, Any]:
    """JSON Schema: ``field`` is given and is one of ``values``."""
    return {"required": [field], "properties": {field: {"enum": list(values)}}}


class Evidence(_Input):
    # the rule of the validator below, as the OpenAPI document states it
    model_config = ConfigDict(
        json_schema_extra={"if": _when("type", ("none_yet",)), "else": _present("reference", type_="string")}
    )

    type: EvidenceType
    reference: Reference | None = Field(None, validate_default=True, description="required unless type is none_yet")
    expires_on: IsoDate | None = None

    @field_validator("reference")
    @classmethod
    def _reference_unless_none_yet(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is None and info.data.get("type") not in (None, EvidenceType.NONE_YET):
            raise ValueError("a reference is required for this type of evidence")
        return value


class Documents(_Input):
    """The evidence the front desk received for a client waiting for documents."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"type": "referral_letter", "reference": "SAMU-2026-118"}]}
    )

    type: Literal["social_benefit_certificate", "income_statement", "referral_letter"]  # a document, not none_yet
    reference: Reference
    expires_on: IsoDate | None = None
    rejected_reason: Text | None = Field(None, description="set when the document was checked and refused")


NO_BIRTH_DATE = tuple(quality.value for quality in BirthDateQuality if quality not in KNOWN_BIRTH_DATE)
NO_ADDRESS = tuple(situation.value for situation in HousingSituation if situation not in WITH_ADDRESS)


class ContactRules(_Input):
    """The rules an application and a correction share for the fields they both take: a phone read in
    E.164, an e-mail address alone, an address exactly as the housing situation calls for."""

    @field_validator("phone", check_fields=False)
    @classmethod
    def _phone(cls, value: str | None) -> str | None:
        return phone_in_e164(value)

    @field_validator("email", mode="before", check_fields=False)
    @classmethod
    def _address_only(cls, value: object) -> object:
        return email_alone(value)

    @field_validator("email", check_fields=False)
    @classmethod
    def _fits(cls, value: str | None) -> str | None:
        return email_that_fits(value)

    @field_validator("address", check_fields=False)
    @classmethod
    def _address_as_housing_says(cls, value: PostalAddress | None, info: ValidationInfo) -> PostalAddress | None:
        housing = info.data.get("housing_situation")  # absent from a correction that leaves it as it is
        if housing is not None:
            check_address(HousingSituation(housing), value)
        return value


class Application(ContactRules):
    """What the front desk submits to onboard a person: everyone can be onboarded.

    A person may have no address, no phone, no email, or only an approximate birth date: such facts
    are recorded as values (``housing_situation``, ``birth_date_quality``), never guessed.
    """

    # the rules of the validators below, as the OpenAPI document states them
    model_config = ConfigDict(
        json_schema_extra={
            "allOf": [
                {"if": _when("birth_date_quality", NO_BIRTH_DATE), "then": _absent("birth_date"),
                 "else": _present("birth_date", type_="string")},
                {"if": _when("housing_situation", NO_ADDRESS), "then": _absent("address"),
                 "else": _present("address")},
                {"if": _when("housing_situation", (HousingSituation.CARE_OF.value,)),
                 "then": {"properties": {"address": {"required": ["care_of"],
                                                     "properties": {"care_of": {"type": "string"}}}}},
                 "else": {"properties": {"address": {"properties": {"care_of": {"type": "null"}}}}}},
            ],
            "examples": [
                {"first_name": "Amina", "last_name": "Diallo", "birth_date": "1961-04-02", "phone": "06 12 34 56 78",
                 "address": {"line1": "12 rue des Lilas", "postal_code": "93200", "city": "Saint-Denis"},
                 "language": "fr", "consents": {"data_processing": True, "sms": True},
                 "evidence": {"type": "social_benefit_certificate", "reference": "CSS-2026-0042",
                              "expires_on": "2030-06-30"}},
            ],
        }
    )  # fmt: skip

    first_name: Name
    last_name: Name
    birth_date_quality: BirthDateQuality = Field(
        BirthDateQuality.EXACT,
        description="exact, approximate (about), year_only (only the year is known), unknown, prefers_not_to_answer",
    )
    birth_date: IsoDate | None = Field(
        None,
        validate_default=True,
        description="required when birth_date_quality is exact, approximate or year_only; absent otherwise. "
        f"Not in the future, at most {MAX_AGE_YEARS} years ago",
    )
    phone: Annotated[str, Field(max_length=PHONE_INPUT_LENGTH, pattern=PHONE_PATTERN)] | None = Field(
        None,
        description="as written (06 12 34 56 78, +32 470 12 34 56): national numbers are read in the stage's "
        "country; stored as E.164. Optional: many people have no phone of their own",
    )
    email: EmailStr | None = Field(
        None,
        description=f"optional; at most {EMAIL_LENGTH} characters, at a domain that can receive mail (not .test)",
        json_schema_extra={"maxLength": EMAIL_LENGTH},
    )
    housing_situation: HousingSituation = Field(
        HousingSituation.FIXED_ADDRESS,
        description="fixed_address and care_of need an address; no_fixed_address and prefers_not_to_answer have none",
    )
    address: PostalAddress | None = Field(None, validate_default=True)
    language: Language
    consents: Consents
    evidence: Evidence | None = None
    emergency_first_visit: StrictBool = Field(False, description="allow a first emergency visit without documents")
    site_id: str | None = Field(
        None, pattern=SLUG_PATTERN, description="the site where the application was taken: its work lists show it"
    )

    @field_validator("birth_date")
    @classmethod
    def _plausible(cls, value: date | None, info: ValidationInfo) -> date | None:
        quality = info.data.get("birth_date_quality")
        if quality is None:  # invalid itself: reported there
            return value
        if value is None:
            if quality in KNOWN_BIRTH_DATE:
                raise ValueError(f"a birth date is required when birth_date_quality is {quality}")
            return None
        if quality not in KNOWN_BIRTH_DATE:
            raise ValueError(f"no birth date may be given when birth_date_quality is {quality}")
        today = date.today()
        if value > today:
            raise ValueError("the birth date is in the future")
        if today.year - value.year > MAX_AGE_YEARS:
            raise ValueError(f"the birth date gives an age over {MAX_AGE_YEARS}")
        return value

    def fingerprint(self) -> str:
        """The same application gives the same fingerprint, whatever the JSON key order (and one
        stored before applications named their site gives the same as then)."""
        unnamed = {"site_id"} if self.site_id is None else set()
        canonical = json.dumps(self.model_dump(mode="json", exclude=unnamed), sort_keys=True, separators=(",", ":"))
        return digest(canonical)


# --- the rules an application and a correction share -----------------------------------------------


def phone_in_e164(value: str | None) -> str | None:
    """A number as written, in E.164 (national numbers read in the stage's country)."""
    if value is None:
        return None
    try:
        return to_e164(value, read(IntakeParameters).default_phone_region)
    except InvalidPhoneNumber as error:
        raise ValueError(str(error)) from None


def email_alone(value: object) -> object:
    if isinstance(value, str) and ("<" in value or ">" in value):
        raise ValueError("give the address alone (amina@example.org), without a name around it")
    return value


def email_that_fits(value: str | None) -> str | None:
    if value is not None and len(value) > EMAIL_LENGTH:
        raise ValueError(f"an email address has at most {EMAIL_LENGTH} characters")
    return value


def check_address(housing: HousingSituation, address: PostalAddress | None) -> None:
    """An address exactly when the housing situation has one, with care_of exactly for care_of."""
    if housing in WITH_ADDRESS and address is None:
        raise ValueError(
            f"an address is required when housing_situation is {housing} "
            "(no_fixed_address or prefers_not_to_answer need none)"
        )
    if housing not in WITH_ADDRESS and address is not None:
        raise ValueError(f"no address may be given when housing_situation is {housing}")
    if address is not None and (housing == HousingSituation.CARE_OF) != (address.care_of is not None):
        raise ValueError("care_of (the organisation that receives the mail) goes with housing_situation care_of")


# --- receiving the application -------------------------------------------------------------------------


@dataclass(frozen=True)
class Received:
    client_id: str
    execution_arn: str  # the execution that onboards the client


def receive_application(uow: UnitOfWork, application: Application, idempotency_key: str | None, actor: str) -> Received:
    """Store the application (personal data stays here) and start its onboarding, unless this key or
    body was seen before: then the application stored first."""
    fingerprint = application.fingerprint()
    # a key is the caller's; digests make any key fit its column and compare exactly
    keys = [digest(f"application key {actor} {idempotency_key}")] if idempotency_key else []
    keys.append(digest(f"application body {fingerprint}"))
    for key in keys:
        record = uow.idempotency.get(key)
        if record is not None:
            if record.request_hash != fingerprint:
                raise IdempotencyKeyReused("this Idempotency-Key was already used for a different application")
            for unseen in keys[: keys.index(key)]:  # a new key for a known application names it from now on
                uow.idempotency.claim(unseen, fingerprint, record.entity_id)
            stored = uow.clients.get(record.entity_id)
            arn = (
                stored.execution_arn
                if stored and stored.execution_arn
                else execution_arn_of(ONBOARDING, record.entity_id)
            )
            return Received(record.entity_id, arn)
    if application.site_id is not None and uow.sites.get(application.site_id) is None:
        raise InvalidField("site_id", f"no site {application.site_id}")
    client_id = new_id()
    for key in keys:
        if not uow.idempotency.claim(key, fingerprint, client_id):
            raise ConcurrentSubmission(key)
    client = _client_from(application, client_id, actor)
    uow.clients.add(client)
    if application.evidence is not None and application.evidence.type != EvidenceType.NONE_YET:
        uow.evidence.add(_evidence_from(application.evidence, client_id, actor))
    uow.audit(
        "client.application_received", "client", client_id, emergency_first_visit=application.emergency_first_visit
    )
    client.execution_arn = signals.start(uow, ONBOARDING, client_id)
    return Received(client_id, client.execution_arn)


def _client_from(application: Application, client_id: str, actor: str) -> Client:
    address = application.address
    from lambdas.shared.db.clients.models import Client

    return Client(
        id=client_id,
        status=ClientStatus.PENDING,
        first_name=application.first_name,
        last_name=application.last_name,
        birth_date=application.birth_date,
        birth_date_quality=application.birth_date_quality,
        phone=application.phone,
        email=application.email,
        housing_situation=application.housing_situation,
        address_care_of=address.care_of if address else None,
        address_line1=address.line1 if address else None,
        address_line2=address.line2 if address else None,
        postal_code=address.postal_code if address else None,
        city=address.city if address else None,
        language=application.language,
        search_name=search_name(application.first_name, application.last_name),
        name_key=name_key(application.first_name, application.last_name),
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
        site_id=application.site_id,
    )


def _evidence_from(evidence: Evidence | Documents, client_id: str, actor: str) -> EligibilityEvidence:
    rejected_reason = getattr(evidence, "rejected_reason", None)
    from lambdas.shared.db.clients.models import EligibilityEvidence

    return EligibilityEvidence(
        id=new_id(),
        client_id=client_id,
        type=EvidenceType(evidence.type),
        reference=evidence.reference,
        expires_on=evidence.expires_on,
        status=EvidenceStatus.REJECTED if rejected_reason else EvidenceStatus.RECEIVED,
        rejection_reason=rejected_reason,
        recorded_by=actor,
    )


# --- answers from the front desk ---------------------------------------------------------------


def _answer(uow: UnitOfWork, client_id: str, waiting_for: WaitingFor, output: BaseModel) -> None:
    """Answer the application's wait for ``waiting_for`` with ``output``; a second answer finds none
    (409), and so does one for an application waiting for something else, or nothing."""
    client = uow.clients.lock(client_id)
    token = waiting.claim(client, "client", client_id, waiting_for)
    assert client is not None  # claim refuses a missing one
    client.status = ClientStatus.PENDING
    signals.resume(uow, token, output)


def review_duplicate(uow: UnitOfWork, client_id: str, decision: str, actor: str) -> None:
    """A person decided whether the suspected duplicate is the same person: the onboarding goes on."""
    flagged = uow.clients.lock(client_id)
    if flagged is not None and flagged.waiting_for != WaitingFor.DUPLICATE_REVIEW and flagged.flagged_match_of_id:
        from lambdas.shared.onboarding.record import review_flag  # a correction's flag, not an onboarding's wait

        review_flag(uow, flagged, ReviewDecision(decision), actor)
        return
    _answer(uow, client_id, WaitingFor.DUPLICATE_REVIEW, DuplicateReviewed(decision=ReviewDecision(decision)))
    uow.audit("client.duplicate_reviewed", "client", client_id, decision=decision, reviewer=actor)


def add_documents(uow: UnitOfWork, client_id: str, documents: Documents, actor: str) -> None:
    """Store the evidence received: the eligibility check runs again."""
    evidence = _evidence_from(documents, client_id, actor)
    _answer(uow, client_id, WaitingFor.DOCUMENTS, DocumentsReceived(evidence_id=evidence.id))
    uow.evidence.add(evidence)
    uow.audit("client.documents_received", "client", client_id, evidence_id=evidence.id)


OPEN = (ClientStatus.PENDING, ClientStatus.AWAITING_REVIEW, ClientStatus.AWAITING_DOCUMENTS)


def end_stopped(uow: UnitOfWork, client_id: str) -> bool:
    """Ops stopped the onboarding: an application still open ends as its wait's timeout would end it
    (True); one that ended already stays as it is."""
    client = uow.clients.lock(client_id)
    if client is None or client.status not in OPEN:
        return False
    outcome = "expired" if client.status == ClientStatus.AWAITING_REVIEW else "incomplete"
    client.status, client.waiting_for, client.task_token = ClientStatus(outcome), None, None
    client.outcome_reason = "the onboarding was stopped"
    uow.audit(f"client.{outcome}", "client", client_id, stopped=True)
    return True
