"""the queue: tickets numbered per site, day and prefix, and the events of each

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from lambdas.shared.db.types import JsonText, UtcDateTime

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "ticket_counters",
        sa.Column("site_id", sa.String(length=36), nullable=False),
        sa.Column("service_day", sa.Date(), nullable=False),
        sa.Column("prefix", sa.String(length=3), nullable=False),
        sa.Column("last_number", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["site_id"], ["sites.id"], name=op.f("fk_ticket_counters_site_id_sites")),
        sa.PrimaryKeyConstraint("site_id", "service_day", "prefix", name=op.f("pk_ticket_counters")),
    )
    op.create_table(
        "tickets",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("site_id", sa.String(length=36), nullable=False),
        sa.Column("service_day", sa.Date(), nullable=False),
        sa.Column("prefix", sa.String(length=3), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("station_id", sa.String(length=36), nullable=False),
        sa.Column("journey", JsonText(), nullable=False),
        sa.Column("journey_index", sa.Integer(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "waiting",
                "called",
                "serving",
                "completed",
                "no_show",
                "expired",
                "cancelled",
                name="ticketstatus",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column(
            "priority",
            sa.Enum(
                "none",
                "disability",
                "pregnancy",
                "elderly",
                "child",
                "medical",
                name="ticketpriority",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("priority_set_by", sa.String(length=128), nullable=True),
        sa.Column("appointment_at", UtcDateTime(), nullable=True),
        sa.Column("client_id", sa.String(length=36), nullable=True),
        sa.Column("display_name", sa.String(length=100), nullable=True),
        sa.Column("checked_in_at", UtcDateTime(), nullable=False),
        sa.Column("queued_at", UtcDateTime(), nullable=False),
        sa.Column("called_at", UtcDateTime(), nullable=True),
        sa.Column("called_by_counter", sa.String(length=36), nullable=True),
        sa.Column("recalled", sa.Boolean(), nullable=False),
        sa.Column("served_at", UtcDateTime(), nullable=True),
        sa.Column("ended_at", UtcDateTime(), nullable=True),
        sa.Column("checked_in_by", sa.String(length=128), nullable=False),
        sa.Column("execution_arn", sa.String(length=2048), nullable=True),
        sa.Column("waiting_for", sa.String(length=32), nullable=True),
        sa.Column("task_token", sa.String(length=2048), nullable=True),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["client_id"], ["clients.id"], name=op.f("fk_tickets_client_id_clients")),
        sa.ForeignKeyConstraint(
            ["site_id", "station_id"], ["stations.site_id", "stations.id"], name=op.f("fk_tickets_site_id_stations")
        ),
        sa.ForeignKeyConstraint(["site_id"], ["sites.id"], name=op.f("fk_tickets_site_id_sites")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tickets")),
        sa.UniqueConstraint(
            "site_id", "service_day", "prefix", "number", name=op.f("uq_tickets_site_id_service_day_prefix_number")
        ),
    )
    with op.batch_alter_table("tickets", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_tickets_client_id"), ["client_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_tickets_site_id_station_id_status_queued_at"),
            ["site_id", "station_id", "status", "queued_at"],
            unique=False,
        )

    op.create_table(
        "queue_events",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("ticket_id", sa.String(length=36), nullable=False),
        sa.Column("site_id", sa.String(length=36), nullable=False),
        sa.Column("station_id", sa.String(length=36), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("counter", sa.String(length=36), nullable=True),
        sa.Column("actor", sa.String(length=128), nullable=False),
        sa.Column("at", UtcDateTime(), nullable=False),
        sa.Column("details", JsonText(), nullable=False),
        sa.ForeignKeyConstraint(["site_id"], ["sites.id"], name=op.f("fk_queue_events_site_id_sites")),
        sa.ForeignKeyConstraint(["ticket_id"], ["tickets.id"], name=op.f("fk_queue_events_ticket_id_tickets")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_queue_events")),
    )
    with op.batch_alter_table("queue_events", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_queue_events_site_id_at"), ["site_id", "at"], unique=False)
        batch_op.create_index(batch_op.f("ix_queue_events_ticket_id"), ["ticket_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("queue_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_queue_events_ticket_id"))
        batch_op.drop_index(batch_op.f("ix_queue_events_site_id_at"))

    op.drop_table("queue_events")
    with op.batch_alter_table("tickets", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_tickets_site_id_station_id_status_queued_at"))
        batch_op.drop_index(batch_op.f("ix_tickets_client_id"))

    op.drop_table("tickets")
    op.drop_table("ticket_counters")
