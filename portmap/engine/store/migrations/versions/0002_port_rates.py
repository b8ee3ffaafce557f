"""Per-port rates rolled up per minute and per hour."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"

FIGURES = ("in_pps", "out_pps", "in_bps", "out_bps", "trouble_ps", "util_pct")


def upgrade() -> None:
    for name in ("port_minutes", "port_hours"):
        op.create_table(name, sa.Column("device", sa.String(255), primary_key=True), sa.Column("port", sa.String(255), primary_key=True),
                        sa.Column("period_start", sa.Float, primary_key=True), sa.Column("if_index", sa.Integer, nullable=False),
                        sa.Column("polls", sa.Integer, nullable=False),
                        *(sa.Column(f"{figure}_{kind}", sa.Float) for figure in FIGURES for kind in ("avg", "max")))
        op.create_index(f"{name}_by_time", name, ["period_start"])


def downgrade() -> None:
    op.drop_table("port_hours")
    op.drop_table("port_minutes")
