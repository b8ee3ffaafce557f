"""Each poller's lease life, so that a reader of the store can tell a late heartbeat from a dead poller."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"


def upgrade() -> None:
    with op.batch_alter_table("pollers") as table:
        table.add_column(sa.Column("lease_s", sa.Float, nullable=False, server_default="0"))


def downgrade() -> None:
    with op.batch_alter_table("pollers") as table:
        table.drop_column("lease_s")
