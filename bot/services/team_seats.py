"""Seats in a group-buy team, as checkout sees them.

A seat is held with the order's stock at pre-checkout (or when a Stripe link is opened), given
back with it when the hold lapses or the order is cancelled, and counted as paid when the money
comes in. The payment that pays the last seat fills the team: every member hears, authorised
cards are captured, and the leader's commission is written to the ledger; all in the same
transaction as that payment.
"""

from __future__ import annotations

from datetime import datetime

from bot.domain.group_buys import Team, TeamStatus, commission
from bot.domain.money import Money
from bot.domain.orders import OrderStatus
from bot.services.order_ports import Order
from bot.services.ports import UnitOfWork


async def take(uow: UnitOfWork, order: Order, now: datetime) -> bool:
    """Hold the order's seat (True for orders that are not group buys)."""
    if order.team_id is None:
        return True
    return await uow.groups.take_seat(order.team_id, order.user_id, order.id, now)


async def release(uow: UnitOfWork, order: Order) -> None:
    if order.team_id is not None:
        await uow.groups.release_seat(order.team_id, order.id)


async def still_open(uow: UnitOfWork, order: Order, now: datetime) -> bool:
    """Whether a payment for this order can still be honoured as a seat."""
    if order.team_id is None:
        return True
    team = await uow.groups.team(order.team_id)
    return team is not None and team.is_open(now)


async def awaiting_team(uow: UnitOfWork, order: Order) -> bool:
    """A seat in a team that has not filled yet: not to be shipped (or captured) before."""
    if order.team_id is None:
        return False
    team = await uow.groups.team(order.team_id)
    return team is not None and team.status is not TeamStatus.FILLED


async def paid(uow: UnitOfWork, order: Order, now: datetime) -> int | None:
    """Count the seat as paid; fill the team if it was the last. The seat number."""
    if order.team_id is None:
        return None
    number = await uow.groups.pay_seat(order.team_id, order.id)
    if number is None:
        return None
    team = await uow.groups.team(order.team_id)
    if team is not None and team.paid >= team.size and await uow.groups.fill(team.id, now):
        await _filled(uow, team, now)
    return number


async def _filled(uow: UnitOfWork, team: Team, now: datetime) -> None:
    earned = Money.zero(team.price.currency)
    for seat in await uow.groups.seats(team.id):
        order = await uow.orders.get(seat.order_id)
        if order is None:
            continue
        if order.status is OrderStatus.AUTHORIZED:
            # The authorised card is charged now; a failure is retried and reported like a
            # refund (the outbox's "capture" task).
            await uow.refunds.add(order.id, order.total, "capture", "group_filled", now)
        share = commission(order.items - order.discount, team.commission_percent)
        if share.amount:
            await uow.groups.add_commission(team.leader_id, team.id, order.id, share, now)
            earned += share
        await uow.notices.add(
            order.chat_id,
            "group_filled",
            {"team": team.id, "order": order.id, "name": team.name, "size": team.size},
            now,
        )
    await uow.notices.add(
        team.leader_id,
        "group_filled_leader",
        {
            "team": team.id,
            "name": team.name,
            "size": team.size,
            "amount": earned.amount,
            "currency": earned.currency,
        },
        now,
    )


async def reverse_commission(
    uow: UnitOfWork, order: Order, refunded: Money, now: datetime
) -> None:
    """A refund of a filled team's order takes back the leader's share on what was refunded."""
    if order.team_id is None or not order.total.amount:
        return
    team = await uow.groups.team(order.team_id)
    earned = await uow.groups.commission_of(order.id)
    if team is None or team.status is not TeamStatus.FILLED or earned is None:
        return
    goods = order.items - order.discount
    share = commission(goods, team.commission_percent)
    back = min(share.amount * refunded.amount // order.total.amount, earned.amount)
    if back > 0:
        reversal = Money(-back, share.currency)
        await uow.groups.add_commission(team.leader_id, team.id, order.id, reversal, now)
