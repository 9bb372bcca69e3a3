"""counter names and screen languages: what people read and hear ("Guichet 2") instead of a counter's
id, and the languages a site's waiting-room screen announces calls in

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-08
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from lambdas.shared.db.types import JsonText

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

# a JSON column is added empty and filled in, since MySQL gives a TEXT column no literal default
ADDED = (("stations", "counter_names", "{}"), ("sites", "screen_languages", '["fr"]'))


def upgrade() -> None:
    for table, column, value in ADDED:
        with op.batch_alter_table(table) as batch_op:
            batch_op.add_column(sa.Column(column, JsonText(), nullable=True))
        op.execute(sa.table(table, sa.column(column)).update().values({column: value}))
        with op.batch_alter_table(table) as batch_op:
            batch_op.alter_column(column, existing_type=JsonText(), nullable=False)


def downgrade() -> None:
    for table, column, _ in ADDED:
        with op.batch_alter_table(table) as batch_op:
            batch_op.drop_column(column)
