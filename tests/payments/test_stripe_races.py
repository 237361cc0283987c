"""One Stripe payment, one effect, on SQLite and on PostgreSQL.

Ten processes (an engine each) receive ``checkout.session.completed`` for the same Checkout
Session at once: under ten event ids (copies, or Stripe's own redelivery after a timeout
that the first process was still handling), or ten times under one event id. The order is
authorised once, its held unit converted once, the buyer told once, and nothing refunded.
"""

from __future__ import annotations

import asyncio
import copy
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from bot.domain.orders import OrderStatus
from bot.payments.stripe_gateway import StripeGateway
from bot.services import checkout, stripe_payments
from bot.services.catalog_import import demo_catalog_path, import_catalog, read_catalog
from bot.services.checkout import Delivery, PaymentSetup
from bot.services.order_ports import Order
from bot.services.shipping_file import default_shipping_path, read_rates
from bot.standin.stripe_standin import StripeStandIn
from storage.engine import make_engine
from storage.order_tables import NotificationRow, RefundRow
from storage.unit_of_work import SqlUnitOfWorkFactory

PROCESSES = 10
SETUP = PaymentSetup(stripe_links=True, shipping=read_rates(default_shipping_path()))


def now() -> datetime:
    return datetime.now(UTC)


@dataclass
class Rig:
    uows: SqlUnitOfWorkFactory
    processes: list[SqlUnitOfWorkFactory]
    stripe: StripeStandIn
    card: StripeGateway


@pytest.fixture
async def rig(uows: SqlUnitOfWorkFactory, database_url: str) -> AsyncIterator[Rig]:
    await import_catalog(uows, read_catalog(demo_catalog_path()))
    stripe = StripeStandIn()
    await stripe.start()
    card = StripeGateway(stripe.api_key, stripe.base_url, retries=0)
    processes = [SqlUnitOfWorkFactory(make_engine(database_url)) for _ in range(PROCESSES)]
    try:
        yield Rig(uows, processes, stripe, card)
    finally:
        for factory in processes:
            await factory.dispose()
        await card.close()
        await stripe.stop()


async def _paid_session(rig: Rig) -> tuple[Order, dict[str, object]]:
    """An order with a Stripe link (its unit held), paid on Stripe's page: the event."""
    async with rig.uows() as uow:
        [pid] = await uow.catalog.search_ids(["tripod"], 5)
        product = await uow.catalog.product(pid)
        assert product is not None
        basket = await checkout.basket_for_variant(uow, product.variants[0].id)
        started = await checkout.start(uow, 77, 77, basket, Delivery.PICKUP, SETUP, now())
        assert started.order is not None
        link = await stripe_payments.open_link(
            uow, rig.card, started.order, "Phone Tripod", "https://t.me/shop_bot", now()
        )
        assert link is not None
        await uow.commit()
    rig.stripe.complete_session(link.session_id)  # no webhook URL: nothing delivered yet
    [event] = rig.stripe.events_of("checkout.session.completed")
    return started.order, event


async def _stock(rig: Rig) -> int:
    async with rig.uows() as uow:
        [pid] = await uow.catalog.search_ids(["tripod"], 5)
        product = await uow.catalog.product(pid, fresh=True)
    assert product is not None
    return product.variants[0].stock


async def _effects(rig: Rig, order: Order) -> tuple[OrderStatus, int, list[str], list[str]]:
    async with rig.uows() as uow:
        found = await uow.orders.get(order.id)
    assert found is not None
    async with rig.uows.engine.connect() as conn:
        refunds = (await conn.execute(select(RefundRow.reason))).scalars().all()  # type: ignore[call-overload]
        notices = (await conn.execute(select(NotificationRow.kind))).scalars().all()  # type: ignore[call-overload]
    figures = (
        found.status,
        await _stock(rig),
        [str(r) for r in refunds],
        [str(n) for n in notices],
    )
    print(
        f"{PROCESSES} deliveries of one Stripe payment: status, stock, refunds, notices {figures}"
    )
    return figures


@pytest.mark.parametrize("ids", ["distinct", "same"])
async def test_one_session_completed_ten_times_at_once_authorises_once(rig: Rig, ids: str) -> None:
    order, event = await _paid_session(rig)
    assert await _stock(rig) == 59  # held while the buyer was on Stripe's page

    async def deliver(i: int, uows: SqlUnitOfWorkFactory) -> str:
        copied = copy.deepcopy(event)
        if ids == "distinct":
            copied["id"] = f"{event['id']}_{i}"
        return await stripe_payments.handle_event(uows, copied, now())

    results = await asyncio.gather(*(deliver(i, f) for i, f in enumerate(rig.processes)))
    assert results.count("handled") == (PROCESSES if ids == "distinct" else 1)
    status, stock, refunds, notices = await _effects(rig, order)
    assert status is OrderStatus.AUTHORIZED
    assert stock == 59  # the held unit, converted once
    assert refunds == []  # a good payment is never given back
    assert notices == ["order_paid"]
