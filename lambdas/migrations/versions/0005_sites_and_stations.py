"""sites and stations as managers configure them: ids they choose, hours, grace, journey, prefixes

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01

No code wrote the first sites, stations, tickets or ticket counters: the empty tables are reshaped
(stations and tickets are keyed by the site's own station ids from now on; tickets come back with
the queue workflow).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from lambdas.shared.db.types import JsonText, UtcDateTime

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    for table in ("tickets", "ticket_counters", "stations"):
        op.drop_table(table)
    with op.batch_alter_table("sites") as batch_op:
        batch_op.drop_constraint("uq_sites_code", type_="unique")
        batch_op.drop_column("code")
        batch_op.add_column(sa.Column("hours", JsonText(), nullable=False))
        batch_op.add_column(sa.Column("grace_seconds", sa.Integer(), nullable=False))
        batch_op.add_column(sa.Column("default_journey", JsonText(), nullable=False))
        batch_op.add_column(sa.Column("priority_streak", sa.Integer(), nullable=False))
        batch_op.add_column(sa.Column("configured_by", sa.String(length=128), nullable=False))
        batch_op.add_column(sa.Column("created_at", UtcDateTime(), nullable=False))
        batch_op.add_column(sa.Column("updated_at", UtcDateTime(), nullable=False))
        batch_op.alter_column(
            "name", existing_type=sa.String(length=200), type_=sa.String(length=100), existing_nullable=False
        )
    op.create_table(
        "stations",
        sa.Column("site_id", sa.String(length=36), nullable=False),
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("prefix", sa.String(length=3), nullable=False),
        sa.Column("counters", JsonText(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("configured_by", sa.String(length=128), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["site_id"], ["sites.id"], name=op.f("fk_stations_site_id_sites")),
        sa.PrimaryKeyConstraint("site_id", "id", name=op.f("pk_stations")),
        sa.UniqueConstraint("site_id", "prefix", name=op.f("uq_stations_site_id_prefix")),
    )


def downgrade() -> None:
    raise NotImplementedError("the first queue tables held nothing; there is no going back to them")
