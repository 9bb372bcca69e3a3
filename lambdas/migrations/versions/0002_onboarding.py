"""client onboarding: the application's consents, duplicate match, registration time

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from lambdas.shared.db.types import JsonText, UtcDateTime

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("clients") as batch_op:
        batch_op.add_column(sa.Column("application", JsonText(), nullable=True))
        batch_op.add_column(sa.Column("duplicate_match", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("registered_at", UtcDateTime(), nullable=True))
        batch_op.create_index(batch_op.f("ix_clients_birth_date"), ["birth_date"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("clients") as batch_op:
        batch_op.drop_index(batch_op.f("ix_clients_birth_date"))
        batch_op.drop_column("registered_at")
        batch_op.drop_column("duplicate_match")
        batch_op.drop_column("application")
