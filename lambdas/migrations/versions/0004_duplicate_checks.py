"""duplicate checks run one at a time: when each application was compared, and the lock they take

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01

Applications already past their comparison count as compared when they were stored.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from lambdas.shared.db.types import UtcDateTime

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "named_locks",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_named_locks")),
    )
    with op.batch_alter_table("clients") as batch_op:
        batch_op.add_column(sa.Column("duplicate_checked_at", UtcDateTime(), nullable=True))
    op.execute(
        "UPDATE clients SET duplicate_checked_at = created_at"
        " WHERE status <> 'pending' OR registered_at IS NOT NULL OR duplicate_of_id IS NOT NULL"
    )


def downgrade() -> None:
    with op.batch_alter_table("clients") as batch_op:
        batch_op.drop_column("duplicate_checked_at")
    op.drop_table("named_locks")
