"""SQLModel tables. Small on purpose: rules live in ``bot.domain``, queries in repositories.

Telegram user and chat ids are 64-bit, so they are ``BigInteger`` (SQLModel's ``int`` would be a
32-bit ``INTEGER`` on PostgreSQL). Amounts are integer minor units next to an ISO currency.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Column, ForeignKey, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

# Every table module, so that importing this one registers every table on the metadata.
from storage import (  # noqa: F401
    admin_tables,
    alert_tables,
    drop_tables,
    group_tables,
    inbox_tables,
    live_tables,
    order_tables,
    sale_tables,
    support_tables,
    trust_tables,
)
from storage.table_base import _ts, utcnow
from storage.table_base import metadata as metadata  # every table's (Alembic, the tests)
from storage.types import UTCDateTime


class MediaRow(SQLModel, table=True):
    __tablename__ = "media"

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=8)
    #: A URL or a local file path; used until Telegram hands back a ``file_id``.
    source: str = Field(max_length=1024)
    file_id: str | None = Field(default=None, max_length=256)


class CategoryRow(SQLModel, table=True):
    __tablename__ = "category"

    id: int | None = Field(default=None, primary_key=True)
    slug: str = Field(max_length=64, unique=True)
    name: str = Field(max_length=128)
    position: int = 0


class ProductRow(SQLModel, table=True):
    __tablename__ = "product"
    __table_args__ = (Index("ix_product_category_active", "category_id", "active", "position"),)

    id: int | None = Field(default=None, primary_key=True)
    slug: str = Field(max_length=64, unique=True)
    category_id: int | None = Field(
        default=None, sa_column=Column(ForeignKey("category.id", ondelete="SET NULL"))
    )
    name: str = Field(max_length=128)
    description: str = Field(default="", max_length=2000)
    tags: str = Field(default="", max_length=512)
    #: Case-folded name, description, tags and category name: what /search matches against.
    search_text: str = Field(default="", max_length=4000)
    position: int = 0
    active: bool = True
    digital: bool = False
    #: What a digital product delivers in the chat once paid (a code, a link).
    digital_content: str | None = Field(default=None, max_length=1000)
    teaser_id: int | None = Field(
        default=None, sa_column=Column(ForeignKey("media.id", ondelete="SET NULL"))
    )
    photo_id: int | None = Field(
        default=None, sa_column=Column(ForeignKey("media.id", ondelete="SET NULL"))
    )
    created_at: datetime = Field(default_factory=utcnow, sa_column=_ts())


class VariantRow(SQLModel, table=True):
    __tablename__ = "variant"

    id: int | None = Field(default=None, primary_key=True)
    product_id: int = Field(
        sa_column=Column(ForeignKey("product.id", ondelete="CASCADE"), nullable=False, index=True)
    )
    sku: str = Field(max_length=64, unique=True)
    name: str = Field(default="", max_length=128)
    price_minor: int = Field(sa_column=Column(BigInteger, nullable=False))
    currency: str = Field(max_length=3)
    stock: int = 0
    position: int = 0
    active: bool = True


class UserRow(SQLModel, table=True):
    __tablename__ = "shop_user"

    id: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    first_name: str = Field(default="", max_length=128)
    username: str | None = Field(default=None, max_length=64)
    #: What Telegram reported (``language_code``); the default for ``locale``.
    language_code: str | None = Field(default=None, max_length=16)
    #: What the buyer chose with /lang, if anything.
    locale: str | None = Field(default=None, max_length=16)
    created_at: datetime = Field(default_factory=utcnow, sa_column=_ts())
    last_seen_at: datetime = Field(default_factory=utcnow, sa_column=_ts())
    #: The coupon the buyer applied (/coupon, a c_ link, a button), used at the next checkout.
    coupon_id: int | None = Field(
        default=None, sa_column=Column(ForeignKey("coupon.id", ondelete="SET NULL"))
    )
    #: The one-time code of that coupon the buyer typed, if it was one (``coupon_code``).
    coupon_code: str | None = Field(default=None, max_length=32)
    #: ship or pickup: what the buyer chose last time, so a returning buyer skips the question.
    delivery: str | None = Field(default=None, max_length=8)
    #: When the abandoned-cart reminder went out (one per cart).
    cart_reminded_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    #: /stop: no drops (broadcasts) until /start again.
    drops_off: bool = False
    #: Telegram answered 403 (the person blocked the bot): no drops.
    blocked: bool = False


class CartLineRow(SQLModel, table=True):
    __tablename__ = "cart_line"
    __table_args__ = (UniqueConstraint("user_id", "variant_id", name="uq_cart_line_user_variant"),)

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(
        sa_column=Column(
            BigInteger, ForeignKey("shop_user.id", ondelete="CASCADE"), nullable=False, index=True
        )
    )
    variant_id: int = Field(
        sa_column=Column(ForeignKey("variant.id", ondelete="CASCADE"), nullable=False)
    )
    quantity: int
    added_at: datetime = Field(default_factory=utcnow, sa_column=_ts())
    updated_at: datetime = Field(default_factory=utcnow, sa_column=_ts())


class ProcessedUpdateRow(SQLModel, table=True):
    """Telegram ``update_id`` values already handled: a redelivered update changes nothing."""

    __tablename__ = "processed_update"

    update_id: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    processed_at: datetime = Field(default_factory=utcnow, sa_column=_ts())


class SearchRow(SQLModel, table=True):
    """A buyer's search, so paging buttons carry only its id, never the words."""

    __tablename__ = "search"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(sa_column=Column(BigInteger, nullable=False, index=True))
    query: str = Field(max_length=256)
    created_at: datetime = Field(default_factory=utcnow, sa_column=_ts())


class ConversationStateRow(SQLModel, table=True):
    """The UI step a buyer is in (e.g. typing a quantity). Only UI; never the truth of an order."""

    __tablename__ = "conversation_state"

    user_id: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    chat_id: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    state: str = Field(max_length=64)
    data: str = Field(default="{}", max_length=2000)
    updated_at: datetime = Field(default_factory=utcnow, sa_column=_ts())


class WrongGuessRow(SQLModel, table=True):
    """A wrong code a buyer typed or opened (``bot.domain.guesses``): the guessing limit counts
    these per buyer in its window; housekeeping deletes them once older than any window."""

    __tablename__ = "wrong_guess"
    __table_args__ = (Index("ix_wrong_guess_user_at", "user_id", "at"),)

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(sa_column=Column(BigInteger, nullable=False))
    kind: str = Field(max_length=16)
    at: datetime = Field(default_factory=utcnow, sa_column=_ts())
