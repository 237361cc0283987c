"""support threads

"💬 Ask the shop": a buyer's threads with the staff, their messages, and the staff-chat
messages that stand for a thread (a reply to one answers it).

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-07 23:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.types

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _when(name: str, nullable: bool = True) -> sa.Column:  # type: ignore[type-arg]
    return sa.Column(name, storage.types.UTCDateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "support_thread",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("buyer_id", sa.BigInteger(), nullable=False),
        sa.Column("product_id", sa.BigInteger(), nullable=True),
        sa.Column("order_id", sa.BigInteger(), nullable=True),
        sa.Column("subject", sa.String(length=128), nullable=False),
        sa.Column("status", sa.String(length=8), nullable=False),
        _when("created_at", nullable=False),
        _when("updated_at", nullable=False),
        _when("waiting_since"),
        _when("reminded_at"),
        _when("closed_at"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_support_thread")),
    )
    with op.batch_alter_table("support_thread", schema=None) as batch_op:
        batch_op.create_index(
            "ix_support_thread_buyer", ["buyer_id", "product_id", "order_id"], unique=False
        )
        batch_op.create_index(
            "ix_support_thread_status_waiting", ["status", "waiting_since"], unique=False
        )
    op.create_table(
        "support_message",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("thread_id", sa.Integer(), nullable=False),
        sa.Column("author", sa.String(length=8), nullable=False),
        sa.Column("author_id", sa.BigInteger(), nullable=False),
        sa.Column("text", sa.String(length=1000), nullable=False),
        sa.Column("photo_file_id", sa.String(length=256), nullable=True),
        _when("created_at", nullable=False),
        sa.ForeignKeyConstraint(
            ["thread_id"],
            ["support_thread.id"],
            name=op.f("fk_support_message_thread_id_support_thread"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_support_message")),
    )
    with op.batch_alter_table("support_message", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_support_message_thread_id"), ["thread_id"], unique=False
        )
    op.create_table(
        "support_post",
        sa.Column("chat_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("message_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("thread_id", sa.Integer(), nullable=False),
        _when("posted_at", nullable=False),
        sa.ForeignKeyConstraint(
            ["thread_id"],
            ["support_thread.id"],
            name=op.f("fk_support_post_thread_id_support_thread"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("chat_id", "message_id", name=op.f("pk_support_post")),
    )
    with op.batch_alter_table("support_post", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_support_post_thread_id"), ["thread_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("support_post", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_support_post_thread_id"))
    op.drop_table("support_post")
    with op.batch_alter_table("support_message", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_support_message_thread_id"))
    op.drop_table("support_message")
    with op.batch_alter_table("support_thread", schema=None) as batch_op:
        batch_op.drop_index("ix_support_thread_status_waiting")
        batch_op.drop_index("ix_support_thread_buyer")
    op.drop_table("support_thread")
