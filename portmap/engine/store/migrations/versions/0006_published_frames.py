"""Each shared poller's last poll, as the faces on any machine read it (core/published.py)."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"


def upgrade() -> None:
    op.create_table(
        "published_frames",
        sa.Column("poller", sa.String(255), primary_key=True),
        sa.Column("taken_at", sa.Float, nullable=False),
        sa.Column("document", sa.Text, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("published_frames")
