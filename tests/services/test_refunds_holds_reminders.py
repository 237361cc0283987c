"""The timed and retried parts of checkout: refunds retried with back-off and reported when
they fail for good, holds released when no payment came, one reminder per abandoned cart."""

from __future__ import annotations

from datetime import timedelta

from bot.conversation.storefront import Storefront
from bot.domain.money import Money
from bot.domain.orders import OrderStatus
from bot.services import checkout, payment_received, pre_checkout, stock_holds
from bot.services.checkout import Delivery, PaymentSetup
from bot.services.payment_port import PaymentError
from bot.services.pre_checkout import PaymentFacts
from bot.services.refunds import MAX_ATTEMPTS, RefundSender
from bot.services.reminders import remind_abandoned_carts
from bot.services.shipping_file import default_shipping_path, read_rates
from tests.helpers import Clock

SETUP = PaymentSetup(provider_token="tok", shipping=read_rates(default_shipping_path()))


class FlakyCard:
    def __init__(self, failures: int, *, retryable: bool = True) -> None:
        self.failures = failures
        self.retryable = retryable
        self.calls: list[tuple[str | None, int, str]] = []

    async def refund(self, *, charge_id, payment_intent, amount, key):  # type: ignore[no-untyped-def]
        self.calls.append((charge_id, amount.amount, key))
        if self.failures:
            self.failures -= 1
            raise PaymentError("stripe is down", retryable=self.retryable)
        return "re_1"


async def _paid_order(shop: Storefront, clock: Clock, user: int = 5) -> int:
    async with shop.uows() as uow:
        [pid] = await uow.catalog.search_ids(["tripod"], 5)
        product = await uow.catalog.product(pid)
        assert product is not None
        basket = await checkout.basket_for_variant(uow, product.variants[0].id)
        order = await checkout.start(uow, user, user, basket, Delivery.PICKUP, SETUP, clock())
        assert order.order is not None
        facts = PaymentFacts(user, checkout.payload_of(order.order), "USD", 1599)
        assert await pre_checkout.pre_checkout(uow, facts, SETUP, clock()) is None
        await payment_received.payment_received(
            uow, facts, payment_received.Charge("tg1", "ch_1"), clock()
        )
        await uow.refunds.add(order.order.id, Money(1599, "USD"), "card", "test", clock())
        await uow.commit()
        return order.order.id


async def test_a_failing_refund_is_retried_with_backoff_then_succeeds_once(
    demo_shop: Storefront, clock: Clock
) -> None:
    order_id = await _paid_order(demo_shop, clock)
    card = FlakyCard(failures=2)
    sender = RefundSender(demo_shop.uows, card, None, clock, (900,))  # type: ignore[arg-type]
    assert await sender.run_due() == 0
    assert await sender.run_due() == 0  # not due yet: backing off
    clock.advance(minutes=1)
    assert await sender.run_due() == 0
    clock.advance(minutes=5)
    assert await sender.run_due() == 1
    assert [c[2] for c in card.calls] == ["storefront-refund-1"] * 3  # one idempotency key
    clock.advance(hours=2)
    assert await sender.run_due() == 0
    async with demo_shop.uows() as uow:
        order = await uow.orders.get(order_id)
    assert order is not None and order.status is OrderStatus.REFUNDED


async def test_a_refund_that_keeps_failing_is_reported_to_the_merchant(
    demo_shop: Storefront, clock: Clock
) -> None:
    await _paid_order(demo_shop, clock)
    sender = RefundSender(demo_shop.uows, FlakyCard(99), None, clock, (900,))  # type: ignore[arg-type]
    for _ in range(MAX_ATTEMPTS + 2):
        await sender.run_due()
        clock.advance(hours=2)
    async with demo_shop.uows() as uow:
        notices = await uow.notices.pending(10)
    assert [(n.chat_id, n.kind) for n in notices] == [(900, "refund_failed_admin")]


async def test_a_hold_without_payment_is_released_once(
    demo_shop: Storefront, clock: Clock
) -> None:
    async with demo_shop.uows() as uow:
        [pid] = await uow.catalog.search_ids(["trail"], 5)
        product = await uow.catalog.product(pid)
        assert product is not None
        basket = await checkout.basket_for_variant(uow, product.variants[0].id)
        started = await checkout.start(uow, 6, 6, basket, Delivery.PICKUP, SETUP, clock())
        assert started.order is not None
        facts = PaymentFacts(6, checkout.payload_of(started.order), "USD", 8900)
        assert await pre_checkout.pre_checkout(uow, facts, SETUP, clock()) is None
        await uow.commit()
    clock.advance(minutes=16)
    for _ in range(2):
        async with demo_shop.uows() as uow:
            await stock_holds.release_due_holds(uow, clock())
            await uow.commit()
    async with demo_shop.uows() as uow:
        product = await uow.catalog.product(pid, fresh=True)
        assert product is not None and product.variants[0].stock == 3
        # The payment arrives late anyway: stock is still there, so it is honoured.
        outcome = await payment_received.payment_received(
            uow, facts, payment_received.Charge("tg-late", "ch_late"), clock()
        )
        assert outcome.result is payment_received.PaymentResult.PAID
        await uow.commit()


async def test_one_reminder_per_abandoned_cart(demo_shop: Storefront, clock: Clock) -> None:
    async with demo_shop.uows() as uow:
        await uow.buyers.touch(8, "Ann", None, "en", clock())
        [pid] = await uow.catalog.search_ids(["konjac"], 5)
        product = await uow.catalog.product(pid)
        assert product is not None
        await uow.carts.add(8, product.variants[0].id, 1, 20, clock())
        await uow.commit()
    after = timedelta(hours=24)
    assert await remind_abandoned_carts(demo_shop.uows, clock(), after) == 0
    clock.advance(hours=25)
    assert await remind_abandoned_carts(demo_shop.uows, clock(), after) == 1
    clock.advance(hours=25)
    assert await remind_abandoned_carts(demo_shop.uows, clock(), after) == 0
