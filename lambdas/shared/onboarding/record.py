"""A client's record kept right by the front desk: contact details, language and housing corrected,
consents given and withdrawn, and the review a correction may call for.

Audits name the fields that changed, never their values: the values are personal data.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Literal

from pydantic import ConfigDict, EmailStr, Field, StrictBool, model_validator

from lambdas.shared.clock import utcnow
from lambdas.shared.db.base import new_id
from lambdas.shared.db.unit_of_work import UnitOfWork
from lambdas.shared.domain import (
    ADDRESS_COLUMNS,
    CONSENT_TEXT_VERSION,
    WITH_ADDRESS,
    ClientStatus,
    ConsentPurpose,
    DuplicateMatch,
    HousingSituation,
    Language,
    ReviewDecision,
)
from lambdas.shared.errors import Conflict, InvalidField, NotFound
from lambdas.shared.fields import EMAIL_LENGTH, PHONE_INPUT_LENGTH
from lambdas.shared.normalize import email_key
from lambdas.shared.onboarding.intake import (
    NO_ADDRESS,
    PHONE_PATTERN,
    ContactRules,
    PostalAddress,
    _absent,
    _Input,
    _present,
    _when,
    check_address,
)
from lambdas.shared.onboarding.views import ClientDetail

if TYPE_CHECKING:  # tables are mapped on first use (lambdas/shared/db/unit_of_work.py)
    from lambdas.shared.db.clients.models import Client

CLOSED = (ClientStatus.ERASED, ClientStatus.MERGED)


class Correction(ContactRules):
    """The fields to correct; those left out stay as they are, and null removes a phone or an e-mail."""

    # the rules of the validators below, as the OpenAPI document states them
    model_config = ConfigDict(
        json_schema_extra={
            "minProperties": 1,
            "allOf": [
                {"if": _when("housing_situation", NO_ADDRESS), "then": _absent("address")},
                {"if": _when("housing_situation", tuple(h.value for h in WITH_ADDRESS)), "then": _present("address")},
                {"if": _when("housing_situation", (HousingSituation.CARE_OF.value,)),
                 "then": {"properties": {"address": {"required": ["care_of"],
                                                     "properties": {"care_of": {"type": "string"}}}}}},
                {"if": _when("housing_situation", (HousingSituation.FIXED_ADDRESS.value,)),
                 "then": {"properties": {"address": {"properties": {"care_of": {"type": "null"}}}}}},
            ],
            "examples": [{"phone": None, "housing_situation": "no_fixed_address", "language": "ar"}],
        }
    )  # fmt: skip

    phone: Annotated[str, Field(max_length=PHONE_INPUT_LENGTH, pattern=PHONE_PATTERN)] | None = Field(
        None, description="as written; null: the person has no phone any more"
    )
    email: EmailStr | None = Field(
        None, description="null: no e-mail any more", json_schema_extra={"maxLength": EMAIL_LENGTH}
    )
    # left out: unchanged, so None when read (a default is never validated); a null sent is refused, as the
    # document says: there is no "no language"
    language: Language = Field(None, description="the language the person reads and speaks best")  # type: ignore[assignment]
    housing_situation: HousingSituation = Field(  # type: ignore[assignment]
        None, description="with the address it needs (none for no_fixed_address or prefers_not_to_answer)"
    )
    address: PostalAddress | None = Field(None, validate_default=True, description="for fixed_address and care_of only")

    @model_validator(mode="after")
    def _something(self) -> Correction:
        if not self.model_fields_set:
            raise ValueError("name at least one field to correct")
        return self


class ConsentChange(_Input):
    model_config = ConfigDict(json_schema_extra={"examples": [{"purpose": "sms", "given": False}]})

    purpose: ConsentPurpose
    given: StrictBool = Field(description="false withdraws it: from now on, nothing is sent for that purpose")
    channel: Literal["front_desk", "phone", "letter"] = Field("front_desk", description="how the person said it")


def _open(uow: UnitOfWork, client_id: str) -> Client:
    client = uow.clients.lock(client_id)
    if client is None:
        raise NotFound("client", client_id)
    if client.status in CLOSED:
        raise Conflict(f"client {client_id} is {client.status}: its record cannot change")
    return client


def correct(uow: UnitOfWork, client_id: str, correction: Correction, actor: str) -> ClientDetail:
    """Apply ``correction``; a phone or e-mail that now matches another client's flags the record for a
    review (the two are never merged here)."""
    client = _open(uow, client_id)
    given = correction.model_fields_set
    housing = correction.housing_situation or client.housing_situation
    assert housing is not None  # only an erased record has none
    if "address" in given and "housing_situation" not in given:
        try:
            check_address(housing, correction.address)
        except ValueError as error:
            raise InvalidField("address", str(error)) from None
    changed = []
    if "phone" in given and client.phone != correction.phone:
        client.phone = correction.phone
        changed.append("phone")
    if "email" in given and client.email != correction.email:
        client.email, client.email_key = correction.email, email_key(correction.email)
        changed.append("email")
    if "language" in given and client.language != correction.language:
        client.language = str(correction.language)
        changed.append("language")
    if given & {"housing_situation", "address"}:
        before = [getattr(client, column) for column in ADDRESS_COLUMNS]
        _set_address(client, housing, correction.address)
        changed += ["housing"] if before != [getattr(client, column) for column in ADDRESS_COLUMNS] else []
    if changed:
        uow.audit("client.corrected", "client", client_id, fields=changed, by=actor)
    _flag_if_shared(uow, client, changed)
    return ClientDetail.of(client)


def _set_address(client: Client, housing: HousingSituation, address: PostalAddress | None) -> None:
    kept = address if housing in WITH_ADDRESS else None
    client.housing_situation = housing
    client.address_care_of = kept.care_of if kept else None
    client.address_line1 = kept.line1 if kept else None
    client.address_line2 = kept.line2 if kept else None
    client.postal_code = kept.postal_code if kept else None
    client.city = kept.city if kept else None


def _flag_if_shared(uow: UnitOfWork, client: Client, changed: list[str]) -> None:
    """Only what changed is compared: two people a review found different may share a family phone."""
    for match in (DuplicateMatch.PHONE, DuplicateMatch.EMAIL):
        other = uow.clients.sharing(client, match) if match in changed else None
        if other is not None:
            client.flagged_match_of_id, client.flagged_match = other.id, match
            uow.audit("client.match_flagged", "client", client.id, match_of=other.id, match=match)
            return


def review_flag(uow: UnitOfWork, client: Client, decision: ReviewDecision, actor: str) -> None:
    """A person looked at a record flagged by a correction: different people clear the flag; the same
    person's two records are not merged here (both may hold orders and tickets)."""
    if decision == ReviewDecision.SAME_PERSON:
        raise Conflict(
            f"client {client.id} and client {client.flagged_match_of_id} are both registered: records in use are "
            "not merged; correct the contact details that are wrong, or erase the record made in error"
        )
    other = client.flagged_match_of_id
    client.flagged_match_of_id = client.flagged_match = None
    uow.audit("client.match_reviewed", "client", client.id, match_of=other, decision=decision, reviewer=actor)


def record_consent(uow: UnitOfWork, client_id: str, change: ConsentChange, actor: str) -> ClientDetail:
    """Record a consent given or withdrawn, with the text version, the channel and who recorded it; a
    withdrawn SMS consent stops every SMS not sent yet (the outbox reads it at send time)."""
    if change.purpose == ConsentPurpose.DATA_PROCESSING and not change.given:
        raise InvalidField(
            "given", "withdrawing the consent to data processing is a request to erase: erase the client instead"
        )
    client = _open(uow, client_id)
    now = utcnow()
    record = uow.consents.of(client_id).get(change.purpose)
    if record is None:
        from lambdas.shared.db.clients.models import ConsentRecord

        record = ConsentRecord(id=new_id(), client_id=client_id, purpose=change.purpose)
        uow.consents.add(record)
    record.granted, record.text_version, record.channel = change.given, CONSENT_TEXT_VERSION, change.channel
    record.recorded_by, record.recorded_at = actor, now
    record.withdrawn_at = None if change.given else now
    given, channel = change.given, change.channel
    uow.audit("client.consent_recorded", "client", client_id, purpose=change.purpose, given=given, channel=channel)
    return ClientDetail.of(client)
