"""Clients: the person, their consents, their proof of eligibility."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Boolean, Date, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lambdas.shared.db.models.base import ARN, ID, TOKEN, Base, Timestamps, enum_column, new_id
from lambdas.shared.db.types import JsonText, UtcDateTime, utcnow
from lambdas.shared.domain import ClientStatus, ConsentPurpose, EvidenceStatus, EvidenceType


class Client(Timestamps, Base):
    """A person applying to, or enrolled in, the programme.

    The row exists from the moment the front desk submits the application (status ``pending``);
    personal data lives here and nowhere else. ``*_key`` columns hold normalised forms for
    duplicate detection and search.
    """

    __tablename__ = "clients"
    __table_args__ = (
        Index(None, "name_key", "birth_date"),
        Index(None, "birth_date"),
        Index(None, "phone_key"),
        Index(None, "email_key"),
        Index(None, "search_name"),
    )

    id: Mapped[str] = mapped_column(ID, primary_key=True, default=new_id)
    status: Mapped[ClientStatus] = mapped_column(enum_column(ClientStatus), default=ClientStatus.PENDING)
    first_name: Mapped[str] = mapped_column(String(100))
    last_name: Mapped[str] = mapped_column(String(100))
    birth_date: Mapped[date | None] = mapped_column(Date)
    phone: Mapped[str | None] = mapped_column(String(32))
    email: Mapped[str | None] = mapped_column(String(254))
    address_line1: Mapped[str | None] = mapped_column(String(200))
    address_line2: Mapped[str | None] = mapped_column(String(200))
    postal_code: Mapped[str | None] = mapped_column(String(16))
    city: Mapped[str | None] = mapped_column(String(100))
    language: Mapped[str] = mapped_column(String(8), default="fr")
    search_name: Mapped[str] = mapped_column(String(201), default="")
    name_key: Mapped[str | None] = mapped_column(String(201))
    phone_key: Mapped[str | None] = mapped_column(String(32))
    email_key: Mapped[str | None] = mapped_column(String(254))
    emergency_first_visit: Mapped[bool] = mapped_column(Boolean, default=False)
    # what the front desk recorded with the application and the workflow still needs (consents)
    application: Mapped[dict[str, Any] | None] = mapped_column(JsonText)
    duplicate_match: Mapped[str | None] = mapped_column(String(32))
    registered_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    outcome_reason: Mapped[str | None] = mapped_column(String(500))
    waiting_for: Mapped[str | None] = mapped_column(String(32))
    task_token: Mapped[str | None] = mapped_column(TOKEN)
    execution_arn: Mapped[str | None] = mapped_column(ARN)
    duplicate_of_id: Mapped[str | None] = mapped_column(ForeignKey("clients.id"))
    merged_into_id: Mapped[str | None] = mapped_column(ForeignKey("clients.id"))
    created_by: Mapped[str] = mapped_column(String(128))
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
    reference: Mapped[str | None] = mapped_column(String(100))
    expires_on: Mapped[date | None] = mapped_column(Date)
    status: Mapped[EvidenceStatus] = mapped_column(enum_column(EvidenceStatus), default=EvidenceStatus.RECEIVED)
    rejection_reason: Mapped[str | None] = mapped_column(String(500))
    recorded_by: Mapped[str] = mapped_column(String(128))
    received_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)

    client: Mapped[Client] = relationship(back_populates="evidence")
