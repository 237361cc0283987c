"""Creators, invites and reviews in storage, on SQLite and on PostgreSQL: 64-bit Telegram ids,
the last click and its window, commissions settled once (a conditional UPDATE) only after the
return window, reversals capped, one review per buyer and product, the card's standing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.domain.money import Money
from bot.domain.orders import OrderStatus
from bot.domain.reviews import ReviewStatus
from bot.services import creators, invites
from bot.services.order_ports import NewOrder, OrderLine
from bot.services.ports import UnitOfWork
from storage.unit_of_work import SqlUnitOfWorkFactory

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
CREATOR = 7_000_000_001
BUYER = 7_000_000_002
WEEK = timedelta(days=7)


async def _order(uow: UnitOfWork, user: int, amount: int = 1000, product: int = 1) -> int:
    usd = Money(amount, "USD")
    line = OrderLine(1, product, None, "Thing", usd, 1)
    order = await uow.orders.create(
        NewOrder(
            user,
            user,
            "t" * 16,
            (line,),
            usd,
            Money(0, "USD"),
            usd,
            None,
            False,
            "pickup",
            "telegram",
            False,
        ),
        NOW,
    )
    await uow.orders.move(order.id, OrderStatus.PAID, frozenset({OrderStatus.PENDING}), NOW)
    return order.id


async def test_attribution_settlement_and_reversal(uows: SqlUnitOfWorkFactory) -> None:
    async with uows() as uow:
        assert await uow.trust.add_creator(CREATOR, "ABCDEFGH", 10, NOW)
        assert not await uow.trust.add_creator(CREATOR, "HGFEDCBA", 10, NOW)  # one per person
        assert await creators.click(uow, "abcdefgh", BUYER, None, NOW, WEEK) is not None
        order_id = await _order(uow, BUYER)
        order = await uow.orders.get(order_id)
        assert order is not None
        assert await creators.attribute(uow, order, NOW + timedelta(hours=1)) == Money(100, "USD")
        assert await creators.attribute(uow, order, NOW + timedelta(hours=1)) is None  # once
        await uow.commit()
    async with uows() as uow:
        # Not received yet, then received but inside the return window: nothing due.
        assert await uow.trust.due_commissions(NOW + 3 * WEEK, 10) == []
        await uow.orders.move(
            order_id, OrderStatus.DELIVERED, frozenset({OrderStatus.PAID}), NOW, delivered_at=NOW
        )
        assert await creators.settle_due(uow, NOW + timedelta(days=6), WEEK) == 0
        assert await creators.settle_due(uow, NOW + timedelta(days=8), WEEK) == 1
        assert await creators.settle_due(uow, NOW + timedelta(days=8), WEEK) == 0
        [stats] = await uow.trust.creator_stats(CREATOR)
        assert (stats.orders, stats.revenue, stats.pending, stats.settled) == (1, 1000, 0, 100)
        assert await uow.trust.clicks(CREATOR) == 1
        # A refund of 30% takes back 30 of it; more refunds never take back more than 100.
        assert await creators.reverse(uow, order, Money(300, "USD"), NOW) == 30
        assert await creators.reverse(uow, order, Money(1000, "USD"), NOW) == 70
        assert await creators.reverse(uow, order, Money(1000, "USD"), NOW) == 0
        earned = await uow.trust.commission_of_order(order_id)
        assert earned is not None and earned.status == "reversed" and earned.net == 0
        await uow.commit()


async def test_a_click_out_of_its_window_or_the_creators_own_credits_nobody(
    uows: SqlUnitOfWorkFactory,
) -> None:
    async with uows() as uow:
        await uow.trust.add_creator(CREATOR, "ABCDEFGH", 10, NOW)
        await creators.click(uow, "ABCDEFGH", BUYER, None, NOW, WEEK)
        order = await uow.orders.get(await _order(uow, BUYER))
        assert order is not None
        assert await creators.attribute(uow, order, NOW + timedelta(days=8)) is None
        own = await uow.orders.get(await _order(uow, CREATOR))
        assert own is not None
        assert await creators.attribute(uow, own, NOW) is None
        assert await uow.trust.creator_stats(CREATOR) == []


async def test_one_review_per_buyer_and_the_standing(uows: SqlUnitOfWorkFactory) -> None:
    async with uows() as uow:
        order_id = await _order(uow, BUYER, product=5)
        first = await uow.trust.add_review(5, BUYER, order_id, 4, NOW)
        assert first is not None
        assert await uow.trust.add_review(5, BUYER, order_id, 1, NOW) is None
        second = await uow.trust.add_review(5, CREATOR, order_id, 5, NOW)
        assert second is not None
        await uow.trust.set_review_text(second, "Great")
        await uow.commit()
    async with uows() as uow:
        standing = await uow.trust.standing(5)
        assert (standing.reviews, standing.shown_average, standing.sold) == (2, "4.5", 1)
        assert standing.latest is not None and standing.latest.text == "Great"
        await uow.trust.set_review_status(second, ReviewStatus.HIDDEN)
        await uow.commit()
    uows.cache.clear()
    async with uows() as uow:
        standing = await uow.trust.standing(5)
        assert (standing.reviews, standing.shown_average, standing.latest) == (1, "4.0", None)


async def test_an_invite_is_rewarded_once_and_never_for_the_same_charge(
    uows: SqlUnitOfWorkFactory,
) -> None:
    async with uows() as uow:
        assert await uow.trust.add_buyer_invite(BUYER, CREATOR, NOW)
        assert not await uow.trust.add_buyer_invite(BUYER, CREATOR + 5, NOW)
        order_id = await _order(uow, BUYER)
        order = await uow.orders.get(order_id)
        assert order is not None
        await invites.on_paid(uow, order)
        await uow.orders.move(
            order_id, OrderStatus.DELIVERED, frozenset({OrderStatus.PAID}), NOW, delivered_at=NOW
        )
        assert await invites.reward_due(uow, NOW + timedelta(days=6), WEEK) == 0
        assert await invites.reward_due(uow, NOW + timedelta(days=8), WEEK) == 1
        assert await invites.reward_due(uow, NOW + timedelta(days=8), WEEK) == 0
        assert await uow.trust.rewards_of(CREATOR) == 1
        # Another friend whose order carries a charge of the inviter's own: nobody is rewarded.
        friend = BUYER + 1
        assert await uow.trust.add_buyer_invite(friend, CREATOR, NOW)
        mine = await _order(uow, CREATOR)
        theirs = await _order(uow, friend)
        for oid in (mine, theirs):
            await uow.orders.move(
                oid,
                OrderStatus.DELIVERED,
                frozenset({OrderStatus.PAID}),
                NOW,
                delivered_at=NOW,
                provider_charge_id="ch_same",
            )
        got = await uow.orders.get(theirs)
        assert got is not None
        await invites.on_paid(uow, got)
        assert await invites.reward_due(uow, NOW + timedelta(days=8), WEEK) == 0
        invite = await uow.trust.buyer_invite(friend)
        assert invite is not None and invite.status == "refused"
