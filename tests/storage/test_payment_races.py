"""One charge, one effect, on SQLite and on PostgreSQL.

The same ``successful_payment`` (one ``telegram_payment_charge_id``) arrives under ten update
ids at once, handled by ten storefronts with an engine each (ten bot processes on one
database), whose buyer caches are warm (the buyer just went through checkout there), so nothing
but the payment's own writes orders them. Whatever the interleaving: one paid order, its units
taken from stock once, one receipt, no refund. For an order held at pre-checkout, for one whose
hold lapsed (the stock is taken at payment), for a flash-sale reservation and for a group-buy
seat. And a payment of someone else's invoice, ten times at once, is refunded once while the
invoice's owner keeps their order as it was.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from bot.conversation.events import Chat, ChatKind, PaymentDone, Person
from bot.conversation.replies import SendText
from bot.conversation.storefront import Storefront
from bot.conversation.turn import ShopConfig
from bot.domain.money import Money
from bot.domain.orders import OrderStatus
from bot.services import checkout, flash_sales, group_buys, pre_checkout
from bot.services.catalog_import import demo_catalog_path, import_catalog, read_catalog
from bot.services.checkout import Basket, Delivery, PaymentSetup, payload_of
from bot.services.order_ports import Order
from bot.services.pre_checkout import PaymentFacts
from bot.services.shipping_file import default_shipping_path, read_rates
from storage.engine import make_engine
from storage.order_tables import OrderRow, RefundRow
from storage.unit_of_work import SqlUnitOfWorkFactory

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
BUYER = Person(5101, "Ann", None, "en")
OTHER = Person(5102, "Bob", None, "en")
PROCESSES = 10
SETUP = PaymentSetup(
    provider_token="284685063:TEST:race", shipping=read_rates(default_shipping_path())
)
CONFIG = ShopConfig(shop_name="Race", bot_username="race_bot", payments=SETUP)


@dataclass
class Shop:
    uows: SqlUnitOfWorkFactory
    #: One storefront per "process", each with an engine of its own.
    fronts: list[Storefront]
    variant_id: int
    logs: pytest.LogCaptureFixture


@pytest.fixture
async def shop(
    uows: SqlUnitOfWorkFactory, database_url: str, caplog: pytest.LogCaptureFixture
) -> AsyncIterator[Shop]:
    await import_catalog(uows, read_catalog(demo_catalog_path()))
    async with uows() as uow:
        variant_id = await uow.catalog.variant_by_sku("KJ-10")  # 200 in stock
    assert variant_id is not None
    factories = [SqlUnitOfWorkFactory(make_engine(database_url)) for _ in range(PROCESSES)]
    fronts = [Storefront(f, CONFIG, clock=lambda: NOW) for f in factories]
    try:
        yield Shop(uows, fronts, variant_id, caplog)
    finally:
        for factory in factories:
            await factory.dispose()


async def _warm(shop: Shop, person: Person) -> None:
    """Each process has just seen the buyer (checkout): no buyer row is written again."""
    for front in shop.fronts:
        async with front.uows() as uow:
            await uow.buyers.touch(person.id, person.first_name, None, "en", NOW)
            await uow.commit()


async def _invoice(shop: Shop, person: Person, basket: Basket, *, hold: bool = True) -> Order:
    """The order the invoice names, pre-checked (stock held) unless ``hold`` is False."""
    async with shop.uows() as uow:
        started = await checkout.start(
            uow, person.id, person.id, basket, Delivery.PICKUP, SETUP, NOW
        )
        order = started.order
        assert order is not None, started
        if hold:
            facts = PaymentFacts(
                person.id, payload_of(order), order.currency, order.total.amount, None, {}
            )
            assert await pre_checkout.pre_checkout(uow, facts, SETUP, NOW) is None
        await uow.commit()
    return order


def _payment(update_id: int, person: Person, order: Order, charge: str) -> PaymentDone:
    return PaymentDone(
        update_id,
        person,
        Chat(person.id, ChatKind.PRIVATE),
        payload_of(order),
        order.currency,
        order.total.amount,
        charge,
        f"ch_{charge}",
    )


def _nth(charge: str, n: int) -> str:
    return charge if n == 0 else f"{charge}-{n}"


@dataclass(frozen=True)
class Outcome:
    orders: list[tuple[str, str | None]]
    stock: int
    receipts: int
    refunds: list[str]
    texts: list[str]
    #: Handlings that failed (and were tried again): a loser must lose cheaply, not by error.
    errors: list[str]


async def _race(
    shop: Shop, person: Person, order: Order, charge: str, *, charges: int = 1
) -> Outcome:
    """The same payment to every process at once, each under an update id of its own (with
    ``charges`` > 1: that many different charges for the order, each to several processes)."""
    await _warm(shop, person)
    shop.logs.clear()
    replies = await asyncio.gather(
        *(
            front.handle(_payment(70_000 + i, person, order, _nth(charge, i % charges)))
            for i, front in enumerate(shop.fronts)
        )
    )
    texts = [r.text for batch in replies for r in batch if isinstance(r, SendText)]
    async with shop.uows.engine.connect() as conn:
        rows = (
            await conn.execute(
                select(OrderRow.status, OrderRow.telegram_charge_id)  # type: ignore[call-overload]
                .where(OrderRow.user_id == person.id)
                .order_by(OrderRow.id)
            )
        ).all()
        refunds = (await conn.execute(select(RefundRow.reason))).scalars().all()  # type: ignore[call-overload]
    async with shop.uows() as uow:
        found = await uow.catalog.variant(shop.variant_id)
    assert found is not None
    outcome = Outcome(
        [(str(s), c) for s, c in rows],
        found[0].stock,
        sum("Payment received" in t for t in texts),
        [str(r) for r in refunds],
        texts,
        [r.getMessage() for r in shop.logs.records if r.levelno >= logging.ERROR],
    )
    print(
        f"{PROCESSES} deliveries of one charge: orders {outcome.orders}, stock "
        f"{found[0].stock}, receipts {outcome.receipts}, refunds {outcome.refunds}, "
        f"failed handlings {len(outcome.errors)}"
    )
    return outcome


async def test_a_held_order_paid_ten_times_at_once_is_paid_once(shop: Shop) -> None:
    async with shop.uows() as uow:
        basket = await checkout.basket_for_variant(uow, shop.variant_id, 2)
    order = await _invoice(shop, BUYER, basket)
    outcome = await _race(shop, BUYER, order, "tg-held")
    assert outcome.orders == [("paid", "tg-held")]
    assert outcome.stock == 198  # taken once, at pre-checkout
    assert outcome.receipts == 1
    assert outcome.refunds == []
    assert outcome.errors == []
    assert len(outcome.texts) == 1  # the others say nothing


async def test_an_order_whose_hold_lapsed_paid_ten_times_takes_its_stock_once(
    shop: Shop,
) -> None:
    async with shop.uows() as uow:
        basket = await checkout.basket_for_variant(uow, shop.variant_id, 2)
    order = await _invoice(shop, BUYER, basket, hold=False)
    outcome = await _race(shop, BUYER, order, "tg-lapsed")
    assert outcome.orders == [("paid", "tg-lapsed")]
    assert outcome.stock == 198  # taken once, at payment
    assert outcome.receipts == 1
    assert outcome.refunds == []
    assert outcome.errors == []


async def test_a_flash_sale_reservation_paid_ten_times_is_paid_once(shop: Shop) -> None:
    async with shop.uows() as uow:
        sale = await flash_sales.schedule(
            uow,
            shop.variant_id,
            Money(299, "USD"),
            10,
            1,
            NOW - timedelta(minutes=1),
            NOW + timedelta(hours=1),
            NOW,
        )
        claimed = await flash_sales.claim(uow, sale.id, BUYER.id, NOW, timedelta(minutes=10))
        assert claimed.claim_id is not None
        basket = await checkout.basket_for_claim(uow, sale, claimed.claim_id)
        await uow.commit()
    order = await _invoice(shop, BUYER, basket)
    outcome = await _race(shop, BUYER, order, "tg-flash")
    assert outcome.orders == [("paid", "tg-flash")]
    assert outcome.stock == 199  # the reservation's unit, nothing more
    assert outcome.receipts == 1
    assert outcome.refunds == []
    assert outcome.errors == []
    async with shop.uows() as uow:
        claim = await uow.sales.claim_of(claimed.claim_id)
        fresh = await uow.sales.sale(sale.id)
    assert claim is not None and claim.status == "paid"
    assert fresh is not None and fresh.claimed == 1


async def test_a_group_buy_seat_paid_ten_times_is_one_seat(shop: Shop) -> None:
    async with shop.uows() as uow:
        from bot.domain.group_buys import GroupDeal

        await uow.groups.set_deal(
            GroupDeal(shop.variant_id, Money(349, "USD"), 3, timedelta(hours=24))
        )
        opened = await group_buys.open_team(uow, 5100, shop.variant_id, NOW)
        assert opened.team is not None
        basket = await checkout.basket_for_team(uow, opened.team)
        await uow.commit()
    order = await _invoice(shop, BUYER, basket)
    outcome = await _race(shop, BUYER, order, "tg-seat")
    assert outcome.orders == [("paid", "tg-seat")]
    assert outcome.stock == 199
    assert outcome.receipts == 1
    assert outcome.refunds == []
    assert outcome.errors == []
    async with shop.uows() as uow:
        team = await uow.groups.team(opened.team.id)
    assert team is not None and team.paid == 1


async def test_an_order_paid_by_five_charges_at_once_keeps_one_and_refunds_four(
    shop: Shop,
) -> None:
    """The buyer paid twice (two devices, both past the payment sheet), or more: each charge
    delivered to two processes. One charge pays the order; each other one is refunded once and
    its payer told the order was already paid."""
    async with shop.uows() as uow:
        basket = await checkout.basket_for_variant(uow, shop.variant_id, 2)
    order = await _invoice(shop, BUYER, basket)
    outcome = await _race(shop, BUYER, order, "tg-twice", charges=5)
    assert [status for status, _ in outcome.orders] == ["paid"] + ["cancelled"] * 4
    assert len({charge for _, charge in outcome.orders}) == 5  # each charge recorded once
    assert outcome.stock == 198
    assert outcome.receipts == 1
    assert outcome.refunds == ["already_paid"] * 4
    assert outcome.errors == []
    told = [t for t in outcome.texts if "Payment received" not in t]
    assert len(told) == 4 and all("already paid" in t and "refunded" in t for t in told)


async def test_someone_elses_invoice_paid_ten_times_is_refunded_once(shop: Shop) -> None:
    async with shop.uows() as uow:
        basket = await checkout.basket_for_variant(uow, shop.variant_id, 1)
    anns = await _invoice(shop, BUYER, basket)
    outcome = await _race(shop, OTHER, anns, "tg-foreign")
    assert outcome.orders == [("cancelled", "tg-foreign")]  # a record of Bob's payment
    assert outcome.refunds == ["foreign_order"]
    assert outcome.receipts == 0
    assert outcome.errors == []
    [told] = outcome.texts
    assert "someone else's order" in told and "refunded" in told
    async with shop.uows() as uow:
        untouched = await uow.orders.get(anns.id)
    assert untouched is not None
    assert untouched.status is OrderStatus.PENDING and untouched.telegram_charge_id is None
    assert untouched.held_until is not None  # Ann's hold stands: she can still pay
    assert outcome.stock == 199
