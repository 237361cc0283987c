"""Buyer invites: a personal link, accepted by a new buyer; once the friend's first order is
paid and past its return window, both get a single-use coupon from the coupon engine.

The reward is decided by a job that claims each invite with a conditional UPDATE (pending ->
rewarded or refused), so it happens once however many processes run.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from bot.domain.coupons import Coupon, CouponKind
from bot.domain.invites import (
    MAX_REWARDS,
    REWARD_PERCENT,
    REWARD_VALID,
    InviteRefusal,
    InviteStatus,
    RewardRefusal,
    invite_refusal,
)
from bot.domain.orders import OrderStatus
from bot.services.creators import new_code
from bot.services.order_ports import Order
from bot.services.ports import UnitOfWork

#: Orders that make someone a buyer already (an invite is for new buyers).
_BOUGHT = frozenset(
    {
        OrderStatus.PAID,
        OrderStatus.AUTHORIZED,
        OrderStatus.SHIPPED,
        OrderStatus.DELIVERED,
        OrderStatus.RETURN_REQUESTED,
        OrderStatus.PARTIALLY_REFUNDED,
        OrderStatus.REFUNDED,
    }
)


async def my_code(uow: UnitOfWork, user_id: int) -> str:
    """The buyer's invite code, made on first use."""
    code = await uow.trust.invite_code_of(user_id)
    while code is None:
        candidate = new_code()
        if await uow.trust.set_invite_code(user_id, candidate):
            code = candidate
    return code


async def accept(uow: UnitOfWork, code: str, invitee: int, now: datetime) -> int | InviteRefusal:
    """Someone opened a friend's link: the inviter's id, or why it does not count."""
    inviter = await uow.trust.inviter_by_code(code.upper())
    has_order = bool(await uow.orders.for_buyer(invitee, _BOUGHT, 1))
    has_inviter = await uow.trust.buyer_invite(invitee) is not None
    refusal = invite_refusal(inviter, invitee, has_order, has_inviter)
    if refusal is not None:
        return refusal
    assert inviter is not None
    if not await uow.trust.add_buyer_invite(invitee, inviter, now):
        return InviteRefusal.ALREADY_INVITED
    return inviter


async def on_paid(uow: UnitOfWork, order: Order) -> None:
    """A friend's first paid order is the one the reward waits on."""
    invite = await uow.trust.buyer_invite(order.user_id)
    if invite is not None and invite.status is InviteStatus.PENDING and invite.order_id is None:
        await uow.trust.attach_first_order(order.user_id, order.id)


async def _same_charge(uow: UnitOfWork, inviter: int, order: Order) -> bool:
    """The friend's order was paid with a charge the inviter's own orders carry."""
    if not order.provider_charge_id:
        return False
    own = await uow.orders.for_buyer(inviter, _BOUGHT, 200)
    return any(o.provider_charge_id == order.provider_charge_id for o in own)


async def _mint(uow: UnitOfWork, user_id: int, now: datetime) -> None:
    code = "FRIEND-" + secrets.token_hex(4).upper()
    coupon = Coupon(
        0,
        code,
        CouponKind.PERCENT,
        percent=REWARD_PERCENT,
        expires_at=now + REWARD_VALID,
        usage_limit=1,
        per_buyer_limit=1,
        owner_id=user_id,
    )
    coupon_id = await uow.coupons.create(coupon, now)
    params = {"code": code, "percent": REWARD_PERCENT, "coupon": coupon_id}
    await uow.notices.add(user_id, "invite_reward", params, now)


async def reward_due(
    uow: UnitOfWork, now: datetime, return_window: timedelta, limit: int = 50
) -> int:
    """Friends whose first order is kept past its return window: a coupon for each of the
    two, once; an abusive pair (the same charge) gets nothing, and an inviter past the cap
    nothing more."""
    rewarded = 0
    for invite in await uow.trust.due_buyer_invites(now - return_window, limit):
        order = await uow.orders.get(invite.order_id or 0)
        if order is None:
            continue
        if await _same_charge(uow, invite.inviter_id, order):
            await uow.trust.close_buyer_invite(
                invite.invitee_id, InviteStatus.REFUSED, RewardRefusal.SAME_CHARGE.value, now
            )
            continue
        capped = await uow.trust.rewards_of(invite.inviter_id) >= MAX_REWARDS
        reason = RewardRefusal.CAP.value if capped else None
        if not await uow.trust.close_buyer_invite(
            invite.invitee_id, InviteStatus.REWARDED, reason, now
        ):
            continue  # another process rewarded it
        await _mint(uow, invite.invitee_id, now)
        if not capped:
            await _mint(uow, invite.inviter_id, now)
        rewarded += 1
    return rewarded


async def refused_by_refund(uow: UnitOfWork, order: Order, now: datetime) -> None:
    """The friend's first order was refunded in full: the invite rewards nobody."""
    invite = await uow.trust.buyer_invite(order.user_id)
    if invite is not None and invite.order_id == order.id:
        await uow.trust.close_buyer_invite(order.user_id, InviteStatus.REFUSED, "refunded", now)
