"""Stripe Checkout links (authorise now, capture later) and Stripe's webhooks, through the real
SDK against the local Stripe stand-in, which signs its webhooks the way Stripe does."""

from __future__ import annotations

import copy
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from bot.domain.group_buys import GroupDeal, Team
from bot.domain.money import Money
from bot.domain.orders import OrderStatus
from bot.payments.stripe_gateway import StripeGateway
from bot.payments.stripe_webhook import StripeWebhookServer, stripe_routes
from bot.services import checkout, group_buys, stripe_payments
from bot.services.catalog_import import demo_catalog_path, import_catalog, read_catalog
from bot.services.checkout import Delivery, PaymentSetup
from bot.services.order_ports import Order
from bot.services.refunds import RefundSender
from bot.services.shipping_file import default_shipping_path, read_rates
from bot.standin.stripe_standin import StripeStandIn
from bot.telegram.metrics import ShopMetrics
from storage.unit_of_work import SqlUnitOfWorkFactory

SECRET = "whsec_test_secret"


def now() -> datetime:
    return datetime.now(UTC)


@dataclass
class Rig:
    uows: SqlUnitOfWorkFactory
    stripe: StripeStandIn
    card: StripeGateway
    server: StripeWebhookServer
    metrics: ShopMetrics


@pytest.fixture
async def rig(sqlite_uows: SqlUnitOfWorkFactory) -> AsyncIterator[Rig]:
    await import_catalog(sqlite_uows, read_catalog(demo_catalog_path()))
    metrics = ShopMetrics()
    routes = stripe_routes(sqlite_uows, SECRET, now, on_anomaly=metrics.anomaly)
    server = StripeWebhookServer(routes, "127.0.0.1", 0)
    await server.start()
    stripe = StripeStandIn(webhook_secret=SECRET)
    await stripe.start()
    stripe.webhook_url = server.url
    card = StripeGateway(stripe.api_key, stripe.base_url, retries=0)
    try:
        yield Rig(sqlite_uows, stripe, card, server, metrics)
    finally:
        await card.close()
        await stripe.stop()
        await server.stop()


async def _linked_order(rig: Rig, word: str = "tripod") -> tuple[Order, str]:
    setup = PaymentSetup(stripe_links=True, shipping=read_rates(default_shipping_path()))
    async with rig.uows() as uow:
        [pid] = await uow.catalog.search_ids([word], 5)
        product = await uow.catalog.product(pid)
        assert product is not None
        basket = await checkout.basket_for_variant(uow, product.variants[0].id)
        started = await checkout.start(uow, 77, 77, basket, Delivery.PICKUP, setup, now())
        assert started.order is not None and started.order.method == "stripe_link"
        link = await stripe_payments.open_link(
            uow, rig.card, started.order, "Phone Tripod", "https://t.me/shop_bot", now()
        )
        assert link is not None
        await uow.commit()
    session = rig.stripe.sessions[link.session_id]
    assert session["status"] == "open"
    return started.order, link.session_id


async def _order(rig: Rig, order_id: int) -> Order:
    async with rig.uows() as uow:
        found = await uow.orders.get(order_id)
    assert found is not None
    return found


async def _stock(rig: Rig, word: str = "tripod") -> int:
    async with rig.uows() as uow:
        [pid] = await uow.catalog.search_ids([word], 5)
        product = await uow.catalog.product(pid, fresh=True)
    assert product is not None
    return product.variants[0].stock


async def test_link_authorises_then_captures_and_events_apply_once(rig: Rig) -> None:
    order, session_id = await _linked_order(rig)
    assert await _stock(rig) == 59  # held while the buyer is on Stripe's page
    [created] = rig.stripe.requests_to("/v1/checkout/sessions", "POST")
    assert created.params["payment_intent_data"]["capture_method"] == "manual"
    assert created.params["metadata"]["order_id"] == str(order.id)
    assert created.idempotency_key == f"storefront-order-{order.id}-link"

    rig.stripe.complete_session(session_id)
    await rig.stripe.wait_deliveries()
    [delivery] = rig.stripe.deliveries
    assert delivery.status == 200
    authorised = await _order(rig, order.id)
    assert authorised.status is OrderStatus.AUTHORIZED
    assert authorised.stripe_payment_intent
    assert await _stock(rig) == 59

    # Replayed: accepted (Stripe must stop retrying) but changes nothing.
    event = rig.stripe.events_of("checkout.session.completed")[0]
    assert await rig.stripe.deliver(event) == 200
    assert (await _order(rig, order.id)).status is OrderStatus.AUTHORIZED

    async with rig.uows() as uow:
        assert await stripe_payments.capture(uow, rig.card, order.id, now())
        await uow.commit()
    intent = rig.stripe.payment_intents[authorised.stripe_payment_intent]
    assert intent["status"] == "succeeded"
    assert (await _order(rig, order.id)).status is OrderStatus.PAID


async def test_bad_or_missing_signatures_get_400_and_change_nothing(rig: Rig) -> None:
    order, session_id = await _linked_order(rig)
    rig.stripe.webhook_url = None
    rig.stripe.complete_session(session_id)
    event = rig.stripe.events_of("checkout.session.completed")[0]
    assert await rig.stripe.deliver(event, url=rig.server.url, secret="whsec_wrong") == 400
    old = int(now().timestamp()) - 3600
    assert await rig.stripe.deliver(event, url=rig.server.url, timestamp=old) == 400
    import aiohttp

    async with aiohttp.ClientSession() as http, http.post(rig.server.url, json=event) as reply:
        assert reply.status == 400
    assert (await _order(rig, order.id)).status is OrderStatus.PENDING
    # The genuine delivery still works afterwards: the refused ones claimed nothing.
    assert await rig.stripe.deliver(event, url=rig.server.url) == 200
    assert (await _order(rig, order.id)).status is OrderStatus.AUTHORIZED


async def test_signatures_more_than_five_minutes_old_or_ahead_get_400_and_change_nothing(
    rig: Rig,
) -> None:
    order, session_id = await _linked_order(rig)
    rig.stripe.webhook_url = None
    rig.stripe.complete_session(session_id)
    event = rig.stripe.events_of("checkout.session.completed")[0]
    stamp = int(now().timestamp())
    for skew in (600, 301, -301, -600):  # from the future, and from the past
        assert await rig.stripe.deliver(event, url=rig.server.url, timestamp=stamp + skew) == 400
    assert (await _order(rig, order.id)).status is OrderStatus.PENDING
    assert await _stock(rig) == 59
    # Within five minutes either way (clocks differ a little): accepted, and handled once.
    assert await rig.stripe.deliver(event, url=rig.server.url, timestamp=stamp + 120) == 200
    assert (await _order(rig, order.id)).status is OrderStatus.AUTHORIZED
    assert await rig.stripe.deliver(event, url=rig.server.url, timestamp=stamp - 120) == 200
    assert await _stock(rig) == 59


async def _captured_charge(rig: Rig) -> tuple[Order, dict[str, Any]]:
    """A Stripe-link order, paid and captured: the order and its Stripe charge."""
    order, session_id = await _linked_order(rig)
    rig.stripe.complete_session(session_id)
    await rig.stripe.wait_deliveries()
    async with rig.uows() as uow:
        await stripe_payments.capture(uow, rig.card, order.id, now())
        await uow.commit()
    intent = (await _order(rig, order.id)).stripe_payment_intent
    [charge] = [c for c in rig.stripe.charges.values() if c["payment_intent"] == intent]
    return order, charge


def _refunded_event(charge: dict[str, Any], event_id: str, refunded: int) -> dict[str, Any]:
    """A signed ``charge.refunded`` that says ``refunded`` minor units went back."""
    forged = copy.deepcopy(charge)
    forged.update(amount_refunded=refunded, refunded=True)
    return {
        "id": event_id,
        "object": "event",
        "type": "charge.refunded",
        "created": int(now().timestamp()),
        "data": {"object": forged},
    }


async def test_a_refund_reported_beyond_what_was_paid_is_capped_and_flagged(
    rig: Rig, caplog: pytest.LogCaptureFixture
) -> None:
    order, charge = await _captured_charge(rig)
    assert order.total == Money(1599, "USD")
    await rig.card.refund(
        charge_id=None,
        payment_intent=charge["payment_intent"],
        amount=Money(500, "USD"),
        key="dashboard-1",
    )
    await rig.stripe.wait_deliveries()
    assert (await _order(rig, order.id)).refunded == Money(500, "USD")

    caplog.set_level(logging.WARNING, logger="bot.services.stripe_payments")
    event = _refunded_event(charge, "evt_over_refund", 49900)
    assert await rig.stripe.deliver(event, url=rig.server.url) == 200
    refunded = await _order(rig, order.id)
    assert refunded.refunded == Money(1599, "USD")  # never more than was paid
    assert refunded.status is OrderStatus.REFUNDED
    [warning] = [r for r in caplog.records if r.levelno == logging.WARNING]
    text = warning.getMessage()
    assert f"order {order.id}" in text and "49900" in text and "1099" in text, text
    metrics = rig.metrics.render().decode()
    assert 'storefront_payment_anomalies_total{kind="over_refund"} 1.0' in metrics

    # Another such event (another id) finds nothing left to refund: nothing recorded.
    again = _refunded_event(charge, "evt_over_refund_2", 99999)
    assert await rig.stripe.deliver(again, url=rig.server.url) == 200
    assert (await _order(rig, order.id)).refunded == Money(1599, "USD")
    async with rig.uows() as uow:
        rows = await uow.refunds.for_order(order.id)
    assert sorted(task.amount.amount for task, _ in rows) == [500, 1099]
    assert 'storefront_payment_anomalies_total{kind="over_refund"} 2.0' in (
        rig.metrics.render().decode()
    )


async def test_a_cancelled_authorisation_cancels_the_order_and_returns_the_stock(
    rig: Rig,
) -> None:
    order, session_id = await _linked_order(rig)
    rig.stripe.complete_session(session_id)
    await rig.stripe.wait_deliveries()
    intent = (await _order(rig, order.id)).stripe_payment_intent
    assert intent is not None
    await rig.card.cancel_authorization(intent, key="test-cancel")
    await rig.stripe.wait_deliveries()
    cancelled = await _order(rig, order.id)
    assert cancelled.status is OrderStatus.CANCELLED
    assert await _stock(rig) == 60


async def test_a_refund_made_in_the_stripe_dashboard_is_recorded(rig: Rig) -> None:
    order, session_id = await _linked_order(rig)
    rig.stripe.complete_session(session_id)
    await rig.stripe.wait_deliveries()
    async with rig.uows() as uow:
        await stripe_payments.capture(uow, rig.card, order.id, now())
        await uow.commit()
    intent = (await _order(rig, order.id)).stripe_payment_intent
    await rig.card.refund(
        charge_id=None, payment_intent=intent, amount=Money(500, "USD"), key="dashboard-1"
    )
    await rig.stripe.wait_deliveries()
    refunded = await _order(rig, order.id)
    assert refunded.refunded == Money(500, "USD")
    assert refunded.status is OrderStatus.PARTIALLY_REFUNDED


async def _group_seat(rig: Rig, team: Team, user: int, setup: PaymentSetup) -> Order:
    """A member joins with a Stripe link (authorise now) and completes Stripe's page."""
    async with rig.uows() as uow:
        basket = await checkout.basket_for_team(uow, team)
        started = await checkout.start(uow, user, user, basket, Delivery.PICKUP, setup, now())
        assert started.order is not None and started.order.method == "stripe_link"
        link = await stripe_payments.open_link(
            uow, rig.card, started.order, team.name, "https://t.me/shop_bot", now()
        )
        assert link is not None
        await uow.commit()
    rig.stripe.complete_session(link.session_id)
    await rig.stripe.wait_deliveries()
    seat = await _order(rig, started.order.id)
    assert seat.status is OrderStatus.AUTHORIZED and seat.team_id == team.id
    return seat


async def _group_team(rig: Rig, size: int) -> Team:
    async with rig.uows() as uow:
        variant_id = await uow.catalog.variant_by_sku("KJ-10")
        assert variant_id is not None
        deal = GroupDeal(variant_id, Money(349, "USD"), size, timedelta(hours=24))
        await uow.groups.set_deal(deal)
        opened = await group_buys.open_team(uow, 70, variant_id, now())
        await uow.commit()
    assert opened.team is not None
    return opened.team


GROUP_SETUP = PaymentSetup(group_authorize=True, shipping=read_rates(default_shipping_path()))


async def test_group_seats_are_authorised_and_captured_when_the_team_fills(rig: Rig) -> None:
    team = await _group_team(rig, size=2)
    first = await _group_seat(rig, team, 81, GROUP_SETUP)
    intent = rig.stripe.payment_intents[first.stripe_payment_intent or ""]
    assert intent["status"] == "requires_capture"  # nothing charged while the team fills
    second = await _group_seat(rig, team, 82, GROUP_SETUP)
    sender = RefundSender(rig.uows, rig.card, None, now)
    assert await sender.run_due() == 2
    for seat in (first, second):
        assert (await _order(rig, seat.id)).status is OrderStatus.PAID
        intent = rig.stripe.payment_intents[seat.stripe_payment_intent or ""]
        assert intent["status"] == "succeeded"
    captures = rig.stripe.requests_to("/v1/payment_intents", "POST")
    keys = sorted(r.idempotency_key or "" for r in captures if r.path.endswith("/capture"))
    assert len(keys) == 2 and all(k.startswith("storefront-refund-") for k in keys)
    assert await sender.run_due() == 0  # captured once


async def test_group_authorisations_are_released_when_the_deadline_passes(rig: Rig) -> None:
    team = await _group_team(rig, size=3)
    seat = await _group_seat(rig, team, 83, GROUP_SETUP)
    later = now() + timedelta(hours=25)
    async with rig.uows() as uow:
        assert await group_buys.settle_due(uow, later) == 1
        await uow.commit()
    assert await RefundSender(rig.uows, rig.card, None, lambda: later).run_due() == 1
    intent = rig.stripe.payment_intents[seat.stripe_payment_intent or ""]
    assert intent["status"] == "canceled"
    assert not rig.stripe.requests_to("/v1/refunds", "POST")  # released, not refunded
    assert (await _order(rig, seat.id)).status is OrderStatus.CANCELLED
