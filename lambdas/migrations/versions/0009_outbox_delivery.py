"""the outbox is delivered: a row's claim by a dispatcher, its attempts and next try, the provider's
message id, and why it failed or was not sent

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from lambdas.shared.db.types import UtcDateTime

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.add_column(sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"))
        batch_op.add_column(
            sa.Column("next_attempt_at", UtcDateTime(), nullable=False, server_default="1970-01-01 00:00:00")
        )
        batch_op.add_column(sa.Column("claim", sa.String(length=36), nullable=True))
        batch_op.add_column(sa.Column("claimed_until", UtcDateTime(), nullable=True))
        batch_op.add_column(sa.Column("provider_message_id", sa.String(length=128), nullable=True))
        batch_op.add_column(sa.Column("reason", sa.String(length=64), nullable=True))
        batch_op.drop_index(batch_op.f("ix_notifications_status_created_at"))
        batch_op.create_index(
            batch_op.f("ix_notifications_status_next_attempt_at"), ["status", "next_attempt_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_notifications_status_next_attempt_at"))
        batch_op.create_index(batch_op.f("ix_notifications_status_created_at"), ["status", "created_at"], unique=False)
        for column in ("reason", "provider_message_id", "claimed_until", "claim", "next_attempt_at", "attempts"):
            batch_op.drop_column(column)
