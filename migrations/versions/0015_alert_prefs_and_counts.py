"""alerts the buyer controls

Each buyer's alert choices (kinds and categories turned off, their own daily cap, time zone,
quiet hours), the marketing messages each got per local day, and the time a held marketing
notice may go out.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-07 23:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.types

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "alert_prefs",
        sa.Column("user_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("kinds_off", sa.String(length=200), nullable=False),
        sa.Column("categories_off", sa.String(length=2000), nullable=False),
        sa.Column("cap", sa.Integer(), nullable=True),
        sa.Column("zone", sa.String(length=64), nullable=True),
        sa.Column("quiet_start", sa.Integer(), nullable=True),
        sa.Column("quiet_end", sa.Integer(), nullable=True),
        sa.Column("quiet_off", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_alert_prefs")),
    )
    op.create_table(
        "alert_count",
        sa.Column("user_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("day", sa.String(length=10), nullable=False),
        sa.Column("sent", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("user_id", "day", name=op.f("pk_alert_count")),
    )
    with op.batch_alter_table("notification", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("not_before", storage.types.UTCDateTime(timezone=True), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table("notification", schema=None) as batch_op:
        batch_op.drop_column("not_before")
    op.drop_table("alert_count")
    op.drop_table("alert_prefs")
