"""the front desk's work lists: the site an application was taken at, since when it waits (the days
left before its wait expires), and a correction that made a client's phone or e-mail match another's

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-08
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from lambdas.shared.db.types import UtcDateTime

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

# All nullable: the code deployed before this revision inserts clients without them while the stack
# updates, or after a rollback; null reads as "not known" (no site, no date, no flag).
COLUMNS = ("site_id", "waiting_since", "flagged_match_of_id", "flagged_match")


def upgrade() -> None:
    with op.batch_alter_table("clients") as batch_op:
        batch_op.add_column(sa.Column("site_id", sa.String(length=36), nullable=True))
        batch_op.add_column(sa.Column("waiting_since", UtcDateTime(), nullable=True))
        batch_op.add_column(sa.Column("flagged_match_of_id", sa.String(length=36), nullable=True))
        batch_op.add_column(sa.Column("flagged_match", sa.String(length=32), nullable=True))
        batch_op.create_foreign_key(batch_op.f("fk_clients_site_id_sites"), "sites", ["site_id"], ["id"])
        batch_op.create_foreign_key(
            batch_op.f("fk_clients_flagged_match_of_id_clients"), "clients", ["flagged_match_of_id"], ["id"]
        )
        batch_op.create_index(batch_op.f("ix_clients_site_id_status"), ["site_id", "status"])


def downgrade() -> None:
    with op.batch_alter_table("clients") as batch_op:
        # the foreign keys first: MySQL keeps an index while a foreign key uses it
        batch_op.drop_constraint(batch_op.f("fk_clients_flagged_match_of_id_clients"), type_="foreignkey")
        batch_op.drop_constraint(batch_op.f("fk_clients_site_id_sites"), type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_clients_site_id_status"))
        for column in reversed(COLUMNS):
            batch_op.drop_column(column)
