"""one-time coupon codes

A coupon may have one-time codes (``storefront coupons codes``): each redeems the coupon once,
for one buyer. The buyer's applied coupon remembers which code they typed.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-07 21:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.types

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "coupon_code",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("coupon_id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("used_by", sa.BigInteger(), nullable=True),
        sa.Column("used_at", storage.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["coupon_id"],
            ["coupon.id"],
            name=op.f("fk_coupon_code_coupon_id_coupon"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_coupon_code")),
        sa.UniqueConstraint("code", name=op.f("uq_coupon_code_code")),
    )
    with op.batch_alter_table("coupon_code", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_coupon_code_coupon_id"), ["coupon_id"], unique=False)
    with op.batch_alter_table("shop_user", schema=None) as batch_op:
        batch_op.add_column(sa.Column("coupon_code", sa.String(length=32), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("shop_user", schema=None) as batch_op:
        batch_op.drop_column("coupon_code")
    with op.batch_alter_table("coupon_code", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_coupon_code_coupon_id"))
    op.drop_table("coupon_code")
