"""Flash sales: scheduling, claiming a unit for a short payment window, releasing unpaid
reservations, and the alerts for people who asked to be told.

The claim is the reservation: it takes the unit from the variant's stock and counts it against
the sale and the buyer in one transaction (``SaleRepository.claim``). Checkout then invoices the
claim at the sale price; its pre-checkout takes no stock (the claim holds it), and the payment
marks the claim paid, or takes a unit again if the window lapsed and one is left, or refunds.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.domain.flash_sales import (
    POST_MIN_GAP,
    ClaimRefusal,
    FlashSale,
    SalePost,
    SaleState,
    check_sale,
    claim_refusal,
    post_edit_due,
)
from bot.domain.money import Money
from bot.domain.orders import OrderStatus
from bot.services.ports import UnitOfWork
from bot.services.sale_ports import NewSale

log = logging.getLogger(__name__)

_BATCH = 100
#: Watchers told per transaction (each alert row is written in one go).
_WATCH_BATCH = 500


async def schedule(
    uow: UnitOfWork,
    variant_id: int,
    price: Money,
    stock: int,
    per_buyer: int,
    starts: datetime,
    ends: datetime,
    now: datetime,
) -> FlashSale:
    """A new sale (``SaleError`` says what is wrong with it)."""
    found = await uow.catalog.variant(variant_id)
    if found is None:
        raise LookupError(variant_id)
    variant, product = found
    check_sale(price, variant.price, stock, per_buyer, starts, ends)
    name = f"{product.name} ({variant.name})" if variant.name else product.name
    return await uow.sales.create(
        NewSale(
            variant.id, product.id, name, price, variant.price, stock, per_buyer, starts, ends
        ),
        now,
    )


@dataclass(frozen=True, slots=True)
class ClaimResult:
    sale: FlashSale | None
    claim_id: int | None = None
    refusal: ClaimRefusal | None = None
    #: Units this buyer holds in the sale (for "you already have 1").
    mine: int = 0


async def claim(
    uow: UnitOfWork, sale_id: int, user_id: int, now: datetime, window: timedelta
) -> ClaimResult:
    """Reserve one unit for ``window``; the loser of a race is told at once why. Once the
    database has said a sale is sold out, the sold-out gate (``uow.sale_gate``) refuses its
    buyers without a query until units come back."""
    gate = uow.sale_gate
    shut, ticket = await gate.check(sale_id, now)
    if shut is not None:  # the common answer once a sale sells out: no query at all
        return ClaimResult(shut, refusal=ClaimRefusal.SOLD_OUT)
    sale = await uow.sales.sale(sale_id)
    refusal = claim_refusal(sale, now)
    if refusal is not None:
        if refusal is ClaimRefusal.SOLD_OUT and sale is not None:
            await gate.shut(sale, ticket, now)
        return ClaimResult(sale, refusal=refusal)
    assert sale is not None
    mine = await uow.sales.buyer_count(sale_id, user_id)
    if mine >= sale.per_buyer:
        return ClaimResult(sale, refusal=ClaimRefusal.LIMIT, mine=mine)
    claim_id = await uow.sales.claim(sale_id, user_id, now, now + window)
    if claim_id is not None:
        return ClaimResult(sale, claim_id, mine=mine + 1)
    # Lost a race: for the last unit, or with oneself in another chat.
    fresh = await uow.sales.sale(sale_id)
    mine = await uow.sales.buyer_count(sale_id, user_id)
    if fresh is not None and mine >= fresh.per_buyer:
        refusal = ClaimRefusal.LIMIT
    else:
        refusal = claim_refusal(fresh, now) or ClaimRefusal.SOLD_OUT
        if refusal is ClaimRefusal.SOLD_OUT and fresh is not None and fresh.left <= 0:
            await gate.shut(fresh, ticket, now)
    return ClaimResult(fresh, refusal=refusal, mine=mine)


@dataclass(frozen=True, slots=True)
class Watch:
    """What a Notify me press did: ``kind`` is the alert the buyer now waits for (``start`` or
    ``restock``), or None when there is nothing left to wait for: the sale is on with units to
    grab (show it at once) or it is over (say so). ``sale`` is None for an unknown sale."""

    sale: FlashSale | None
    kind: str | None


async def watch(uow: UnitOfWork, sale_id: int, user_id: int, kind: str, now: datetime) -> Watch:
    """Notify me (``start``) or Notify me if stock returns (``restock``), asked at any moment:
    before the start it waits for the start; once the sale is on with units left, or over,
    there is nothing to wait for (the start alerts already went out), so nothing is recorded;
    a live sale with every unit taken waits for a unit to come back."""
    sale = await uow.sales.sale(sale_id)
    if sale is None:
        return Watch(None, None)
    state = sale.state(now)
    if state is SaleState.UPCOMING:
        wanted: str | None = "start"
    elif state is SaleState.LIVE and sale.left <= 0:
        wanted = "restock"
    else:
        wanted = None
    if wanted is not None:
        await uow.sales.watch(sale_id, user_id, wanted, now)
    return Watch(sale, wanted)


async def release_due(uow: UnitOfWork, now: datetime, limit: int = _BATCH) -> int:
    """Reservations whose window passed unpaid: each unit goes back (to the sale and the
    variant), the invoice is expired, and people waiting for stock are told."""
    released = 0
    returned: set[int] = set()
    for claim_id in await uow.sales.due(now, limit):
        found = await uow.sales.claim_of(claim_id)
        if found is None or not await uow.sales.release(claim_id, "expired", now):
            continue  # paid at the last second, or another process released it
        released += 1
        returned.add(found.sale_id)
        if found.order_id is not None:
            await uow.orders.move(
                found.order_id, OrderStatus.EXPIRED, frozenset({OrderStatus.PENDING}), now
            )
    for sale_id in returned:
        await _tell(uow, sale_id, "restock", "sale_restock", now)
    if released:
        log.info("released %d unpaid flash-sale reservations", released)
    return released


async def send_alerts(uow: UnitOfWork, now: datetime, lead: timedelta) -> int:
    """ "Starts soon" (``lead`` before) and "live now" to the people who asked; each alert is
    claimed once per sale, so several processes send it once."""
    sent = 0
    for sale_id in await uow.sales.alerts_due(now, int(lead.total_seconds()), _BATCH):
        sale = await uow.sales.sale(sale_id)
        if sale is None:
            continue
        if sale.starts_at <= now:
            await uow.sales.mark_alert(sale_id, "soon")  # too late for "soon": just "live"
            if await uow.sales.mark_alert(sale_id, "start"):
                sent += await _tell(uow, sale_id, "start", "sale_live", now)
        elif await uow.sales.mark_alert(sale_id, "soon"):
            sent += await _notify_watchers(uow, sale, "start", "sale_soon", now)
    return sent


async def _tell(uow: UnitOfWork, sale_id: int, kind: str, notice: str, now: datetime) -> int:
    """Tell every watcher of ``kind`` once (their watch is used up)."""
    sale = await uow.sales.sale(sale_id)
    if sale is None:
        return 0
    told = 0
    while watchers := await uow.sales.take_watchers(sale_id, kind, _WATCH_BATCH):
        for user_id in watchers:
            await uow.notices.add(user_id, notice, _params(sale), now)
        told += len(watchers)
    return told


async def _notify_watchers(
    uow: UnitOfWork, sale: FlashSale, kind: str, notice: str, now: datetime
) -> int:
    """Tell watchers without using their watch up (they hear again at the start)."""
    watchers = await uow.sales.watchers(sale.id, kind)
    for user_id in watchers:
        await uow.notices.add(user_id, notice, _params(sale), now)
    return len(watchers)


def _params(sale: FlashSale) -> dict[str, object]:
    return {
        "sale": sale.id,
        "name": sale.name,
        "amount": sale.price.amount,
        "currency": sale.price.currency,
    }


async def posts_due(
    uow: UnitOfWork, now: datetime, limit: int
) -> list[tuple[SalePost, FlashSale]]:
    """Posted sale cards to edit now: the units or the phase changed, or the countdown went
    stale; at most one per chat a round, so a group showing several sales is edited at
    Telegram's pace however fast its units go."""
    chats: set[int] = set()
    due: list[tuple[SalePost, FlashSale]] = []
    # Candidates are the least recently edited; the window is wide enough that cards which
    # are merely not due yet cannot crowd out the ones that are.
    for post, sale in await uow.sale_posts.candidates(now, POST_MIN_GAP, limit * 10):
        if post.chat_id in chats or not post_edit_due(post, sale, now):
            continue
        chats.add(post.chat_id)
        due.append((post, sale))
        if len(due) >= limit:
            break
    return due
