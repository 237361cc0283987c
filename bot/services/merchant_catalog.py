"""The merchant's catalog edits from chat: a product made from a video (or photo) Telegram
already holds, and single-field changes (price, stock, card media, archive).

Input is checked here (the screens only show the problem in the merchant's language); a new
product gets a unique slug and SKU and the same ``search_text`` a catalog import gives it, so
buyers find it in /catalog, its category and /search as soon as the update commits.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from enum import StrEnum

from bot.domain.catalog import MAX_PRICE_MINOR, MAX_STOCK, MediaKind, Product, search_text
from bot.domain.money import Money, parse_major
from bot.services.ports import ProductDraft, UnitOfWork, VariantDraft

MAX_NAME = 80
MAX_DESCRIPTION = 500
MAX_CATEGORY = 64
#: The currency when the catalog is empty and the configuration names none.
FALLBACK_CURRENCY = "USD"


class InputProblem(StrEnum):
    EMPTY = "empty"
    TOO_LONG = "too_long"
    NOT_A_PRICE = "not_a_price"  # garbage
    NEGATIVE = "negative"
    ZERO = "zero"
    DECIMALS = "decimals"  # more decimal places than the currency has
    TOO_BIG = "too_big"
    NOT_A_COUNT = "not_a_count"  # stock that is not a whole number >= 0


class BadInput(ValueError):
    def __init__(self, problem: InputProblem, limit: int = 0) -> None:
        super().__init__(problem.value)
        self.problem = problem
        self.limit = limit


def clean_text(text: str, limit: int, *, required: bool = True) -> str:
    """Trimmed text without control characters (line breaks kept), at most ``limit`` long."""
    kept = "".join(c for c in text if c in "\n" or unicodedata.category(c)[0] != "C").strip()
    if required and not kept:
        raise BadInput(InputProblem.EMPTY)
    if len(kept) > limit:
        raise BadInput(InputProblem.TOO_LONG, limit)
    return kept


def clean_name(text: str, limit: int = MAX_NAME) -> str:
    return " ".join(clean_text(text, limit).split())


def parse_price(text: str, currency: str) -> Money:
    """A price typed in major units (``12.50``, ``12,50``, ``$12.50``, full-width digits) in
    ``currency``."""
    raw = unicodedata.normalize("NFKC", text).strip().replace(" ", "")
    raw = raw.lstrip("$€£¥").removesuffix(currency).removesuffix(currency.lower())
    raw = raw.replace(",", ".") if raw.count(",") == 1 and "." not in raw else raw
    if raw.startswith("-"):
        raise BadInput(InputProblem.NEGATIVE)
    if not re.fullmatch(r"[0-9]+(\.[0-9]+)?", raw):
        raise BadInput(InputProblem.NOT_A_PRICE)
    if len(raw.partition(".")[0]) > 13:
        raise BadInput(InputProblem.TOO_BIG)
    try:
        money = parse_major(raw, currency)
    except ValueError as exc:
        raise BadInput(InputProblem.DECIMALS) from exc
    if money.amount == 0:
        raise BadInput(InputProblem.ZERO)
    if money.amount > MAX_PRICE_MINOR:
        raise BadInput(InputProblem.TOO_BIG)
    return money


def parse_stock(text: str) -> int:
    raw = unicodedata.normalize("NFKC", text).strip().replace(" ", "").replace(",", "")
    if raw.startswith("-") and raw[1:].isdigit():
        raise BadInput(InputProblem.NEGATIVE)
    if not raw.isdigit() or not raw.isascii():
        raise BadInput(InputProblem.NOT_A_COUNT)
    if int(raw) > MAX_STOCK:
        raise BadInput(InputProblem.TOO_BIG)
    return int(raw)


async def shop_currency(uow: UnitOfWork, configured: str | None) -> str:
    """The configured currency, else the one the catalog is priced in, else USD."""
    return configured or await uow.catalog_writer.shop_currency() or FALLBACK_CURRENCY


def slugify(name: str) -> str:
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-")[:48].strip("-")
    return slug or "item"


async def _free(base: str, taken: Callable[[str], Awaitable[bool]], hint: int) -> str:
    """``base`` if free, else ``base-<hint>`` (the draft's media id, unique to this product, so
    a shop of Chinese names, all slugged "item", needs two look-ups, not one per product),
    else ``base-<hint>-2``... whichever is free."""
    if not await taken(base):
        return base
    candidate, n = f"{base}-{hint}", 1
    while await taken(candidate):
        n += 1
        candidate = f"{base}-{hint}-{n}"
    return candidate


@dataclass(frozen=True, slots=True)
class NewProduct:
    name: str
    price: Money
    stock: int
    media_id: int
    media_kind: MediaKind
    description: str = ""
    category_id: int | None = None
    #: A category to create (when the merchant typed a new one), instead of ``category_id``.
    new_category: str | None = None


@dataclass(frozen=True, slots=True)
class Published:
    product_id: int
    slug: str
    sku: str
    category_id: int | None


async def publish(uow: UnitOfWork, new: NewProduct) -> Published:
    """Create the product, active, with one variant; in the caller's transaction."""
    writer = uow.catalog_writer
    category_id, category_name = new.category_id, ""
    if new.new_category:
        category_id = await writer.category_named(new.new_category)
        if category_id is None:
            slug = await _free(slugify(new.new_category), writer.category_slug_taken, new.media_id)
            count = len(await uow.catalog.categories())
            category_id = await writer.upsert_category(slug, new.new_category, count)
    if category_id is not None:
        category = await uow.catalog.category(category_id)
        if category is None:  # deleted meanwhile: the product goes uncategorised
            category_id = None
        else:
            category_name = category.name
    slug = await _free(slugify(new.name), writer.slug_taken, new.media_id)
    sku = await _free(slug.upper()[:40], _sku_taken(uow), new.media_id)
    draft = ProductDraft(
        slug=slug,
        name=new.name,
        description=new.description,
        category=None,
        tags=(),
        teaser=None,
        photo=None,
        position=await writer.next_position(),
        active=True,
        variants=(VariantDraft(sku, "", new.price, new.stock, 0),),
        search_text=search_text(new.name, new.description, (), category_name),
    )
    product_id = await writer.upsert_product(draft, category_id)
    await writer.upsert_variant(product_id, draft.variants[0])
    await writer.set_card_media(product_id, new.media_id, new.media_kind)
    return Published(product_id, slug, sku, category_id)


def _sku_taken(uow: UnitOfWork) -> Callable[[str], Awaitable[bool]]:
    async def taken(sku: str) -> bool:
        return await uow.catalog_writer.sku_owner(sku) is not None

    return taken


async def retitle(uow: UnitOfWork, product: Product, name: str, description: str) -> None:
    """A new name and description (already cleaned), searched on at once like an import's."""
    category = await uow.catalog.category(product.category_id) if product.category_id else None
    words = search_text(name, description, product.tags, category.name if category else "")
    await uow.catalog_writer.set_texts(product.id, name, description, words)
