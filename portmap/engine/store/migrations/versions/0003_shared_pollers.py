"""Pollers sharing one store: who is alive, which device each one polls, and the baselines a
poller that takes a device over continues from."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"


def upgrade() -> None:
    op.create_table("pollers", sa.Column("name", sa.String(255), primary_key=True), sa.Column("groups", sa.Text, nullable=False),
                    sa.Column("host", sa.String(255), nullable=False), sa.Column("pid", sa.Integer, nullable=False),
                    sa.Column("started_at", sa.Float, nullable=False), sa.Column("heartbeat_at", sa.Float, nullable=False),
                    sa.Column("devices", sa.Integer, nullable=False))
    op.create_table("device_leases", sa.Column("device", sa.String(255), primary_key=True),
                    sa.Column("poller", sa.String(255), nullable=False), sa.Column("taken_at", sa.Float, nullable=False),
                    sa.Column("expires_at", sa.Float, nullable=False))
    op.create_table("port_baselines", sa.Column("device", sa.String(255), primary_key=True),
                    sa.Column("port", sa.String(255), primary_key=True), sa.Column("direction", sa.String(3), primary_key=True),
                    sa.Column("metric", sa.String(32), primary_key=True), sa.Column("level", sa.Float, nullable=False),
                    sa.Column("spread", sa.Float, nullable=False), sa.Column("samples", sa.Integer, nullable=False),
                    sa.Column("updated_at", sa.Float, nullable=False))
    op.create_table("flagged_since", sa.Column("device", sa.String(255), primary_key=True),
                    sa.Column("port", sa.String(255), primary_key=True), sa.Column("since", sa.Float, nullable=False),
                    sa.Column("saved_at", sa.Float, nullable=False))


def downgrade() -> None:
    for name in ("flagged_since", "port_baselines", "device_leases", "pollers"):
        op.drop_table(name)
