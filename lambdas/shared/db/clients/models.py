"""Clients: the person, their consents, their proof of eligibility."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Boolean, Date, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lambdas.shared.clock import utcnow
from lambdas.shared.db.base import ARN, ID, Base, Timestamps, WaitsForPerson, enum_column, new_id
from lambdas.shared.db.sites import models as sites  # noqa: F401 - the table its foreign keys name
from lambdas.shared.db.types import JsonText, UtcDateTime
from lambdas.shared.domain import (
    BirthDateQuality,
    ClientStatus,
    ConsentPurpose,
    EvidenceStatus,
    EvidenceType,
    HousingSituation,
)
from lambdas.shared.fields import (
    DIGEST_LENGTH,
    EMAIL_LENGTH,
    NAME_LENGTH,
    PHONE_LENGTH,
    POSTAL_CODE_LENGTH,
    REASON_LENGTH,
    REFERENCE_LENGTH,
    SEARCH_NAME_LENGTH,
    TEXT_LENGTH,
)


class Client(WaitsForPerson, Timestamps, Base):
    """A person applying to, or enrolled in, the programme.

    The row exists from the moment the front desk submits the application (status ``pending``);
    personal data lives here and nowhere else. ``search_name`` and the ``*_key`` columns hold
    normalised forms for search and duplicate detection; ``phone`` is E.164, compared as it is.
    """

    __tablename__ = "clients"
    __table_args__ = (
        Index(None, "name_key", "birth_date"),
        Index(None, "birth_date"),
        Index(None, "phone"),
        Index(None, "email_key"),
        Index(None, "search_name"),
        Index(None, "site_id", "status"),
    )

    id: Mapped[str] = mapped_column(ID, primary_key=True, default=new_id)
    status: Mapped[ClientStatus] = mapped_column(enum_column(ClientStatus), default=ClientStatus.PENDING)
    first_name: Mapped[str] = mapped_column(String(NAME_LENGTH))
    last_name: Mapped[str] = mapped_column(String(NAME_LENGTH))
    birth_date: Mapped[date | None] = mapped_column(Date)
    birth_date_quality: Mapped[BirthDateQuality | None] = mapped_column(
        enum_column(BirthDateQuality), default=BirthDateQuality.EXACT
    )
    phone: Mapped[str | None] = mapped_column(String(PHONE_LENGTH))
    email: Mapped[str | None] = mapped_column(String(EMAIL_LENGTH))
    housing_situation: Mapped[HousingSituation | None] = mapped_column(
        enum_column(HousingSituation), default=HousingSituation.FIXED_ADDRESS
    )
    address_care_of: Mapped[str | None] = mapped_column(String(TEXT_LENGTH))
    address_line1: Mapped[str | None] = mapped_column(String(TEXT_LENGTH))
    address_line2: Mapped[str | None] = mapped_column(String(TEXT_LENGTH))
    postal_code: Mapped[str | None] = mapped_column(String(POSTAL_CODE_LENGTH))
    city: Mapped[str | None] = mapped_column(String(NAME_LENGTH))
    language: Mapped[str] = mapped_column(String(8), default="fr")
    search_name: Mapped[str] = mapped_column(String(SEARCH_NAME_LENGTH), default="")
    name_key: Mapped[str | None] = mapped_column(String(DIGEST_LENGTH))
    email_key: Mapped[str | None] = mapped_column(String(DIGEST_LENGTH))
    emergency_first_visit: Mapped[bool] = mapped_column(Boolean, default=False)
    # what the front desk recorded with the application and the workflow still needs (consents)
    application: Mapped[dict[str, Any] | None] = mapped_column(JsonText)
    duplicate_match: Mapped[str | None] = mapped_column(String(32))
    # when this application was compared with the others; only those compared before it count
    duplicate_checked_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    registered_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    outcome_reason: Mapped[str | None] = mapped_column(String(REASON_LENGTH))
    execution_arn: Mapped[str | None] = mapped_column(ARN)
    duplicate_of_id: Mapped[str | None] = mapped_column(ForeignKey("clients.id"))
    merged_into_id: Mapped[str | None] = mapped_column(ForeignKey("clients.id"))
    created_by: Mapped[str] = mapped_column(String(128))
    site_id: Mapped[str | None] = mapped_column(ForeignKey("sites.id"))  # where the application was taken
    waiting_since: Mapped[datetime | None] = mapped_column(UtcDateTime)  # when its current wait began
    # a correction made its phone or e-mail the same as this client's: for a person to review, never merged
    flagged_match_of_id: Mapped[str | None] = mapped_column(ForeignKey("clients.id"))
    flagged_match: Mapped[str | None] = mapped_column(String(32))
    erased_at: Mapped[datetime | None] = mapped_column(UtcDateTime)

    consents: Mapped[list[ConsentRecord]] = relationship(back_populates="client")
    evidence: Mapped[list[EligibilityEvidence]] = relationship(back_populates="client")


class ConsentRecord(Base):
    """What the person agreed to, under which text, through which channel, recorded by whom."""

    __tablename__ = "consent_records"
    __table_args__ = (UniqueConstraint("client_id", "purpose"),)

    id: Mapped[str] = mapped_column(ID, primary_key=True, default=new_id)
    client_id: Mapped[str] = mapped_column(ForeignKey("clients.id"))
    purpose: Mapped[ConsentPurpose] = mapped_column(enum_column(ConsentPurpose))
    granted: Mapped[bool] = mapped_column(Boolean)
    text_version: Mapped[str] = mapped_column(String(32))
    channel: Mapped[str] = mapped_column(String(32))
    recorded_by: Mapped[str] = mapped_column(String(128))
    recorded_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    withdrawn_at: Mapped[datetime | None] = mapped_column(UtcDateTime)

    client: Mapped[Client] = relationship(back_populates="consents")


class EligibilityEvidence(Base):
    """A document proving low income or a social benefit."""

    __tablename__ = "eligibility_evidence"

    id: Mapped[str] = mapped_column(ID, primary_key=True, default=new_id)
    client_id: Mapped[str] = mapped_column(ForeignKey("clients.id"), index=True)
    type: Mapped[EvidenceType] = mapped_column(enum_column(EvidenceType))
    reference: Mapped[str | None] = mapped_column(String(REFERENCE_LENGTH))
    expires_on: Mapped[date | None] = mapped_column(Date)
    status: Mapped[EvidenceStatus] = mapped_column(enum_column(EvidenceStatus), default=EvidenceStatus.RECEIVED)
    rejection_reason: Mapped[str | None] = mapped_column(String(REASON_LENGTH))
    recorded_by: Mapped[str] = mapped_column(String(128))
    received_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)

    client: Mapped[Client] = relationship(back_populates="evidence")
