"""Live selling: which product a ``/live`` names, the show each chat has on, and recording a
show's start, its swaps and its end. The Telegram side (posting, pinning, editing the card)
is ``bot/workers/live_desk.py``; it records here only what Telegram accepted.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from bot.domain.catalog import Product
from bot.services.browsing import CardPage, single_page
from bot.services.live_ports import LiveShow
from bot.services.ports import UnitOfWork


class LiveRefusal(StrEnum):
    NOT_ADMIN = "not_admin"
    UNKNOWN_PRODUCT = "unknown_product"
    ARCHIVED = "archived"
    NO_SHOW = "no_show"


@dataclass(frozen=True, slots=True)
class ProductPick:
    product: Product | None = None
    refusal: LiveRefusal | None = None


async def pick_product(uow: UnitOfWork, ref: str) -> ProductPick:
    """The product a merchant typed (its id or a variant's SKU), if it can be featured."""
    match = await uow.live.find_product(ref)
    if match is None:
        return ProductPick(refusal=LiveRefusal.UNKNOWN_PRODUCT)
    product = await uow.catalog.product(match.product_id) if match.active else None
    if product is None:
        return ProductPick(refusal=LiveRefusal.ARCHIVED)
    return ProductPick(product)


async def card(uow: UnitOfWork, product_id: int, now: datetime) -> CardPage | None:
    """What the pinned card shows: the product with its stock and any flash sale, as the
    server has them now (None once the product is archived)."""
    return await single_page(uow, product_id, now)


async def featured(uow: UnitOfWork, chat_id: int) -> tuple[LiveShow, Product | None] | None:
    """The show in a chat and the product it features (None if archived since)."""
    show = await uow.live.show(chat_id)
    if show is None:
        return None
    return show, await uow.catalog.product(show.product_id)


async def started(
    uow: UnitOfWork, chat_id: int, message_id: int, product_id: int, by: int, now: datetime
) -> None:
    await uow.live.start(chat_id, message_id, product_id, by, now)
    await uow.commit()


async def swapped(
    uow: UnitOfWork, chat_id: int, message_id: int, product_id: int, now: datetime
) -> bool:
    changed = await uow.live.swap(chat_id, message_id, product_id, now)
    await uow.commit()
    return changed


async def ended(uow: UnitOfWork, chat_id: int) -> bool:
    changed = await uow.live.end(chat_id)
    await uow.commit()
    return changed
