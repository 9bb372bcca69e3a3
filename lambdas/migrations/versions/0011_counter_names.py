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

# Nullable, and null read as the default (no name, French): the code deployed before this revision
# inserts sites and stations without them while the stack updates, or after a rollback
ADDED = (("stations", "counter_names"), ("sites", "screen_languages"))


def upgrade() -> None:
    for table, column in ADDED:
        with op.batch_alter_table(table) as batch_op:
            batch_op.add_column(sa.Column(column, JsonText(), nullable=True))


def downgrade() -> None:
    for table, column in ADDED:
        with op.batch_alter_table(table) as batch_op:
            batch_op.drop_column(column)
