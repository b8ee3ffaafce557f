"""Incidents that pollers sharing a store wrote apart, merged into one (engine/store/correlator.py)."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"


def upgrade() -> None:
    with op.batch_alter_table("incidents") as table:  # SQLite alters tables by copying them
        table.add_column(sa.Column("merged_into", sa.Integer, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("incidents") as table:
        table.drop_column("merged_into")
