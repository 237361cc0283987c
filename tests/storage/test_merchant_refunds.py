"""The merchant's order actions in storage, on SQLite and on PostgreSQL (the console and
``storefront orders`` share them): two presses of the same refund confirmation handled at the
same time queue one refund (the second waits for the first's row lock, then finds the confirmed
total reached), a larger total refunds the rest; shipping an authorised card's order captures it
first, and without Stripe is refused with nothing changed."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from bot.domain.money import Money
from bot.domain.orders import OrderStatus
from bot.services import merchant_orders
from bot.services.order_ports import NewOrder, OrderLine
from bot.services.orders import Refused
from storage.unit_of_work import SqlUnitOfWorkFactory

NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
BUYER = 7_100_000_001


async def _paid_order(
    uows: SqlUnitOfWorkFactory,
    amount: int,
    status: OrderStatus = OrderStatus.PAID,
    **fields: object,
) -> int:
    usd = Money(amount, "USD")
    async with uows() as uow:
        order = await uow.orders.create(
            NewOrder(
                BUYER,
                BUYER,
                "r" * 16,
                (OrderLine(1, 1, None, "Thing", usd, 1),),
                usd,
                Money(0, "USD"),
                usd,
                None,
                False,
                "ship",
                "telegram",
                False,
            ),
            NOW,
        )
        await uow.orders.move(order.id, status, frozenset({OrderStatus.PENDING}), NOW, **fields)
        await uow.commit()
    return order.id


async def _queued(uows: SqlUnitOfWorkFactory, order_id: int) -> list[int]:
    async with uows() as uow:
        return [task.amount.amount for task, _ in await uow.refunds.for_order(order_id)]


async def test_two_presses_at_once_queue_one_refund(uows: SqlUnitOfWorkFactory) -> None:
    order_id = await _paid_order(uows, 1500)
    first_done = asyncio.Event()
    release = asyncio.Event()

    async def first() -> Refused | None:
        async with uows() as uow:
            outcome = await merchant_orders.refund_to(uow, order_id, 500, NOW)
            first_done.set()
            await release.wait()  # the second press arrives while this one is uncommitted
            await uow.commit()
            return outcome.refused

    async def second() -> Refused | None:
        await first_done.wait()
        async with uows() as uow:
            outcome = await merchant_orders.refund_to(uow, order_id, 500, NOW)
            await uow.commit()
            return outcome.refused

    one = asyncio.create_task(first())
    two = asyncio.create_task(second())
    await first_done.wait()
    await asyncio.sleep(0.3)
    assert not two.done()  # waiting for the first press's lock
    release.set()
    assert await one is None
    assert await asyncio.wait_for(two, 10) is Refused.ALREADY_DONE
    assert await _queued(uows, order_id) == [500]

    # A confirmation of a larger total refunds only the difference; above the total: refused.
    async with uows() as uow:
        assert (await merchant_orders.refund_to(uow, order_id, 1500, NOW)).refund == Money(
            1000, "USD"
        )
        assert (await merchant_orders.refund_to(uow, order_id, 1600, NOW)).refused in (
            Refused.ALREADY_DONE,
            Refused.TOO_MUCH,
        )
        await uow.commit()
    assert await _queued(uows, order_id) == [500, 1000]


class _Card:
    """Stripe as far as shipping needs it: the captures asked for."""

    def __init__(self) -> None:
        self.captured: list[tuple[str, str]] = []

    async def capture(self, payment_intent: str, *, key: str) -> None:
        self.captured.append((payment_intent, key))


async def test_shipping_an_authorised_order_captures_it_first(uows: SqlUnitOfWorkFactory) -> None:
    order_id = await _paid_order(
        uows, 1500, OrderStatus.AUTHORIZED, method="stripe_link", stripe_payment_intent="pi_123"
    )
    async with uows() as uow:
        outcome = await merchant_orders.ship(uow, None, order_id, "TRACK-1", NOW)
        assert outcome.refused is Refused.NO_CARD
        await uow.commit()
    async with uows() as uow:
        order = await uow.orders.get(order_id)
        assert order is not None and order.status is OrderStatus.AUTHORIZED
        assert await uow.notices.pending(10) == []
    card = _Card()
    async with uows() as uow:
        outcome = await merchant_orders.ship(uow, card, order_id, "TRACK-1", NOW)  # type: ignore[arg-type]
        assert outcome.refused is None
        await uow.commit()
    assert card.captured == [("pi_123", f"storefront-capture-{order_id}")]
    async with uows() as uow:
        order = await uow.orders.get(order_id)
        assert order is not None and order.status is OrderStatus.SHIPPED
        assert order.tracking == "TRACK-1"
        [notice] = await uow.notices.pending(10)
        assert notice.kind == "order_shipped" and notice.params["tracking"] == "TRACK-1"
        # Shipped once: a second ship is refused and captures nothing more.
        again = await merchant_orders.ship(uow, card, order_id, "TRACK-2", NOW)
        assert again.refused is Refused.NOT_ALLOWED
    assert len(card.captured) == 1
