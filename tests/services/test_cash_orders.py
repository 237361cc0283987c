"""Pay at pickup, service level, on SQLite and on PostgreSQL: placing holds the stock (and
refuses what the terms refuse, whatever button asked), staff's "Mark paid" pays once, the
expiry job gives the stock back once, and a paid or expired order stays as it is."""

from __future__ import annotations

import asyncio
import dataclasses
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from bot.domain.cash import CashDefaults, CashRefusal, CashTerms
from bot.domain.money import Money
from bot.domain.orders import OrderStatus
from bot.domain.shipping import PickupPoint
from bot.services import carts, cash_orders, checkout, merchant_orders, orders
from bot.services.cash_orders import MarkRefusal
from bot.services.checkout import Delivery, PaymentSetup
from bot.services.order_ports import Order
from bot.services.orders import Refused
from bot.services.shipping_file import default_shipping_path, read_rates
from storage.order_tables import NotificationRow, RefundRow
from storage.unit_of_work import SqlUnitOfWorkFactory

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
SETUP = PaymentSetup(provider_token="tok", shipping=read_rates(default_shipping_path()))
ANN, BO = 5301, 5302


def _with_terms(terms: CashTerms | None, defaults: CashDefaults | None = None) -> PaymentSetup:
    pickup = PickupPoint("Studio", "1 Main St", terms)
    shipping = dataclasses.replace(SETUP.shipping, pickup=pickup)
    return dataclasses.replace(SETUP, shipping=shipping, cash=defaults or CashDefaults())


async def _tripod(uows: SqlUnitOfWorkFactory) -> int:
    async with uows() as uow:
        variant = await uow.catalog.variant_by_sku("PT-1")
    assert variant is not None
    return variant


async def _stock(uows: SqlUnitOfWorkFactory, variant_id: int) -> int:
    async with uows() as uow:
        found = await uow.catalog.variant(variant_id)
    assert found is not None
    return found[0].stock


async def _pending(
    uows: SqlUnitOfWorkFactory,
    user: int,
    quantity: int = 1,
    delivery: Delivery = Delivery.PICKUP,
    setup: PaymentSetup = SETUP,
) -> Order:
    variant = await _tripod(uows)
    async with uows() as uow:
        basket = await checkout.basket_for_variant(uow, variant, quantity)
        started = await checkout.start(uow, user, user, basket, delivery, setup, NOW)
        await uow.commit()
    assert started.order is not None
    return started.order


async def _place(
    uows: SqlUnitOfWorkFactory, user: int, order_id: int, setup: PaymentSetup = SETUP
) -> cash_orders.Placed:
    async with uows() as uow:
        placed = await cash_orders.place(uow, user, order_id, setup, NOW)
        await uow.commit()
    return placed


async def _mark(uows: SqlUnitOfWorkFactory, order_id: int, now: datetime) -> cash_orders.Marked:
    async with uows() as uow:
        marked = await cash_orders.mark_paid(uow, order_id, now)
        await uow.commit()
    return marked


async def _notices(uows: SqlUnitOfWorkFactory, kind: str) -> list[NotificationRow]:
    async with uows.engine.connect() as conn:
        rows = await conn.execute(select(NotificationRow).where(NotificationRow.kind == kind))  # type: ignore[arg-type]
        return list(rows.all())  # type: ignore[arg-type]


async def test_placed_order_holds_stock_and_is_paid_once(demo_uows: SqlUnitOfWorkFactory) -> None:
    variant = await _tripod(demo_uows)
    before = await _stock(demo_uows, variant)
    order = await _pending(demo_uows, ANN, quantity=2)
    placed = await _place(demo_uows, ANN, order.id)
    assert placed.refusal is None and placed.order is not None
    assert placed.order.status is OrderStatus.AWAITING_CASH and placed.order.method == "cash"
    assert placed.order.held_until == NOW + timedelta(hours=48)
    assert await _stock(demo_uows, variant) == before - 2
    again = await _place(demo_uows, ANN, order.id)  # a second press holds nothing more
    assert again.again and await _stock(demo_uows, variant) == before - 2

    marked = await _mark(demo_uows, order.id, NOW + timedelta(hours=3))
    assert marked.refused is None and marked.order is not None
    assert marked.order.status is OrderStatus.PAID
    assert marked.order.paid_at == NOW + timedelta(hours=3) and marked.order.held_until is None
    twice = await _mark(demo_uows, order.id, NOW + timedelta(hours=4))
    assert twice.refused is MarkRefusal.ALREADY_PAID
    assert twice.order is not None and twice.order.paid_at == NOW + timedelta(hours=3)
    assert await _stock(demo_uows, variant) == before - 2  # sold: not given back, not taken again
    async with demo_uows() as uow:  # the expiry job leaves a paid order alone
        assert await cash_orders.expire_due(uow, NOW + timedelta(days=30)) == 0
        assert await uow.orders.paid_count(ANN) == 1
    assert await _stock(demo_uows, variant) == before - 2


async def test_unpaid_order_expires_once_gives_stock_back_and_cannot_be_marked_paid(
    demo_uows: SqlUnitOfWorkFactory,
) -> None:
    variant = await _tripod(demo_uows)
    before = await _stock(demo_uows, variant)
    order = await _pending(demo_uows, BO)
    await _place(demo_uows, BO, order.id)
    async with demo_uows() as uow:  # not yet due
        assert await cash_orders.expire_due(uow, NOW + timedelta(hours=47)) == 0
    assert await _stock(demo_uows, variant) == before - 1
    later = NOW + timedelta(hours=48, minutes=1)
    async with demo_uows() as uow:
        assert await cash_orders.expire_due(uow, later) == 1
        await uow.commit()
    async with demo_uows() as uow:
        assert await cash_orders.expire_due(uow, later) == 0  # once
        expired = await uow.orders.get(order.id)
    assert expired is not None and expired.status is OrderStatus.EXPIRED
    assert await _stock(demo_uows, variant) == before
    [notice] = await _notices(demo_uows, "cash_expired")
    assert notice.chat_id == BO
    marked = await _mark(demo_uows, order.id, later)
    assert marked.refused is MarkRefusal.EXPIRED
    assert await _stock(demo_uows, variant) == before


async def test_mark_paid_after_the_deadline_expires_it_even_before_the_job(
    demo_uows: SqlUnitOfWorkFactory,
) -> None:
    variant = await _tripod(demo_uows)
    before = await _stock(demo_uows, variant)
    order = await _pending(demo_uows, ANN)
    await _place(demo_uows, ANN, order.id)
    marked = await _mark(demo_uows, order.id, NOW + timedelta(hours=49))
    assert marked.refused is MarkRefusal.EXPIRED
    assert marked.order is not None and marked.order.status is OrderStatus.EXPIRED
    assert await _stock(demo_uows, variant) == before
    assert len(await _notices(demo_uows, "cash_expired")) == 1


async def test_terms_refuse_whatever_asks(demo_uows: SqlUnitOfWorkFactory) -> None:
    variant = await _tripod(demo_uows)
    before = await _stock(demo_uows, variant)
    # Over the file's $100 cap: 7 × $15.99.
    big = await _pending(demo_uows, ANN, quantity=7)
    assert (await _place(demo_uows, ANN, big.id)).refusal is CashRefusal.OVER_LIMIT
    # Shipped orders: pay at pickup is the pickup point's.
    shipped = await _pending(demo_uows, ANN, delivery=Delivery.SHIP)
    assert (await _place(demo_uows, ANN, shipped.id)).refusal is CashRefusal.NOT_OFFERED
    # Someone else's order: named nothing.
    mine = await _pending(demo_uows, ANN)
    assert (await _place(demo_uows, BO, mine.id)).refusal is CashRefusal.GONE
    # A first-time buyer, when the method keeps them out.
    strict = _with_terms(CashTerms(first_time=False))
    assert (await _place(demo_uows, ANN, mine.id, strict)).refusal is CashRefusal.FIRST_TIME
    # The shop's default cap, when the method names none.
    capped = _with_terms(CashTerms(), CashDefaults(max_minor=1000))
    assert (await _place(demo_uows, ANN, mine.id, capped)).refusal is CashRefusal.OVER_LIMIT
    # A pickup point without pay at pickup.
    off = _with_terms(None)
    assert (await _place(demo_uows, ANN, mine.id, off)).refusal is CashRefusal.NOT_OFFERED
    assert await _stock(demo_uows, variant) == before
    async with demo_uows() as uow:
        assert (await uow.orders.get(mine.id)).status is OrderStatus.PENDING  # type: ignore[union-attr]


async def test_a_returning_buyer_may_when_first_timers_may_not(
    demo_uows: SqlUnitOfWorkFactory,
) -> None:
    strict = _with_terms(CashTerms(max_total=Money(5000, "USD"), first_time=False))
    first = await _pending(demo_uows, ANN, setup=strict)
    assert (await _place(demo_uows, ANN, first.id, strict)).refusal is CashRefusal.FIRST_TIME
    lenient = _with_terms(CashTerms())
    await _place(demo_uows, ANN, first.id, lenient)
    assert (await _mark(demo_uows, first.id, NOW)).refused is None
    second = await _pending(demo_uows, ANN, setup=strict)
    placed = await _place(demo_uows, ANN, second.id, strict)
    assert placed.refusal is None


async def test_two_presses_of_mark_paid_at_once_pay_once(
    demo_uows: SqlUnitOfWorkFactory,
) -> None:
    order = await _pending(demo_uows, ANN)
    await _place(demo_uows, ANN, order.id)
    results = await asyncio.gather(
        *(_mark(demo_uows, order.id, NOW + timedelta(hours=1)) for _ in range(4))
    )
    assert sorted(str(r.refused) for r in results) == ["None"] + ["already_paid"] * 3
    async with demo_uows() as uow:
        assert await uow.orders.paid_count(ANN) == 1


async def test_a_cart_order_leaves_the_cart_when_placed_not_again_when_paid(
    demo_uows: SqlUnitOfWorkFactory,
) -> None:
    variant = await _tripod(demo_uows)
    async with demo_uows() as uow:
        await uow.buyers.touch(BO, "Bo", None, "en", NOW)
        await carts.add_to_cart(uow, BO, variant, NOW)
        basket = await checkout.basket_from_cart(uow, BO)
        started = await checkout.start(uow, BO, BO, basket, Delivery.PICKUP, SETUP, NOW)
        await uow.commit()
    assert started.order is not None and started.order.from_cart
    assert (await _place(demo_uows, BO, started.order.id)).refusal is None
    async with demo_uows() as uow:
        assert await uow.carts.lines(BO) == []
        await carts.add_to_cart(uow, BO, variant, NOW)  # the buyer wants another one
        await uow.commit()
    assert (await _mark(demo_uows, started.order.id, NOW)).refused is None
    async with demo_uows() as uow:
        assert len(await uow.carts.lines(BO)) == 1  # paying did not take it out again


async def test_mark_paid_racing_the_expiry_job_has_one_winner_and_consistent_stock(
    demo_uows: SqlUnitOfWorkFactory,
) -> None:
    """Staff press Mark paid a second before the deadline while the job (on a clock a second
    past it) expires the order: one of them wins, and the stock follows the winner."""
    variant = await _tripod(demo_uows)
    before = await _stock(demo_uows, variant)
    deadline = NOW + timedelta(hours=48)
    for round_ in range(4):
        order = await _pending(demo_uows, ANN)
        await _place(demo_uows, ANN, order.id)

        async def job() -> int:
            async with demo_uows() as uow:
                done = await cash_orders.expire_due(uow, deadline + timedelta(seconds=1))
                await uow.commit()
            return done

        marked, expired = await asyncio.gather(
            _mark(demo_uows, order.id, deadline - timedelta(seconds=1)), job()
        )
        async with demo_uows() as uow:
            final = await uow.orders.get(order.id)
        assert final is not None
        if final.status is OrderStatus.PAID:
            assert marked.refused is None and expired == 0
            before -= 1
        else:
            assert final.status is OrderStatus.EXPIRED, (round_, final.status)
            assert marked.refused is MarkRefusal.EXPIRED and expired == 1
        assert await _stock(demo_uows, variant) == before


async def test_cash_paid_at_the_counter_is_never_refunded_through_a_gateway(
    demo_uows: SqlUnitOfWorkFactory,
) -> None:
    """A merchant refund or cancel (the console's confirmation, the dashboard) of a cash order
    is refused and queues no refund: the money goes back at the counter."""
    order = await _pending(demo_uows, ANN)
    await _place(demo_uows, ANN, order.id)
    await _mark(demo_uows, order.id, NOW + timedelta(hours=1))
    async with demo_uows() as uow:
        refunded = await orders.merchant_refund(uow, order.id, None, NOW + timedelta(hours=2))
        cancelled = await merchant_orders.cancel(uow, order.id, NOW + timedelta(hours=2))
        to_target = await merchant_orders.refund_to(uow, order.id, 100, NOW + timedelta(hours=2))
        await uow.commit()
    for outcome in (refunded, cancelled, to_target):
        assert outcome.refused is Refused.NOT_ALLOWED and outcome.refund is None
    async with demo_uows.engine.connect() as conn:
        rows = await conn.execute(select(RefundRow).where(RefundRow.order_id == order.id))  # type: ignore[arg-type]
        assert rows.all() == []
    async with demo_uows() as uow:
        still = await uow.orders.get(order.id)
    assert still is not None and still.status is OrderStatus.PAID
