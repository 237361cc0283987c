"""Group buys: opening a team, joining it, the deadline, and the leader's side.

The deadline lives in the team's row. Every bot process runs ``settle_due`` on a timer (and
once at start-up); each due team is claimed by one conditional UPDATE, so a deadline settles
once however many processes wake for it, and a restart in the middle settles it on the next
run. Refunds go through the refund outbox with their row id as the Stripe idempotency key.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from bot.domain.group_buys import JoinRefusal, PickupPoint, Team, TeamStatus, join_refusal
from bot.domain.money import Money
from bot.domain.orders import OrderStatus
from bot.services.group_ports import NewTeam, Seat
from bot.services.order_ports import Order
from bot.services.ports import UnitOfWork
from bot.services.refunds import refund_method
from bot.services.stock_holds import give_back_stock_and_coupon

log = logging.getLogger(__name__)

_SETTLE_BATCH = 20
#: Orders whose money the expiry of a team gives back.
_TAKEN = frozenset({OrderStatus.PAID, OrderStatus.AUTHORIZED})


class OpenRefusal(StrEnum):
    NO_DEAL = "no_deal"  # the product is not group-buyable (any more)
    NOT_LEADER = "not_leader"  # the shop lets only its leaders open teams
    TOO_MANY = "too_many"  # the merchant's cap on open teams is reached
    SOLD_OUT = "sold_out"


@dataclass(frozen=True, slots=True)
class Opened:
    team: Team | None = None
    refusal: OpenRefusal | None = None


async def open_team(
    uow: UnitOfWork,
    leader_id: int,
    variant_id: int,
    now: datetime,
    *,
    leaders_only: bool = False,
) -> Opened:
    deal = await uow.groups.deal(variant_id)
    found = await uow.catalog.variant(variant_id)
    if deal is None or not deal.active or found is None or not found[0].active:
        return Opened(refusal=OpenRefusal.NO_DEAL)
    is_leader = await uow.groups.is_leader(leader_id)
    if leaders_only and not is_leader:
        return Opened(refusal=OpenRefusal.NOT_LEADER)
    variant, product = found
    if variant.available < 1:
        return Opened(refusal=OpenRefusal.SOLD_OUT)
    if (
        deal.max_teams is not None
        and await uow.groups.open_teams(variant_id, now) >= deal.max_teams
    ):
        return Opened(refusal=OpenRefusal.TOO_MANY)
    name = f"{product.name} ({variant.name})" if variant.name else product.name
    team = await uow.groups.create_team(
        NewTeam(
            variant_id=variant.id,
            product_id=product.id,
            leader_id=leader_id,
            size=deal.team_size,
            price=deal.price,
            regular_price=variant.price,
            commission_percent=deal.commission_percent,
            deadline=now + deal.time_limit,
            name=name,
            pickup=await uow.groups.leader_pickup(leader_id) if is_leader else None,
        ),
        now,
    )
    log.info("team %s opened by %s for variant %s", team.id, leader_id, variant_id)
    return Opened(team)


@dataclass(frozen=True, slots=True)
class JoinCheck:
    team: Team | None
    refusal: JoinRefusal | None
    seat: Seat | None = None


async def check_join(uow: UnitOfWork, team_id: int, user_id: int, now: datetime) -> JoinCheck:
    """Whether ``user_id`` may take a seat now (the seat itself is held at pre-checkout)."""
    team = await uow.groups.team(team_id)
    seat = await uow.groups.seat_of(team_id, user_id) if team is not None else None
    return JoinCheck(team, join_refusal(team, now, seat is not None), seat)


async def settle_due(uow: UnitOfWork, now: datetime, limit: int = _SETTLE_BATCH) -> int:
    """Expire every open team whose deadline passed: each paid member's order is cancelled,
    its stock returned and its money refunded (or its authorisation released), and each member
    is told, with an offer to buy at the regular price. One team per claim; how many."""
    settled = 0
    for team_id in await uow.groups.due(now, limit):
        if not await uow.groups.expire(team_id, now):
            continue  # another process claimed it first
        team = await uow.groups.team(team_id)
        assert team is not None
        refunded = 0
        for seat in await uow.groups.seats(team_id):
            order = await uow.orders.get(seat.order_id)
            if order is None or seat.status != "paid":
                continue  # a held seat's payment, if it comes, is refunded on arrival
            if await _give_back(uow, team, order, now):
                refunded += 1
        await uow.notices.add(
            team.leader_id,
            "group_failed_leader",
            {"team": team.id, "name": team.name, "paid": team.paid, "size": team.size},
            now,
        )
        log.info(
            "team %s expired with %d of %d seats; %d refunds queued",
            team.id,
            team.paid,
            team.size,
            refunded,
        )
        settled += 1
    return settled


async def _give_back(uow: UnitOfWork, team: Team, order: Order, now: datetime) -> bool:
    method = refund_method(order)  # decided before the status moves (authorised or charged)
    if not await uow.orders.move(order.id, OrderStatus.CANCELLED, _TAKEN, now, closed_at=now):
        return False  # cancelled by the buyer meanwhile: already refunded
    await give_back_stock_and_coupon(uow, order, now)
    if order.refundable.amount > 0:
        await uow.refunds.add(order.id, order.refundable, method, "group_expired", now)
    await uow.notices.add(
        order.chat_id,
        "group_failed",
        {
            "team": team.id,
            "order": order.id,
            "name": team.name,
            "variant": team.variant_id,
            "amount": order.refundable.amount,
            "currency": order.currency,
        },
        now,
    )
    return True


# The leader's side -------------------------------------------------------------------------

LEADER_TEAMS = 10


@dataclass(frozen=True, slots=True)
class LeaderView:
    teams: list[Team]
    earned: list[Money]
    pickup: PickupPoint | None
    is_leader: bool


async def leader_view(uow: UnitOfWork, user_id: int) -> LeaderView | None:
    """What ``/leader`` shows; None for someone who neither is a leader nor led a team."""
    is_leader = await uow.groups.is_leader(user_id)
    teams = await uow.groups.teams_led(user_id, LEADER_TEAMS)
    if not is_leader and not teams:
        return None
    return LeaderView(
        teams,
        await uow.groups.ledger_totals(user_id),
        await uow.groups.leader_pickup(user_id),
        is_leader,
    )


@dataclass(frozen=True, slots=True)
class PickupEntry:
    order: Order
    number: int


async def pickup_list(uow: UnitOfWork, leader_id: int, team_id: int) -> list[PickupEntry] | None:
    """The members of a filled team who collect at the leader's point; None if not theirs."""
    team = await uow.groups.team(team_id)
    if team is None or team.leader_id != leader_id:
        return None
    entries = []
    for seat in await uow.groups.seats(team_id):
        order = await uow.orders.get(seat.order_id)
        if order is not None and seat.status == "paid" and order.delivery == "pickup":
            entries.append(PickupEntry(order, seat.number))
    return entries


class CollectRefusal(StrEnum):
    NOT_YOURS = "not_yours"  # not a pickup order of a team this person leads
    NOT_READY = "not_ready"  # the team has not filled
    ALREADY = "already"  # collected before, or cancelled


async def mark_collected(
    uow: UnitOfWork, leader_id: int, order_id: int, now: datetime
) -> CollectRefusal | None:
    order = await uow.orders.get(order_id)
    team = await uow.groups.team(order.team_id) if order and order.team_id else None
    if order is None or team is None or team.leader_id != leader_id or order.delivery != "pickup":
        return CollectRefusal.NOT_YOURS
    if team.status is not TeamStatus.FILLED:
        return CollectRefusal.NOT_READY
    moved = await uow.orders.move(
        order.id,
        OrderStatus.DELIVERED,
        frozenset({OrderStatus.PAID, OrderStatus.PARTIALLY_REFUNDED}),
        now,
        delivered_at=now,
    )
    if not moved:
        return CollectRefusal.ALREADY
    await uow.notices.add(order.chat_id, "order_collected", {"order": order.id}, now)
    return None
