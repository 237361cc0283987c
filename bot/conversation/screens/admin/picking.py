"""Products offered as buttons where the console asks for one (a flash sale, a drop's Buy
button); more are reached by typing the SKU."""

from __future__ import annotations

from bot.conversation.turn import Turn
from bot.domain.catalog import Product, Variant

#: Variants offered as buttons at most.
PICK_SIZE = 12


def variant_name(variant: Variant, product: Product) -> str:
    return f"{product.name} ({variant.name})" if variant.name else product.name


async def pickable(turn: Turn, limit: int = PICK_SIZE) -> list[tuple[Variant, Product]]:
    """Active variants in stock, category by category, at most ``limit``."""
    found: list[tuple[Variant, Product]] = []
    for summary in await turn.uow.catalog.categories():
        for product_id in await turn.uow.catalog.product_ids(summary.category.id):
            product = await turn.uow.catalog.product(product_id)
            if product is None or not product.active:
                continue
            found += [(v, product) for v in product.sellable_variants if v.available > 0]
            if len(found) >= limit:
                return found[:limit]
    return found
