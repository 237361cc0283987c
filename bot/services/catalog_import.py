"""Import a catalog file in one transaction: all of it, or (on any problem) nothing."""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from bot.services.catalog_file import (
    CatalogDraft,
    CatalogFileError,
    CatalogProblem,
    parse_catalog,
)
from bot.services.ports import UnitOfWorkFactory


@dataclass(frozen=True, slots=True)
class ImportReport:
    categories: int
    products: int
    variants: int


def demo_catalog_path() -> Path:
    """The demo catalog shipped inside the package (with its teaser clips)."""
    return Path(str(resources.files("bot.catalog_data") / "demo.yaml"))


def read_catalog(path: Path) -> CatalogDraft:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise CatalogFileError([CatalogProblem(None, "(file)", str(exc))]) from exc
    return parse_catalog(text, path.suffix.lower(), path.parent)


async def import_catalog(uows: UnitOfWorkFactory, draft: CatalogDraft) -> ImportReport:
    """Upsert categories by slug, products by slug and variants by SKU; commit once."""
    async with uows() as uow:
        problems: list[CatalogProblem] = []
        category_ids: dict[str, int] = {}
        for cat in draft.categories:
            category_ids[cat.slug] = await uow.catalog_writer.upsert_category(
                cat.slug, cat.name, cat.position
            )
        for i, product in enumerate(draft.products):
            for j, variant in enumerate(product.variants):
                owner = await uow.catalog_writer.sku_owner(variant.sku)
                if owner is not None and owner != product.slug:
                    problems.append(
                        CatalogProblem(
                            None,
                            f"products[{i}].variants[{j}].sku",
                            f"SKU {variant.sku!r} already belongs to product {owner!r}",
                        )
                    )
            if problems:
                continue
            product_id = await uow.catalog_writer.upsert_product(
                product, category_ids.get(product.category or "")
            )
            for variant in product.variants:
                await uow.catalog_writer.upsert_variant(product_id, variant)
        if problems:
            raise CatalogFileError(problems)  # the unit of work rolls everything back
        await uow.commit()
    return ImportReport(
        len(draft.categories), len(draft.products), sum(len(p.variants) for p in draft.products)
    )
