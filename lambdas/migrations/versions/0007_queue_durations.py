"""the queue's durations: seconds waited or served on each call and service event, and a site's
service time before the day has its own

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("queue_events", schema=None) as batch_op:
        batch_op.add_column(sa.Column("seconds", sa.Integer(), nullable=True))
        batch_op.create_index(
            batch_op.f("ix_queue_events_site_id_station_id_kind"), ["site_id", "station_id", "kind"], unique=False
        )
    with op.batch_alter_table("sites", schema=None) as batch_op:
        batch_op.add_column(sa.Column("service_minutes", sa.Integer(), nullable=False, server_default="8"))


def downgrade() -> None:
    with op.batch_alter_table("sites", schema=None) as batch_op:
        batch_op.drop_column("service_minutes")
    with op.batch_alter_table("queue_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_queue_events_site_id_station_id_kind"))
        batch_op.drop_column("seconds")
