"""Writes for the catalog importer: upsert by slug and SKU so a re-import updates in place."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.services.ports import ProductDraft, VariantDraft
from storage.read_cache import ReadCache
from storage.tables import CategoryRow, MediaRow, ProductRow, VariantRow


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
            .join(VariantRow, VariantRow.product_id == ProductRow.id)  # type: ignore[arg-type]
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
