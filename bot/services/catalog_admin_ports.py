"""What the merchant console needs of the catalog beyond the importer's upserts: every product
(archived ones too), single-field edits, and media Telegram already holds (a ``file_id``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from bot.domain.catalog import MediaKind, Product
from bot.domain.money import Money


@dataclass(frozen=True, slots=True)
class ProductListing:
    id: int
    name: str
    active: bool
    #: Units in stock over the product's variants.
    stock: int
    variants: int


class CatalogEditing(Protocol):
    async def add_media(self, kind: MediaKind, file_id: str) -> int:
        """A media row for a video or photo Telegram holds (sent to the bot): its id."""
        ...

    async def add_local_media(self, kind: MediaKind, path: str) -> int:
        """A media row for a file kept on this machine (a dashboard upload): its id."""
        ...

    async def media_file(self, media_id: int) -> tuple[MediaKind, str] | None: ...
    async def set_card_media(self, product_id: int, media_id: int, kind: MediaKind) -> bool:
        """The card shows this video (its teaser) or photo (and no teaser) from now on."""
        ...

    async def shop_currency(self) -> str | None:
        """The currency most of the catalog is priced in (Stars aside), if any."""
        ...

    async def slug_taken(self, slug: str) -> bool: ...
    async def category_slug_taken(self, slug: str) -> bool: ...
    async def category_named(self, name: str) -> int | None: ...
    async def next_position(self) -> int: ...
    async def products_page(self, offset: int, limit: int) -> tuple[list[ProductListing], int]:
        """Products by name (archived included) and how many there are."""
        ...

    async def any_product(self, product_id: int) -> Product | None:
        """The product even when archived (buyers' reads skip archived ones)."""
        ...

    async def set_price(self, variant_id: int, price: Money) -> bool: ...
    async def set_stock(self, variant_id: int, stock: int) -> bool: ...
    async def set_active(self, product_id: int, active: bool) -> bool: ...
    async def set_texts(
        self, product_id: int, name: str, description: str, search_text: str
    ) -> bool:
        """A new name and description (and what the search matches them on)."""
        ...
