"""Catalog queries, mapped to ``bot.domain.catalog`` objects."""

from __future__ import annotations

from sqlalchemy import func, or_, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from bot.domain.catalog import Category, Media, MediaKind, Product, Variant
from bot.domain.money import Money
from bot.services.ports import CategorySummary
from storage.read_cache import ReadCache
from storage.tables import CategoryRow, MediaRow, ProductRow, VariantRow


def _like_escape(word: str) -> str:
    return word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def to_variant(row: VariantRow) -> Variant:
    assert row.id is not None
    return Variant(
        id=row.id,
        product_id=row.product_id,
        sku=row.sku,
        name=row.name,
        price=Money(row.price_minor, row.currency),
        stock=row.stock,
        active=row.active,
    )


def _to_media(row: MediaRow | None) -> Media | None:
    if row is None or row.id is None:
        return None
    return Media(id=row.id, kind=MediaKind(row.kind), source=row.source, file_id=row.file_id)


def to_category(row: CategoryRow) -> Category:
    assert row.id is not None
    return Category(id=row.id, name=row.name, slug=row.slug, position=row.position)


class SqlCatalogRepository:
    """Catalog reads; the ones every card needs go through the process's ``ReadCache``."""

    def __init__(self, session: AsyncSession, cache: ReadCache | None = None) -> None:
        self._s = session
        self._cache = cache or ReadCache(ttl=0)

    async def categories(self) -> list[CategorySummary]:
        cached = self._cache.get("categories")
        if cached is not None:
            return list(cached)
        found = await self._categories()
        self._cache.put("categories", tuple(found))
        return found

    async def _categories(self) -> list[CategorySummary]:
        counts = (
            select(ProductRow.category_id, func.count().label("n"))
            .where(col(ProductRow.active).is_(True))
            .group_by(col(ProductRow.category_id))
            .subquery()
        )
        rows = await self._s.execute(
            select(CategoryRow, func.coalesce(counts.c.n, 0))
            .outerjoin(counts, counts.c.category_id == CategoryRow.id)
            .order_by(col(CategoryRow.position), col(CategoryRow.id))
        )
        return [CategorySummary(to_category(c), int(n)) for c, n in rows.all()]

    async def category(self, category_id: int) -> Category | None:
        key = ("category", category_id)
        cached: Category | None = self._cache.get(key)
        if cached is not None:
            return cached
        row = await self._s.get(CategoryRow, category_id)
        found = to_category(row) if row else None
        if found is not None:
            self._cache.put(key, found)
        return found

    async def product(self, product_id: int, *, fresh: bool = False) -> Product | None:
        """An active product with its variants; ``fresh`` skips the cache (exact stock)."""
        key = ("product", product_id)
        if not fresh:
            cached: Product | None = self._cache.get(key)
            if cached is not None:
                return cached
        row = await self._s.get(ProductRow, product_id)
        if row is None or not row.active:
            return None
        found = (await self._assemble([row]))[0]
        self._cache.put(key, found)
        return found

    async def _assemble(self, rows: list[ProductRow]) -> list[Product]:
        if not rows:
            return []
        ids = [r.id for r in rows]
        variants = (
            (
                await self._s.execute(
                    select(VariantRow)
                    .where(col(VariantRow.product_id).in_(ids))
                    .order_by(col(VariantRow.position), col(VariantRow.id))
                )
            )
            .scalars()
            .all()
        )
        media_ids = {m for r in rows for m in (r.teaser_id, r.photo_id) if m is not None}
        media: dict[int | None, MediaRow] = {}
        if media_ids:
            found = await self._s.execute(select(MediaRow).where(col(MediaRow.id).in_(media_ids)))
            media = {m.id: m for m in found.scalars().all()}
        out = []
        for r in rows:
            assert r.id is not None
            out.append(
                Product(
                    id=r.id,
                    category_id=r.category_id,
                    name=r.name,
                    description=r.description,
                    variants=tuple(to_variant(v) for v in variants if v.product_id == r.id),
                    teaser=_to_media(media.get(r.teaser_id)),
                    photo=_to_media(media.get(r.photo_id)),
                    active=r.active,
                    tags=tuple(t for t in r.tags.split(",") if t),
                    digital=r.digital,
                    digital_content=r.digital_content,
                )
            )
        return out

    async def product_ids(self, category_id: int) -> list[int]:
        key = ("ids", category_id)
        cached = self._cache.get(key)
        if cached is not None:
            return list(cached)
        rows = await self._s.execute(
            select(ProductRow.id)
            .where(
                ProductRow.category_id == category_id,
                col(ProductRow.active).is_(True),
            )
            .order_by(col(ProductRow.position), col(ProductRow.id))
        )
        ids = [int(i) for i in rows.scalars().all()]
        self._cache.put(key, tuple(ids))
        return ids

    async def search_ids(self, words: list[str], limit: int) -> list[int]:
        """Products whose name, description, tags or category contain every word.

        Matching is on a case-folded copy of the text, so it is case-insensitive for every
        script on both SQLite (whose LIKE folds ASCII only) and PostgreSQL.
        """
        patterns = [f"%{_like_escape(w.casefold())}%" for w in words]
        conditions = [col(ProductRow.search_text).like(p, escape="\\") for p in patterns]
        rows = await self._s.execute(
            select(ProductRow.id)
            .where(col(ProductRow.active).is_(True), *conditions)
            .order_by(col(ProductRow.position), col(ProductRow.id))
            .limit(limit)
        )
        return [int(i) for i in rows.scalars().all()]

    async def similar_ids(self, product: Product, limit: int) -> list[int]:
        """Same category first, then products sharing a tag; never the product itself."""
        tag_match = [
            col(ProductRow.tags).like(f"%{_like_escape(t)}%", escape="\\") for t in product.tags
        ]
        same_category = col(ProductRow.category_id) == product.category_id
        rows = await self._s.execute(
            select(ProductRow.id, same_category)
            .where(
                col(ProductRow.active).is_(True),
                ProductRow.id != product.id,
                or_(same_category, *tag_match),
            )
            .order_by(same_category.desc(), col(ProductRow.position), col(ProductRow.id))
            .limit(limit)
        )
        return [int(r[0]) for r in rows.all()]

    async def variant(self, variant_id: int) -> tuple[Variant, Product] | None:
        row = await self._s.get(VariantRow, variant_id)
        if row is None:
            return None
        product = await self.product(row.product_id, fresh=True)
        if product is None:
            return None
        variant = product.variant(variant_id)
        return (variant, product) if variant else None

    async def variant_by_sku(self, sku: str) -> int | None:
        return await self._s.scalar(select(VariantRow.id).where(VariantRow.sku == sku))

    async def remember_file_id(self, media_id: int, file_id: str) -> None:
        await self._s.execute(
            update(MediaRow).where(col(MediaRow.id) == media_id).values(file_id=file_id)
        )
        self._cache.clear()  # cached products still carry the old (missing) file_id
