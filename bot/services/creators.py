"""Creators: invitations, share links and clicks, attribution of paid orders, commissions that
settle after the return window or are reversed by refunds, the dashboard and payouts.

A commission is written in the same transaction as the payment that earns it (``attribute``,
called from ``payment_received.after_paid``), keyed by the order, so a redelivered payment credits
nobody twice. A refund takes back the refunded share (``reverse``, from the refund sender).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.domain.coupons import Coupon, check_redeemable
from bot.domain.creators import (
    CODE_ALPHABET,
    CODE_LENGTH,
    ClickRefusal,
    CommissionStatus,
    Creator,
    CreatorInvite,
    InviteRefusal,
    Payout,
    attributable,
    check_rate,
    click_refusal,
    commission,
    invite_refusal,
    reversal,
)
from bot.domain.money import Money
from bot.services.order_ports import Order
from bot.services.ports import UnitOfWork
from bot.services.trust_ports import CreatorStats

TOP_PRODUCTS = 3


def new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


async def invite(uow: UnitOfWork, rate: int, now: datetime) -> str:
    """A new invitation (its token goes into ``?start=ki_<token>``)."""
    token = secrets.token_urlsafe(18)
    await uow.trust.create_invite(token, check_rate(rate), now)
    return token


async def open_invite(
    uow: UnitOfWork, token: str, person: int, now: datetime
) -> CreatorInvite | InviteRefusal:
    found = await uow.trust.invite_by_token(token)
    is_creator = await uow.trust.creator(person) is not None
    refusal = invite_refusal(found, person, now, is_creator)
    if refusal is not None:
        return refusal
    assert found is not None
    if not await uow.trust.open_invite(found.id, person):
        return InviteRefusal.USED
    return found


async def accept(
    uow: UnitOfWork, invite_id: int, person: int, now: datetime
) -> Creator | InviteRefusal:
    found = await uow.trust.invite(invite_id)
    is_creator = await uow.trust.creator(person) is not None
    refusal = invite_refusal(found, person, now, is_creator)
    if refusal is None and found is not None and found.opened_by != person:
        refusal = InviteRefusal.USED  # a forged button for someone else's invitation
    if refusal is not None:
        return refusal
    assert found is not None
    if not await uow.trust.accept_invite(found.id, person):
        return InviteRefusal.USED
    for _ in range(5):
        if await uow.trust.add_creator(person, new_code(), found.rate_percent, now):
            break
    creator = await uow.trust.creator(person)
    assert creator is not None
    return creator


async def click(
    uow: UnitOfWork,
    code: str,
    buyer_id: int,
    product_id: int | None,
    now: datetime,
    window: timedelta,
) -> Creator | ClickRefusal:
    """Someone opened a creator's link: remember the click (the last one wins)."""
    creator = await uow.trust.creator_by_code(code.upper())
    refusal = click_refusal(creator, buyer_id)
    if refusal is not None:
        return refusal
    assert creator is not None
    await uow.trust.record_click(creator.user_id, buyer_id, product_id, now, now + window)
    return creator


async def gift(uow: UnitOfWork, creator: Creator, buyer_id: int, now: datetime) -> Coupon | None:
    """The coupon the shop offers through ``creator``'s links, while it can be redeemed by
    ``buyer_id`` at all (a disabled, expired or used-up one is not offered)."""
    if creator.coupon_id is None or not creator.active:
        return None
    coupon = await uow.coupons.by_id(creator.coupon_id)
    if coupon is None or coupon.owner_id is not None:
        return None
    usage = await uow.coupons.usage(coupon.id, buyer_id)
    return coupon if check_redeemable(coupon, now, usage) is None else None


async def rate_for(uow: UnitOfWork, creator: Creator, order: Order) -> int:
    """A product's own creator rate wins over the creator's (the highest, on a mixed order)."""
    rates = [await uow.trust.product_rate(line.product_id) for line in order.lines]
    own = [r for r in rates if r is not None]
    return max(own) if own else creator.rate_percent


async def attribute(uow: UnitOfWork, order: Order, now: datetime) -> Money | None:
    """The buyer's last click within its window ties this paid order to a creator. Group-buy
    seats are left out: their leader earns the commission."""
    if order.team_id is not None:
        return None
    last = await uow.trust.last_click(order.user_id, now)
    if last is None:
        return None
    creator_id, clicked_at, expires_at = last
    creator = await uow.trust.creator(creator_id)
    if not attributable(creator, order.user_id, clicked_at, now, expires_at):
        return None
    assert creator is not None
    goods = order.items - order.discount
    rate = await rate_for(uow, creator, order)
    share = commission(goods, rate)
    if not await uow.trust.add_commission(
        creator.user_id, order.id, order.user_id, goods, share, rate, now
    ):
        return None
    await uow.notices.add(
        creator.user_id,
        "creator_earned",
        {"amount": share.amount, "currency": share.currency},
        now,
    )
    return share


async def reverse(uow: UnitOfWork, order: Order, refunded: Money, now: datetime) -> int:
    """A refund (part or all of the order) takes back the same part of its commission."""
    earned = await uow.trust.commission_of_order(order.id)
    if earned is None or earned.status == CommissionStatus.REVERSED:
        return 0
    back = reversal(earned.amount, earned.reversed, refunded, order.total)
    if back > 0:
        await uow.trust.reverse_commission(earned.id, back)
    return back


async def settle_due(
    uow: UnitOfWork, now: datetime, return_window: timedelta, limit: int = 50
) -> int:
    """Commissions whose order's return window closed become settled; each is claimed by one
    conditional UPDATE, so several processes settle it once. The creator hears."""
    settled = 0
    for commission_id in await uow.trust.due_commissions(now - return_window, limit):
        if not await uow.trust.settle_commission(commission_id, now):
            continue
        settled += 1
        earned = await uow.trust.commission_by_id(commission_id)
        if earned is not None and earned.net > 0:
            await uow.notices.add(
                earned.creator_id,
                "creator_settled",
                {"amount": earned.net, "currency": earned.amount.currency},
                now,
            )
    return settled


@dataclass(frozen=True, slots=True)
class Dashboard:
    creator: Creator
    clicks: int
    stats: list[CreatorStats]
    top: list[tuple[str, int]]


async def dashboard(uow: UnitOfWork, creator: Creator) -> Dashboard:
    return Dashboard(
        creator,
        await uow.trust.clicks(creator.user_id),
        await uow.trust.creator_stats(creator.user_id),
        await uow.trust.top_products(creator.user_id, TOP_PRODUCTS),
    )


async def request_payout(
    uow: UnitOfWork, creator: Creator, now: datetime
) -> list[tuple[int, Money]]:
    """Ask for every settled commission not asked for yet (one request per currency): the
    requests' ids and amounts."""
    asked = []
    for stats in await uow.trust.creator_stats(creator.user_id):
        if stats.available > 0:
            amount = Money(stats.available, stats.currency)
            asked.append((await uow.trust.request_payout(creator.user_id, amount, now), amount))
    return asked


async def mark_paid(uow: UnitOfWork, payout_id: int, now: datetime) -> Payout | None:
    """The merchant paid a request (outside the bot); the creator hears. None if unknown or
    already paid."""
    payout = await uow.trust.mark_payout_paid(payout_id, now)
    if payout is not None:
        await uow.notices.add(
            payout.creator_id,
            "creator_paid",
            {
                "payout": payout.id,
                "amount": payout.amount.amount,
                "currency": payout.amount.currency,
            },
            now,
        )
    return payout
