"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-26 08:22:36.597116
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from lambdas.shared.db.types import JsonText, UtcDateTime

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table(
        "audit_log",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("actor", sa.String(length=128), nullable=False),
        sa.Column("action", sa.String(length=64), nullable=False),
        sa.Column("entity_type", sa.String(length=32), nullable=False),
        sa.Column("entity_id", sa.String(length=64), nullable=False),
        sa.Column("details", JsonText(), nullable=False),
        sa.Column("at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_log")),
    )
    op.create_index(op.f("ix_audit_log_entity_type_entity_id"), "audit_log", ["entity_type", "entity_id"], unique=False)
    op.create_table(
        "clients",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "pending",
                "awaiting_review",
                "awaiting_documents",
                "active",
                "ineligible",
                "incomplete",
                "expired",
                "merged",
                "erased",
                name="clientstatus",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("first_name", sa.String(length=100), nullable=False),
        sa.Column("last_name", sa.String(length=100), nullable=False),
        sa.Column("birth_date", sa.Date(), nullable=True),
        sa.Column("phone", sa.String(length=32), nullable=True),
        sa.Column("email", sa.String(length=254), nullable=True),
        sa.Column("address_line1", sa.String(length=200), nullable=True),
        sa.Column("address_line2", sa.String(length=200), nullable=True),
        sa.Column("postal_code", sa.String(length=16), nullable=True),
        sa.Column("city", sa.String(length=100), nullable=True),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("search_name", sa.String(length=201), nullable=False),
        sa.Column("name_key", sa.String(length=201), nullable=True),
        sa.Column("phone_key", sa.String(length=32), nullable=True),
        sa.Column("email_key", sa.String(length=254), nullable=True),
        sa.Column("emergency_first_visit", sa.Boolean(), nullable=False),
        sa.Column("outcome_reason", sa.String(length=500), nullable=True),
        sa.Column("waiting_for", sa.String(length=32), nullable=True),
        sa.Column("task_token", sa.String(length=2048), nullable=True),
        sa.Column("execution_arn", sa.String(length=2048), nullable=True),
        sa.Column("duplicate_of_id", sa.String(length=36), nullable=True),
        sa.Column("merged_into_id", sa.String(length=36), nullable=True),
        sa.Column("created_by", sa.String(length=128), nullable=False),
        sa.Column("erased_at", UtcDateTime(), nullable=True),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["duplicate_of_id"], ["clients.id"], name=op.f("fk_clients_duplicate_of_id_clients")),
        sa.ForeignKeyConstraint(["merged_into_id"], ["clients.id"], name=op.f("fk_clients_merged_into_id_clients")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_clients")),
    )
    op.create_index(op.f("ix_clients_email_key"), "clients", ["email_key"], unique=False)
    op.create_index(op.f("ix_clients_name_key_birth_date"), "clients", ["name_key", "birth_date"], unique=False)
    op.create_index(op.f("ix_clients_phone_key"), "clients", ["phone_key"], unique=False)
    op.create_index(op.f("ix_clients_search_name"), "clients", ["search_name"], unique=False)
    op.create_table(
        "idempotency_records",
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("request_hash", sa.String(length=64), nullable=False),
        sa.Column("entity_id", sa.String(length=64), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_idempotency_records")),
    )
    op.create_table(
        "sites",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sites")),
        sa.UniqueConstraint("code", name=op.f("uq_sites_code")),
    )
    op.create_table(
        "consent_records",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("client_id", sa.String(length=36), nullable=False),
        sa.Column(
            "purpose",
            sa.Enum(
                "data_processing",
                "sms",
                name="consentpurpose",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("granted", sa.Boolean(), nullable=False),
        sa.Column("text_version", sa.String(length=32), nullable=False),
        sa.Column("channel", sa.String(length=32), nullable=False),
        sa.Column("recorded_by", sa.String(length=128), nullable=False),
        sa.Column("recorded_at", UtcDateTime(), nullable=False),
        sa.Column("withdrawn_at", UtcDateTime(), nullable=True),
        sa.ForeignKeyConstraint(["client_id"], ["clients.id"], name=op.f("fk_consent_records_client_id_clients")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_consent_records")),
        sa.UniqueConstraint("client_id", "purpose", name=op.f("uq_consent_records_client_id_purpose")),
    )
    op.create_table(
        "eligibility_evidence",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("client_id", sa.String(length=36), nullable=False),
        sa.Column(
            "type",
            sa.Enum(
                "social_benefit_certificate",
                "income_statement",
                "referral_letter",
                "none_yet",
                name="evidencetype",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("reference", sa.String(length=100), nullable=True),
        sa.Column("expires_on", sa.Date(), nullable=True),
        sa.Column(
            "status",
            sa.Enum(
                "received",
                "accepted",
                "rejected",
                "expired",
                name="evidencestatus",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("rejection_reason", sa.String(length=500), nullable=True),
        sa.Column("recorded_by", sa.String(length=128), nullable=False),
        sa.Column("received_at", UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["client_id"], ["clients.id"], name=op.f("fk_eligibility_evidence_client_id_clients")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_eligibility_evidence")),
    )
    op.create_index(op.f("ix_eligibility_evidence_client_id"), "eligibility_evidence", ["client_id"], unique=False)
    op.create_table(
        "frames",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("site_id", sa.String(length=36), nullable=True),
        sa.Column("reference", sa.String(length=64), nullable=False),
        sa.Column("model", sa.String(length=100), nullable=False),
        sa.Column("colour", sa.String(length=50), nullable=True),
        sa.Column("size", sa.String(length=20), nullable=True),
        sa.Column(
            "status",
            sa.Enum(
                "available",
                "reserved",
                "delivered",
                "retired",
                name="framestatus",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("donated_at", UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["site_id"], ["sites.id"], name=op.f("fk_frames_site_id_sites")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_frames")),
        sa.UniqueConstraint("reference", name=op.f("uq_frames_reference")),
    )
    op.create_index(op.f("ix_frames_site_id_status"), "frames", ["site_id", "status"], unique=False)
    op.create_table(
        "notifications",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("dedup_key", sa.String(length=200), nullable=False),
        sa.Column("client_id", sa.String(length=36), nullable=False),
        sa.Column(
            "channel",
            sa.Enum(
                "sms",
                "email",
                name="notificationchannel",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("template", sa.String(length=64), nullable=False),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("payload", JsonText(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "pending",
                "sent",
                "failed",
                "cancelled",
                name="notificationstatus",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("sent_at", UtcDateTime(), nullable=True),
        sa.ForeignKeyConstraint(["client_id"], ["clients.id"], name=op.f("fk_notifications_client_id_clients")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notifications")),
        sa.UniqueConstraint("dedup_key", name=op.f("uq_notifications_dedup_key")),
    )
    op.create_index(op.f("ix_notifications_client_id"), "notifications", ["client_id"], unique=False)
    op.create_index(op.f("ix_notifications_status_created_at"), "notifications", ["status", "created_at"], unique=False)
    op.create_table(
        "orders",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("client_id", sa.String(length=36), nullable=False),
        sa.Column("site_id", sa.String(length=36), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "received",
                "frame_reserved",
                "submitted_to_lab",
                "lab_rejected",
                "quality_check",
                "ready",
                "delivered",
                "cancelled",
                name="orderstatus",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("lab_reference", sa.String(length=64), nullable=True),
        sa.Column("lab_note", sa.String(length=500), nullable=True),
        sa.Column("task_token", sa.String(length=2048), nullable=True),
        sa.Column("execution_arn", sa.String(length=2048), nullable=True),
        sa.Column("created_by", sa.String(length=128), nullable=False),
        sa.Column("ready_at", UtcDateTime(), nullable=True),
        sa.Column("delivered_at", UtcDateTime(), nullable=True),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["client_id"], ["clients.id"], name=op.f("fk_orders_client_id_clients")),
        sa.ForeignKeyConstraint(["site_id"], ["sites.id"], name=op.f("fk_orders_site_id_sites")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_orders")),
    )
    op.create_index(op.f("ix_orders_client_id"), "orders", ["client_id"], unique=False)
    op.create_table(
        "stations",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("site_id", sa.String(length=36), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "reception",
                "eye_exam",
                "frame_fitting",
                "pickup",
                name="stationkind",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["site_id"], ["sites.id"], name=op.f("fk_stations_site_id_sites")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stations")),
        sa.UniqueConstraint("site_id", "name", name=op.f("uq_stations_site_id_name")),
    )
    op.create_table(
        "ticket_counters",
        sa.Column("site_id", sa.String(length=36), nullable=False),
        sa.Column("service_day", sa.Date(), nullable=False),
        sa.Column("last_number", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["site_id"], ["sites.id"], name=op.f("fk_ticket_counters_site_id_sites")),
        sa.PrimaryKeyConstraint("site_id", "service_day", name=op.f("pk_ticket_counters")),
    )
    op.create_table(
        "frame_reservations",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("order_id", sa.String(length=36), nullable=False),
        sa.Column("frame_id", sa.String(length=36), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "active",
                "released",
                "fulfilled",
                name="reservationstatus",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("reserved_at", UtcDateTime(), nullable=False),
        sa.Column("released_at", UtcDateTime(), nullable=True),
        sa.Column("release_reason", sa.String(length=200), nullable=True),
        sa.ForeignKeyConstraint(["frame_id"], ["frames.id"], name=op.f("fk_frame_reservations_frame_id_frames")),
        sa.ForeignKeyConstraint(["order_id"], ["orders.id"], name=op.f("fk_frame_reservations_order_id_orders")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_frame_reservations")),
        sa.UniqueConstraint("order_id", name=op.f("uq_frame_reservations_order_id")),
    )
    op.create_index(op.f("ix_frame_reservations_frame_id"), "frame_reservations", ["frame_id"], unique=False)
    op.create_table(
        "prescriptions",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("order_id", sa.String(length=36), nullable=False),
        sa.Column("prescribed_by", sa.String(length=200), nullable=True),
        sa.Column("prescribed_on", sa.Date(), nullable=True),
        sa.Column("right_sphere", sa.Numeric(precision=5, scale=2), nullable=False),
        sa.Column("right_cylinder", sa.Numeric(precision=5, scale=2), nullable=False),
        sa.Column("right_axis", sa.Integer(), nullable=True),
        sa.Column("right_addition", sa.Numeric(precision=4, scale=2), nullable=True),
        sa.Column("right_pd", sa.Numeric(precision=4, scale=1), nullable=False),
        sa.Column("left_sphere", sa.Numeric(precision=5, scale=2), nullable=False),
        sa.Column("left_cylinder", sa.Numeric(precision=5, scale=2), nullable=False),
        sa.Column("left_axis", sa.Integer(), nullable=True),
        sa.Column("left_addition", sa.Numeric(precision=4, scale=2), nullable=True),
        sa.Column("left_pd", sa.Numeric(precision=4, scale=1), nullable=False),
        sa.CheckConstraint(
            "left_axis IS NULL OR (left_axis BETWEEN 0 AND 180)",
            name=op.f("ck_prescriptions_left_axis_range"),
        ),
        sa.CheckConstraint(
            "right_axis IS NULL OR (right_axis BETWEEN 0 AND 180)",
            name=op.f("ck_prescriptions_right_axis_range"),
        ),
        sa.ForeignKeyConstraint(["order_id"], ["orders.id"], name=op.f("fk_prescriptions_order_id_orders")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_prescriptions")),
        sa.UniqueConstraint("order_id", name=op.f("uq_prescriptions_order_id")),
    )
    op.create_table(
        "tickets",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("site_id", sa.String(length=36), nullable=False),
        sa.Column("service_day", sa.Date(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("station_id", sa.String(length=36), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "waiting",
                "called",
                "serving",
                "completed",
                "no_show",
                "expired",
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
                name="ticketpriority",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("priority_rank", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.String(length=36), nullable=True),
        sa.Column("called_at", UtcDateTime(), nullable=True),
        sa.Column("served_at", UtcDateTime(), nullable=True),
        sa.Column("task_token", sa.String(length=2048), nullable=True),
        sa.Column("execution_arn", sa.String(length=2048), nullable=True),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["client_id"], ["clients.id"], name=op.f("fk_tickets_client_id_clients")),
        sa.ForeignKeyConstraint(["site_id"], ["sites.id"], name=op.f("fk_tickets_site_id_sites")),
        sa.ForeignKeyConstraint(["station_id"], ["stations.id"], name=op.f("fk_tickets_station_id_stations")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tickets")),
        sa.UniqueConstraint("site_id", "service_day", "number", name=op.f("uq_tickets_site_id_service_day_number")),
    )
    op.create_index(
        op.f("ix_tickets_station_id_status_priority_rank_created_at"),
        "tickets",
        ["station_id", "status", "priority_rank", "created_at"],
        unique=False,
    )


def downgrade() -> None:

    op.drop_index(op.f("ix_tickets_station_id_status_priority_rank_created_at"), table_name="tickets")
    op.drop_table("tickets")
    op.drop_table("prescriptions")
    op.drop_index(op.f("ix_frame_reservations_frame_id"), table_name="frame_reservations")
    op.drop_table("frame_reservations")
    op.drop_table("ticket_counters")
    op.drop_table("stations")
    op.drop_index(op.f("ix_orders_client_id"), table_name="orders")
    op.drop_table("orders")
    op.drop_index(op.f("ix_notifications_status_created_at"), table_name="notifications")
    op.drop_index(op.f("ix_notifications_client_id"), table_name="notifications")
    op.drop_table("notifications")
    op.drop_index(op.f("ix_frames_site_id_status"), table_name="frames")
    op.drop_table("frames")
    op.drop_index(op.f("ix_eligibility_evidence_client_id"), table_name="eligibility_evidence")
    op.drop_table("eligibility_evidence")
    op.drop_table("consent_records")
    op.drop_table("sites")
    op.drop_table("idempotency_records")
    op.drop_index(op.f("ix_clients_search_name"), table_name="clients")
    op.drop_index(op.f("ix_clients_phone_key"), table_name="clients")
    op.drop_index(op.f("ix_clients_name_key_birth_date"), table_name="clients")
    op.drop_index(op.f("ix_clients_email_key"), table_name="clients")
    op.drop_table("clients")
    op.drop_index(op.f("ix_audit_log_entity_type_entity_id"), table_name="audit_log")
    op.drop_table("audit_log")
