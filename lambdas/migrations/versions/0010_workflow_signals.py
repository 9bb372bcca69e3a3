"""workflow signals: what a workflow must be told of an action (start, resume, heartbeat, fail),
written in the action's transaction and delivered after it commits, by the relay if need be

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from lambdas.shared.db.types import JsonText, UtcDateTime

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

KINDS = ("start", "resume", "heartbeat", "fail")
STATUSES = ("pending", "delivered", "closed", "failed")


def upgrade() -> None:
    op.create_table(
        "workflow_signals",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(*KINDS, name="signalkind", native_enum=False, create_constraint=True, length=32),
            nullable=False,
        ),
        sa.Column("workflow", sa.String(length=64), nullable=True),
        sa.Column("entity_id", sa.String(length=36), nullable=True),
        sa.Column("token", sa.String(length=2048), nullable=True),
        sa.Column("payload", JsonText(), nullable=False),
        sa.Column("error", sa.String(length=64), nullable=True),
        sa.Column("cause", sa.Text(), nullable=True),
        sa.Column(
            "status",
            sa.Enum(*STATUSES, name="signalstatus", native_enum=False, create_constraint=True, length=32),
            nullable=False,
        ),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("delivered_at", UtcDateTime(), nullable=True),
        sa.Column("reason", sa.String(length=200), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", UtcDateTime(), nullable=False),
        sa.Column("claim", sa.String(length=36), nullable=True),
        sa.Column("claimed_until", UtcDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_workflow_signals")),
    )
    with op.batch_alter_table("workflow_signals", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_workflow_signals_status_next_attempt_at"), ["status", "next_attempt_at"], unique=False
        )


def downgrade() -> None:
    op.drop_table("workflow_signals")
