"""Catalog: categories, products, their variants (SKUs) and teaser media.

A product is what a buyer sees on a teaser card; a variant is what is priced, stocked and put
in a cart (size M in red). A product with one variant shows no variant picker.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from bot.domain.money import Money

#: At or below this many units a card says "only N left" (urgency without lying).
LOW_STOCK_THRESHOLD = 5


class MediaKind(StrEnum):
    VIDEO = "video"  # a short teaser clip: sendVideo
    PHOTO = "photo"  # a still: sendPhoto
    NONE = "none"  # a text card


@dataclass(frozen=True, slots=True)
class Media:
    """Where a teaser comes from. ``file_id`` is Telegram's handle once it has been uploaded.

    Telegram lets a bot resend a file by its ``file_id`` without uploading it again, so the
    first send uses ``source`` (a URL or a local path) and every later send reuses the id.
    """

    id: int
    kind: MediaKind
    source: str
    file_id: str | None = None


@dataclass(frozen=True, slots=True)
class Category:
    id: int
    name: str
    slug: str
    position: int = 0


@dataclass(frozen=True, slots=True)
class Variant:
    id: int
    product_id: int
    sku: str
    name: str
    price: Money
    stock: int
    active: bool = True

    @property
    def available(self) -> int:
        """Units a buyer may put in a cart now (never negative)."""
        return max(self.stock, 0) if self.active else 0


class StockLevel(StrEnum):
    OUT = "out"
    LOW = "low"
    IN_STOCK = "in"


@dataclass(frozen=True, slots=True)
class StockHint:
    level: StockLevel
    units: int


def stock_hint(units: int) -> StockHint:
    """What a card says about stock: out, "only N left", or plainly in stock."""
    if units <= 0:
        return StockHint(StockLevel.OUT, 0)
    if units <= LOW_STOCK_THRESHOLD:
        return StockHint(StockLevel.LOW, units)
    return StockHint(StockLevel.IN_STOCK, units)


@dataclass(frozen=True, slots=True)
class Product:
    id: int
    category_id: int | None
    name: str
    description: str
    variants: tuple[Variant, ...]
    teaser: Media | None = None
    photo: Media | None = None
    active: bool = True
    tags: tuple[str, ...] = field(default=())
    #: Delivered in the chat (a code, a file): no shipping, and may be sold for Telegram Stars.
    digital: bool = False
    #: What a digital product delivers once paid (a code, a link), shown in the receipt.
    digital_content: str | None = None

    @property
    def sellable_variants(self) -> tuple[Variant, ...]:
        return tuple(v for v in self.variants if v.active)

    @property
    def available(self) -> int:
        return sum(v.available for v in self.variants)

    @property
    def price_from(self) -> Money | None:
        """The lowest price among active variants (cards say "from $9.00" when they differ)."""
        prices = [v.price for v in self.sellable_variants]
        if not prices:
            return None
        return min(prices, key=lambda m: m.amount)

    @property
    def has_price_range(self) -> bool:
        return len({v.price.amount for v in self.sellable_variants}) > 1

    @property
    def card_media(self) -> Media | None:
        """The teaser video if there is one, else the photo, else none (a text card)."""
        return self.teaser or self.photo

    def variant(self, variant_id: int) -> Variant | None:
        return next((v for v in self.variants if v.id == variant_id), None)


#: The most units of a variant in stock, and the highest price (in minor units), a catalog
#: file or the merchant's screens accept.
MAX_STOCK = 1_000_000_000
MAX_PRICE_MINOR = 10**12


def search_text(name: str, description: str, tags: tuple[str, ...], category: str) -> str:
    """What the catalog search matches a product on (one casefolded line, 4000 at most)."""
    return " ".join([name, description, " ".join(tags), category]).casefold()[:4000]
