"""Cash on delivery, service level, on SQLite and on PostgreSQL: the draft kept on the pending
order step by step (bad answers refused, the draft unchanged), confirming adds the shipping and
places the order awaiting cash with its stock held and its address where a paid order keeps
it; it ships unpaid (no deadline then) and Mark paid makes it shipped and paid, once."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta

from bot.domain.cash import CashRefusal
from bot.domain.cod_address import InputRefusal, Step
from bot.domain.money import Money
from bot.domain.orders import OrderStatus
from bot.services import cash_orders, cod_orders, merchant_orders, orders
from bot.services.checkout import Delivery
from bot.services.order_ports import Order
from storage.unit_of_work import SqlUnitOfWorkFactory
from tests.services.test_cash_orders import NOW, SETUP, _pending, _stock, _tripod

ANN, BO = 5401, 5402
ANSWERS = (
    (Step.NAME, "Ann Lee"),
    (Step.PHONE, "+1 415 555 0100"),
    (Step.CITY, "San Francisco"),
    (Step.STREET, "1 Main St, Apt 2"),
    (Step.POST_CODE, "94103"),
)


async def _get(uows: SqlUnitOfWorkFactory, order_id: int) -> Order:
    async with uows() as uow:
        order = await uow.orders.get(order_id)
    assert order is not None
    return order


async def _answer(
    uows: SqlUnitOfWorkFactory, order_id: int, step: Step, text: str
) -> cod_orders.Answered:
    async with uows() as uow:
        order = await uow.orders.get(order_id)
        assert order is not None
        answered = await cod_orders.answer(uow, order, step, text, SETUP)
        await uow.commit()
    return answered


async def _fill(uows: SqlUnitOfWorkFactory, order_id: int) -> None:
    assert (await _answer(uows, order_id, Step.COUNTRY, "us")).refusal is None
    for step, text in ANSWERS:
        assert (await _answer(uows, order_id, step, text)).refusal is None


async def _confirm(uows: SqlUnitOfWorkFactory, user: int, order_id: int) -> cash_orders.Placed:
    async with uows() as uow:
        placed = await cod_orders.confirm(uow, user, order_id, SETUP, NOW)
        await uow.commit()
    return placed


async def test_a_draft_is_kept_step_by_step_and_confirmed_with_shipping(
    demo_uows: SqlUnitOfWorkFactory,
) -> None:
    variant = await _tripod(demo_uows)
    before = await _stock(demo_uows, variant)
    order = await _pending(demo_uows, ANN, delivery=Delivery.SHIP)
    async with demo_uows() as uow:
        assert await cod_orders.offered(uow, order, SETUP)
    # A country no method takes cash to, and a bad code: refused, nothing kept.
    assert (await _answer(demo_uows, order.id, Step.COUNTRY, "FR")).refusal is (
        InputRefusal.NOT_SHIPPED
    )
    assert (await _answer(demo_uows, order.id, Step.COUNTRY, "USA")).refusal is (
        InputRefusal.BAD_COUNTRY
    )
    assert not cod_orders.draft_of(await _get(demo_uows, order.id)).started
    # The US has one method taking cash: chosen with the country.
    answered = await _answer(demo_uows, order.id, Step.COUNTRY, "us")
    assert answered.draft.method == "us-standard" and answered.draft.next_step() is Step.NAME
    assert (await _answer(demo_uows, order.id, Step.NAME, "  ")).refusal is InputRefusal.EMPTY
    assert (await _answer(demo_uows, order.id, Step.NAME, "x" * 500)).refusal is (
        InputRefusal.TOO_LONG
    )
    for step, text in ANSWERS[:2]:
        assert (await _answer(demo_uows, order.id, step, text)).refusal is None
    # Left half-way: the draft is on the order, the next step is the city.
    draft = cod_orders.draft_of(await _get(demo_uows, order.id))
    assert (draft.name, draft.phone, draft.next_step()) == (
        "Ann Lee",
        "+1 415 555 0100",
        Step.CITY,
    )
    # Confirming an incomplete draft is refused.
    assert (await _confirm(demo_uows, ANN, order.id)).refusal is CashRefusal.NOT_OFFERED
    for step, text in ANSWERS[2:]:
        assert (await _answer(demo_uows, order.id, step, text)).refusal is None
    # Someone else's confirmation names nothing of theirs.
    assert (await _confirm(demo_uows, BO, order.id)).refusal is CashRefusal.GONE
    placed = await _confirm(demo_uows, ANN, order.id)
    assert placed.refusal is None and placed.order is not None
    done = placed.order
    assert done.status is OrderStatus.AWAITING_CASH and done.method == cash_orders.CASH
    assert done.shipping == Money(499, "USD") and done.total == Money(1599 + 499, "USD")
    assert done.held_until == NOW + SETUP.cash.hold
    assert (done.ship_name, done.ship_phone, done.shipping_option) == (
        "Ann Lee",
        "+1 415 555 0100",
        "us-standard",
    )
    address = json.loads(done.ship_address or "{}")
    assert address["street_line1"] == "1 Main St, Apt 2" and address["country_code"] == "US"
    assert await _stock(demo_uows, variant) == before - 1
    # A second press places nothing again.
    assert (await _confirm(demo_uows, ANN, order.id)).again


async def test_the_method_cap_counts_the_shipping(demo_uows: SqlUnitOfWorkFactory) -> None:
    # 9 tripods (143.91) are under the $150 cap; shipping is free over $50, so still under.
    order = await _pending(demo_uows, ANN, quantity=9, delivery=Delivery.SHIP)
    await _fill(demo_uows, order.id)
    assert (await _confirm(demo_uows, ANN, order.id)).refusal is None
    # 10 (159.90) are over: the invoice does not offer it, and confirming is refused.
    big = await _pending(demo_uows, BO, quantity=10, delivery=Delivery.SHIP)
    async with demo_uows() as uow:
        assert not await cod_orders.offered(uow, big, SETUP)
    await _fill(demo_uows, big.id)
    assert (await _confirm(demo_uows, BO, big.id)).refusal is CashRefusal.OVER_LIMIT
    assert (await _get(demo_uows, big.id)).status is OrderStatus.PENDING


async def test_pickup_orders_and_forged_methods_get_no_cash_on_delivery(
    demo_uows: SqlUnitOfWorkFactory,
) -> None:
    pickup = await _pending(demo_uows, ANN)
    async with demo_uows() as uow:
        assert not await cod_orders.offered(uow, pickup, SETUP)
        opened = await cod_orders.open_draft(uow, ANN, pickup.id, SETUP)
    assert opened.refusal is CashRefusal.NOT_OFFERED
    order = await _pending(demo_uows, BO, delivery=Delivery.SHIP)
    await _answer(demo_uows, order.id, Step.COUNTRY, "US")
    async with demo_uows() as uow:
        fresh = await uow.orders.get(order.id)
        assert fresh is not None
        # Express ships to the US but takes no cash; an id from nowhere is nothing.
        assert await cod_orders.choose(uow, fresh, "us-express", SETUP) is CashRefusal.NOT_OFFERED
        assert await cod_orders.choose(uow, fresh, "nope", SETUP) is CashRefusal.NOT_OFFERED


async def test_shipped_unpaid_then_paid_once_and_never_expired(
    demo_uows: SqlUnitOfWorkFactory,
) -> None:
    order = await _pending(demo_uows, ANN, delivery=Delivery.SHIP)
    await _fill(demo_uows, order.id)
    await _confirm(demo_uows, ANN, order.id)
    placed = await _get(demo_uows, order.id)
    assert merchant_orders.shippable(placed)
    async with demo_uows() as uow:
        listed, _ = await merchant_orders.page(uow, merchant_orders.OrderFilter.TO_SHIP, 0, 20)
        assert order.id in [o.id for o in listed]
        shipped = await orders.mark_shipped(uow, order.id, "1Z999", NOW)
        again = await orders.mark_shipped(uow, order.id, "1Z999", NOW)
        await uow.commit()
    assert shipped.refused is None and again.refused is not None
    on_way = await _get(demo_uows, order.id)
    assert on_way.status is OrderStatus.AWAITING_CASH and on_way.held_until is None
    assert on_way.tracking == "1Z999" and not merchant_orders.shippable(on_way)
    # Past the old deadline: the parcel is out, nothing expires.
    async with demo_uows() as uow:
        assert await cash_orders.expire_due(uow, NOW + timedelta(days=30)) == 0
        await uow.commit()
    later = NOW + timedelta(days=3)
    async with demo_uows() as uow:
        marked = await cash_orders.mark_paid(uow, order.id, later)
        twice = await cash_orders.mark_paid(uow, order.id, later)
        await uow.commit()
    assert marked.refused is None and marked.order is not None
    assert marked.order.status is OrderStatus.SHIPPED and marked.order.paid_at is not None
    assert twice.refused is cash_orders.MarkRefusal.ALREADY_PAID


async def test_unshipped_and_unpaid_it_expires_like_a_pickup_order(
    demo_uows: SqlUnitOfWorkFactory,
) -> None:
    variant = await _tripod(demo_uows)
    before = await _stock(demo_uows, variant)
    order = await _pending(demo_uows, ANN, delivery=Delivery.SHIP)
    await _fill(demo_uows, order.id)
    await _confirm(demo_uows, ANN, order.id)
    assert await _stock(demo_uows, variant) == before - 1
    async with demo_uows() as uow:
        assert await cash_orders.expire_due(uow, NOW + SETUP.cash.hold) == 1
        await uow.commit()
    assert (await _get(demo_uows, order.id)).status is OrderStatus.EXPIRED
    assert await _stock(demo_uows, variant) == before


async def test_two_confirms_at_once_place_once_and_hold_one_unit(
    demo_uows: SqlUnitOfWorkFactory,
) -> None:
    variant = await _tripod(demo_uows)
    before = await _stock(demo_uows, variant)
    order = await _pending(demo_uows, ANN, delivery=Delivery.SHIP)
    await _fill(demo_uows, order.id)
    results = await asyncio.gather(*(_confirm(demo_uows, ANN, order.id) for _ in range(3)))
    fresh = [r for r in results if r.refusal is None and not r.again]
    assert len(fresh) == 1, results
    assert all(r.again or r.refusal in (None, CashRefusal.GONE) for r in results)
    assert (await _get(demo_uows, order.id)).status is OrderStatus.AWAITING_CASH
    assert await _stock(demo_uows, variant) == before - 1


async def test_mark_paid_and_ship_at_once_end_shipped_and_paid(
    demo_uows: SqlUnitOfWorkFactory,
) -> None:
    for _ in range(3):
        order = await _pending(demo_uows, ANN, delivery=Delivery.SHIP)
        await _fill(demo_uows, order.id)
        await _confirm(demo_uows, ANN, order.id)

        async def ship(order_id: int = order.id) -> None:
            async with demo_uows() as uow:
                await merchant_orders.ship(uow, None, order_id, None, NOW)
                await uow.commit()

        async def pay(order_id: int = order.id) -> None:
            async with demo_uows() as uow:
                await cash_orders.mark_paid(uow, order_id, NOW)
                await uow.commit()

        await asyncio.gather(ship(), pay())
        final = await _get(demo_uows, order.id)
        assert final.paid_at is not None
        if final.shipped_at is not None:  # shipped unpaid first, or paid first then shipped
            assert final.status is OrderStatus.SHIPPED, final.status
        else:  # paid first, and shipping an awaiting-cash order was then refused
            assert final.status is OrderStatus.PAID and merchant_orders.shippable(final)
