"""coupon public flag, a creator's gift coupon

A coupon button applies a coupon only for whom the shop gave it (a signed button) or when the
coupon is public; a creator may offer a coupon to whoever opens their link.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-08 10:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("coupon", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("public", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    with op.batch_alter_table("creator", schema=None) as batch_op:
        batch_op.add_column(sa.Column("coupon_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_creator_coupon_id_coupon"),
            "coupon",
            ["coupon_id"],
            ["id"],
            ondelete="SET NULL",
        )


def downgrade() -> None:
    with op.batch_alter_table("creator", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_creator_coupon_id_coupon"), type_="foreignkey")
        batch_op.drop_column("coupon_id")
    with op.batch_alter_table("coupon", schema=None) as batch_op:
        batch_op.drop_column("public")
