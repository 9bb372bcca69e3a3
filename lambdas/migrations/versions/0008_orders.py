"""orders: frames by SKU, prescriptions as versions, orders and their events, the lab's outbox
(the order tables of the first schema were never written to: they are replaced)

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from lambdas.shared.db.types import JsonText, UtcDateTime

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

FIRST_SCHEMA_ORDER_TABLES = ("frame_reservations", "prescriptions", "frames", "orders")
NEW_TABLES = ("order_events", "lab_submissions", "orders", "prescriptions", "frame_stock")


def upgrade() -> None:
    connection = op.get_bind()
    for table in FIRST_SCHEMA_ORDER_TABLES:  # no release wrote them; a stage where someone did keeps its rows
        if connection.execute(sa.text(f"SELECT COUNT(*) FROM {table}")).scalar_one():  # noqa: S608 - our names
            raise RuntimeError(f"table {table} holds rows: move them before this migration replaces it")
    for table in FIRST_SCHEMA_ORDER_TABLES:
        op.drop_table(table)
    op.create_table(
        "frame_stock",
        sa.Column("site_id", sa.String(length=36), nullable=False),
        sa.Column("sku", sa.String(length=64), nullable=False),
        sa.Column("description", sa.String(length=200), nullable=False),
        sa.Column(
            "kind",
            sa.Enum("donated", "new", name="framekind", native_enum=False, create_constraint=True, length=32),
            nullable=False,
        ),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("configured_by", sa.String(length=128), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.CheckConstraint("quantity >= 0", name=op.f("ck_frame_stock_quantity_not_negative")),
        sa.ForeignKeyConstraint(["site_id"], ["sites.id"], name=op.f("fk_frame_stock_site_id_sites")),
        sa.PrimaryKeyConstraint("site_id", "sku", name=op.f("pk_frame_stock")),
    )
    op.create_table(
        "prescriptions",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("client_id", sa.String(length=36), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("rx", JsonText(), nullable=False),
        sa.Column("prescriber", sa.String(length=100), nullable=False),
        sa.Column("written_on", sa.Date(), nullable=False),
        sa.Column("recorded_by", sa.String(length=128), nullable=False),
        sa.Column("recorded_at", UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["client_id"], ["clients.id"], name=op.f("fk_prescriptions_client_id_clients")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_prescriptions")),
        sa.UniqueConstraint("client_id", "version", name=op.f("uq_prescriptions_client_id_version")),
    )
    op.create_table(
        "orders",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("client_id", sa.String(length=36), nullable=False),
        sa.Column("site_id", sa.String(length=36), nullable=False),
        sa.Column("prescription_id", sa.String(length=36), nullable=True),
        sa.Column("frame_sku", sa.String(length=64), nullable=False),
        sa.Column("lens", JsonText(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "received",
                "awaiting_frame",
                "frame_reserved",
                "at_lab",
                "remake",
                "quality_check",
                "ready",
                "delivered",
                "cancelled",
                "lab_rejected",
                "qc_failed",
                "uncollected",
                name="orderstatus",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("frame_reserved", sa.Boolean(), nullable=False),
        sa.Column("lenses_mounted", sa.Boolean(), nullable=False),
        sa.Column("lab_attempt", sa.Integer(), nullable=False),
        sa.Column("lab_started_at", UtcDateTime(), nullable=True),
        sa.Column("lab_status", sa.String(length=32), nullable=True),
        sa.Column("lab_reference", sa.String(length=64), nullable=True),
        sa.Column("lab_expected_on", sa.Date(), nullable=True),
        sa.Column("reason", sa.String(length=200), nullable=True),
        sa.Column("created_by", sa.String(length=128), nullable=False),
        sa.Column("execution_arn", sa.String(length=2048), nullable=True),
        sa.Column("ready_at", UtcDateTime(), nullable=True),
        sa.Column("ended_at", UtcDateTime(), nullable=True),
        sa.Column("waiting_for", sa.String(length=32), nullable=True),
        sa.Column("task_token", sa.String(length=2048), nullable=True),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["client_id"], ["clients.id"], name=op.f("fk_orders_client_id_clients")),
        sa.ForeignKeyConstraint(
            ["prescription_id"], ["prescriptions.id"], name=op.f("fk_orders_prescription_id_prescriptions")
        ),
        sa.ForeignKeyConstraint(["site_id"], ["sites.id"], name=op.f("fk_orders_site_id_sites")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_orders")),
    )
    op.create_index(op.f("ix_orders_client_id"), "orders", ["client_id"], unique=False)
    op.create_index(
        op.f("ix_orders_site_id_frame_sku_status"), "orders", ["site_id", "frame_sku", "status"], unique=False
    )
    op.create_table(
        "lab_submissions",
        sa.Column("order_id", sa.String(length=36), nullable=False),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("remake_reason", sa.String(length=200), nullable=True),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("handed_over_at", UtcDateTime(), nullable=True),
        sa.ForeignKeyConstraint(["order_id"], ["orders.id"], name=op.f("fk_lab_submissions_order_id_orders")),
        sa.PrimaryKeyConstraint("order_id", "attempt", name=op.f("pk_lab_submissions")),
    )
    op.create_table(
        "order_events",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("order_id", sa.String(length=36), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("actor", sa.String(length=128), nullable=False),
        sa.Column("at", UtcDateTime(), nullable=False),
        sa.Column("details", JsonText(), nullable=False),
        sa.ForeignKeyConstraint(["order_id"], ["orders.id"], name=op.f("fk_order_events_order_id_orders")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_order_events")),
    )
    op.create_index(op.f("ix_order_events_kind_at"), "order_events", ["kind", "at"], unique=False)
    op.create_index(op.f("ix_order_events_order_id"), "order_events", ["order_id"], unique=False)


def downgrade() -> None:
    for table in NEW_TABLES:
        op.drop_table(table)
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
