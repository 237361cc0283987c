"""Writes for the catalog importer (upsert by slug and SKU so a re-import updates in place) and
the merchant console's edits (every product, archived ones too)."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import func, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from bot.domain.catalog import Media, MediaKind, Product
from bot.domain.money import Money
from bot.services.catalog_admin_ports import ProductListing
from bot.services.ports import ProductDraft, VariantDraft
from storage.catalog_repository import to_variant
from storage.read_cache import ReadCache
from storage.tables import CategoryRow, MediaRow, ProductRow, VariantRow
from storage.types import rowcount


class SqlCatalogWriter:
    """Catalog upserts; once committed, this process's cached reads are dropped."""

    def __init__(
        self,
        session: AsyncSession,
        cache: ReadCache | None = None,
        after_commit: list[Callable[[], None]] | None = None,
    ) -> None:
        self._s = session
        self._cache = cache
        self._after_commit = after_commit if after_commit is not None else []

    def _changed(self) -> None:
        if self._cache is not None and self._cache.clear not in self._after_commit:
            self._after_commit.append(self._cache.clear)

    async def upsert_category(self, slug: str, name: str, position: int) -> int:
        row = await self._s.scalar(select(CategoryRow).where(CategoryRow.slug == slug))
        if row is None:
            row = CategoryRow(slug=slug, name=name, position=position)
            self._s.add(row)
        else:
            row.name, row.position = name, position
        await self._s.flush()
        self._changed()
        assert row.id is not None
        return row.id

    async def _media(self, current_id: int | None, kind: str, source: str | None) -> int | None:
        """Keep the stored row (and its Telegram ``file_id``) unless the source changed."""
        if source is None:
            return None
        if current_id is not None:
            row = await self._s.get(MediaRow, current_id)
            if row is not None and row.source == source and row.kind == kind:
                return current_id
        new = MediaRow(kind=kind, source=source)
        self._s.add(new)
        await self._s.flush()
        return new.id

    async def upsert_product(self, draft: ProductDraft, category_id: int | None) -> int:
        row = await self._s.scalar(select(ProductRow).where(ProductRow.slug == draft.slug))
        if row is None:
            row = ProductRow(slug=draft.slug, name=draft.name)
            self._s.add(row)
        row.name = draft.name
        row.description = draft.description
        row.tags = ",".join(draft.tags)
        row.search_text = draft.search_text
        row.category_id = category_id
        row.position = draft.position
        row.active = draft.active
        row.digital = draft.digital
        row.digital_content = draft.digital_content
        row.teaser_id = await self._media(row.teaser_id, "video", draft.teaser)
        row.photo_id = await self._media(row.photo_id, "photo", draft.photo)
        await self._s.flush()
        self._changed()
        assert row.id is not None
        return row.id

    async def sku_owner(self, sku: str) -> str | None:
        """The slug of the product that holds ``sku`` now, if any."""
        return await self._s.scalar(
            select(ProductRow.slug)
            .join(VariantRow, col(VariantRow.product_id) == ProductRow.id)
            .where(VariantRow.sku == sku)
        )

    async def upsert_variant(self, product_id: int, draft: VariantDraft) -> None:
        row = await self._s.scalar(select(VariantRow).where(VariantRow.sku == draft.sku))
        if row is None:
            row = VariantRow(
                product_id=product_id,
                sku=draft.sku,
                price_minor=draft.price.amount,
                currency=draft.price.currency,
            )
            self._s.add(row)
        row.product_id = product_id
        row.name = draft.name
        row.price_minor = draft.price.amount
        row.currency = draft.price.currency
        row.stock = draft.stock
        row.position = draft.position
        row.active = draft.active
        await self._s.flush()

    # --- the merchant console ---

    async def add_media(self, kind: MediaKind, file_id: str) -> int:
        row = MediaRow(kind=kind.value, source=file_id[:1024], file_id=file_id[:256])
        self._s.add(row)
        await self._s.flush()
        assert row.id is not None
        return row.id

    async def add_local_media(self, kind: MediaKind, path: str) -> int:
        """A media row for a file on this machine (uploaded from the dashboard): its id. The
        first card that shows it uploads it and stores Telegram's ``file_id``."""
        row = MediaRow(kind=kind.value, source=path[:1024], file_id=None)
        self._s.add(row)
        await self._s.flush()
        assert row.id is not None
        return row.id

    async def media_file(self, media_id: int) -> tuple[MediaKind, str] | None:
        row = await self._s.get(MediaRow, media_id)
        if row is None or row.file_id is None:
            return None
        return MediaKind(row.kind), row.file_id

    async def set_card_media(self, product_id: int, media_id: int, kind: MediaKind) -> bool:
        row = await self._s.get(ProductRow, product_id)
        if row is None:
            return False
        if kind is MediaKind.VIDEO:
            row.teaser_id = media_id
        else:
            row.photo_id, row.teaser_id = media_id, None
        await self._s.flush()
        self._changed()
        return True

    async def shop_currency(self) -> str | None:
        return await self._s.scalar(
            select(VariantRow.currency)
            .where(VariantRow.currency != "XTR")
            .group_by(VariantRow.currency)
            .order_by(func.count().desc(), VariantRow.currency)
            .limit(1)
        )

    async def slug_taken(self, slug: str) -> bool:
        return (
            await self._s.scalar(select(ProductRow.id).where(ProductRow.slug == slug)) is not None
        )

    async def category_slug_taken(self, slug: str) -> bool:
        found = await self._s.scalar(select(CategoryRow.id).where(CategoryRow.slug == slug))
        return found is not None

    async def category_named(self, name: str) -> int | None:
        wanted = name.strip().casefold()
        rows = await self._s.execute(select(CategoryRow.id, CategoryRow.name))
        return next((int(i) for i, n in rows.all() if n.strip().casefold() == wanted), None)

    async def next_position(self) -> int:
        highest = await self._s.scalar(select(func.max(ProductRow.position)))
        return int(highest or 0) + 1

    async def products_page(self, offset: int, limit: int) -> tuple[list[ProductListing], int]:
        total = int(await self._s.scalar(select(func.count()).select_from(ProductRow)) or 0)
        stock = (
            select(
                VariantRow.product_id,
                func.sum(VariantRow.stock).label("units"),
                func.count().label("n"),
            )
            .group_by(col(VariantRow.product_id))
            .subquery()
        )
        rows = await self._s.execute(
            select(ProductRow.id, ProductRow.name, ProductRow.active)
            .add_columns(stock.c.units, stock.c.n)
            .outerjoin(stock, stock.c.product_id == ProductRow.id)
            .order_by(col(ProductRow.active).desc(), ProductRow.name, col(ProductRow.id))
            .offset(offset)
            .limit(limit)
        )
        return [
            ProductListing(int(i), name, bool(active), int(units or 0), int(n or 0))
            for i, name, active, units, n in rows.all()
        ], total

    async def any_product(self, product_id: int) -> Product | None:
        row = await self._s.get(ProductRow, product_id)
        if row is None or row.id is None:
            return None
        variants = (
            await self._s.execute(
                select(VariantRow)
                .where(VariantRow.product_id == row.id)
                .order_by(col(VariantRow.position), col(VariantRow.id))
            )
        ).scalars()
        return Product(
            id=row.id,
            category_id=row.category_id,
            name=row.name,
            description=row.description,
            variants=tuple(to_variant(v) for v in variants),
            teaser=await self._media_of(row.teaser_id),
            photo=await self._media_of(row.photo_id),
            active=row.active,
            tags=tuple(t for t in row.tags.split(",") if t),
            digital=row.digital,
            digital_content=row.digital_content,
        )

    async def _media_of(self, media_id: int | None) -> Media | None:
        row = await self._s.get(MediaRow, media_id) if media_id is not None else None
        if row is None or row.id is None:
            return None
        return Media(row.id, MediaKind(row.kind), row.source, row.file_id)

    async def set_price(self, variant_id: int, price: Money) -> bool:
        return await self._variant_update(
            variant_id, price_minor=price.amount, currency=price.currency
        )

    async def set_stock(self, variant_id: int, stock: int) -> bool:
        return await self._variant_update(variant_id, stock=stock)

    async def _variant_update(self, variant_id: int, **values: object) -> bool:
        result = await self._s.execute(
            update(VariantRow).where(col(VariantRow.id) == variant_id).values(**values)
        )
        self._changed()
        return bool(rowcount(result))

    async def set_active(self, product_id: int, active: bool) -> bool:
        result = await self._s.execute(
            update(ProductRow).where(col(ProductRow.id) == product_id).values(active=active)
        )
        self._changed()
        return bool(rowcount(result))

    async def set_texts(
        self, product_id: int, name: str, description: str, search_text: str
    ) -> bool:
        result = await self._s.execute(
            update(ProductRow)
            .where(col(ProductRow.id) == product_id)
            .values(name=name, description=description, search_text=search_text)
        )
        self._changed()
        return bool(rowcount(result))
