"""everyone can be onboarded: birth date quality, housing situation, E.164 phones, keys that fit

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01

Existing rows are rewritten to the new forms: phones in E.164 (those that do not parse stay as they
were), name and email keys and idempotency keys as digests of what they held.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from lambdas.shared.fields import digest
from lambdas.shared.parameters import IntakeParameters, read
from lambdas.shared.phones import InvalidPhoneNumber, to_e164

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

BIRTH_DATE_QUALITY = ("exact", "approximate", "year_only", "unknown", "prefers_not_to_answer")
HOUSING_SITUATION = ("fixed_address", "care_of", "no_fixed_address", "prefers_not_to_answer")

clients = sa.table(
    "clients",
    sa.column("id", sa.String),
    sa.column("status", sa.String),
    sa.column("phone", sa.String),
    sa.column("name_key", sa.String),
    sa.column("email_key", sa.String),
    sa.column("birth_date", sa.Date),
    sa.column("birth_date_quality", sa.String),
    sa.column("housing_situation", sa.String),
)
idempotency_records = sa.table("idempotency_records", sa.column("key", sa.String))


def _enum(*values: str, name: str) -> sa.Enum:
    return sa.Enum(*values, name=name, native_enum=False, create_constraint=True, length=32)


def upgrade() -> None:
    with op.batch_alter_table("clients") as batch_op:
        batch_op.add_column(sa.Column("birth_date_quality", _enum(*BIRTH_DATE_QUALITY, name="birthdatequality")))
        batch_op.add_column(sa.Column("housing_situation", _enum(*HOUSING_SITUATION, name="housingsituation")))
        batch_op.add_column(sa.Column("address_care_of", sa.String(length=200), nullable=True))
    _rewrite_clients()
    _rewrite_idempotency_keys()
    with op.batch_alter_table("clients") as batch_op:
        batch_op.drop_index("ix_clients_phone_key")
        batch_op.drop_column("phone_key")
        batch_op.create_index(batch_op.f("ix_clients_phone"), ["phone"], unique=False)
        batch_op.alter_column("name_key", existing_type=sa.String(length=201), type_=sa.String(length=64))
        batch_op.alter_column("email_key", existing_type=sa.String(length=254), type_=sa.String(length=64))
    with op.batch_alter_table("idempotency_records") as batch_op:
        batch_op.alter_column(
            "key", existing_type=sa.String(length=200), type_=sa.String(length=64), existing_nullable=False
        )


def _rewrite_clients() -> None:
    connection = op.get_bind()
    region = read(IntakeParameters).default_phone_region
    rows = connection.execute(
        sa.select(clients.c.id, clients.c.status, clients.c.phone, clients.c.name_key, clients.c.email_key)
    ).all()
    for row in rows:
        known = row.status != "erased"
        connection.execute(
            clients.update()
            .where(clients.c.id == row.id)
            .values(
                phone=_e164(row.phone, region),
                name_key=digest(row.name_key) if row.name_key else None,
                email_key=digest(row.email_key) if row.email_key else None,
                birth_date_quality="exact" if known else None,
                housing_situation="fixed_address" if known else None,  # an address was required until now
            )
        )


def _e164(phone: str | None, region: str) -> str | None:
    if not phone:
        return phone
    try:
        return to_e164(phone, region)
    except InvalidPhoneNumber:
        return phone


def _rewrite_idempotency_keys() -> None:
    connection = op.get_bind()
    for (key,) in connection.execute(sa.select(idempotency_records.c.key)).all():
        connection.execute(idempotency_records.update().where(idempotency_records.c.key == key).values(key=digest(key)))


def downgrade() -> None:
    # the digests cannot be turned back into what they hold: old keys are dropped, and rebuilt on use
    op.execute(idempotency_records.delete())
    with op.batch_alter_table("idempotency_records") as batch_op:
        batch_op.alter_column(
            "key", existing_type=sa.String(length=64), type_=sa.String(length=200), existing_nullable=False
        )
    with op.batch_alter_table("clients") as batch_op:
        batch_op.alter_column("email_key", existing_type=sa.String(length=64), type_=sa.String(length=254))
        batch_op.alter_column("name_key", existing_type=sa.String(length=64), type_=sa.String(length=201))
        batch_op.drop_index(batch_op.f("ix_clients_phone"))
        batch_op.add_column(sa.Column("phone_key", sa.String(length=32), nullable=True))
        batch_op.create_index("ix_clients_phone_key", ["phone_key"], unique=False)
        batch_op.drop_column("address_care_of")
        batch_op.drop_column("housing_situation")
        batch_op.drop_column("birth_date_quality")
