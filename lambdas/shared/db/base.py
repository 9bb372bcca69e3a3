"""What every model shares: the declarative base with its constraint naming convention, id columns,
enum columns that the database checks, timestamps."""

from __future__ import annotations

import enum
import uuid
from datetime import datetime

from sqlalchemy import Enum, MetaData, String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from lambdas.shared.clock import utcnow
from lambdas.shared.db.types import UtcDateTime

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

ID = String(36)
TOKEN = String(2048)  # Step Functions task tokens are at most 2048 characters
ARN = String(2048)


def new_id() -> str:
    return str(uuid.uuid4())


def enum_column(enum_class: type[enum.StrEnum]) -> Enum:
    """A VARCHAR with a CHECK constraint: portable, and the database refuses unknown values."""
    return Enum(
        enum_class,
        name=enum_class.__name__.lower(),
        native_enum=False,
        create_constraint=True,
        length=32,
        values_callable=lambda members: [member.value for member in members],
        validate_strings=True,
    )


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class WaitsForPerson:
    """A row a workflow can park on until a person answers (``lambdas.shared.waiting``)."""

    waiting_for: Mapped[str | None] = mapped_column(String(32))
    task_token: Mapped[str | None] = mapped_column(TOKEN)


class Timestamps:
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, onupdate=utcnow)
