"""Checkout end to end, on aiogram and on python-telegram-bot: invoices, shipping, the
pre-checkout, the payment, the receipt, cancelling with a Stripe refund, Stars."""

from __future__ import annotations

from sqlalchemy import select, update

from bot.domain.coupons import Coupon, CouponKind
from bot.domain.orders import OrderStatus
from storage.tables import VariantRow
from tests.e2e.harness import (
    PROVIDER_TOKEN,
    US,
    RunningShop,
    keyboard_texts,
    last_invoice,
    only,
    orders_of,
    product_card,
)


async def _stock(shop: RunningShop, sku: str) -> int:
    async with shop.uows.engine.connect() as conn:
        return int(await conn.scalar(select(VariantRow.stock).where(VariantRow.sku == sku)))  # type: ignore[arg-type]


async def test_buy_now_ship_pay_receipt_and_a_returning_buyer_goes_straight_to_pay(
    shop: RunningShop,
) -> None:
    ann = shop.standin.private_chat(3001, "Ann")
    card = await product_card(shop, ann, "konjac")
    calls = await shop.press(ann, card, "⚡ Buy now")
    asked = ann.last_message()
    assert asked is not None and "How would you like" in asked["text"]
    calls = await shop.press(ann, asked, "🚚 Deliver to my address")
    [sent] = only(calls, "sendInvoice")
    params = sent.params
    assert sent.ok and params["currency"] == "USD"
    assert params["provider_token"] == PROVIDER_TOKEN
    assert params["prices"] == [{"label": "Spicy Konjac Jelly (10 pack) × 1", "amount": 499}]
    assert params["is_flexible"] is True and params["need_shipping_address"] is True
    invoice = last_invoice(ann)
    assert keyboard_texts(invoice)[0] == "Pay $4.99"

    calls = await shop.pay(ann, invoice, order_info=US, shipping_option_id="us-express")
    [shipping] = only(calls, "answerShippingQuery")
    assert shipping.params["ok"] is True
    assert [o["id"] for o in shipping.params["shipping_options"]] == ["us-standard", "us-express"]
    [pre] = only(calls, "answerPreCheckoutQuery")
    assert pre.params["ok"] is True
    receipt = only(calls, "sendMessage")[-1].params["text"]
    assert "Payment received: order #" in receipt
    assert "Shipping: $14.99" in receipt and "Total: $19.98" in receipt
    assert "San Francisco, US" in receipt
    [order] = await orders_of(shop, 3001)
    assert order.status == OrderStatus.PAID and order.total_minor == 1998
    assert order.telegram_charge_id and order.provider_charge_id
    assert await _stock(shop, "KJ-10") == 199

    calls = await shop.press(ann, card, "⚡ Buy now")  # remembered: straight to the invoice
    assert only(calls, "sendInvoice") and "How would you like" not in str(calls)


async def test_coupon_pickup_and_cart_checkout(shop: RunningShop) -> None:
    async with shop.uows() as uow:
        await uow.coupons.create(
            Coupon(0, "SAVE10", CouponKind.PERCENT, percent=10, per_buyer_limit=1), shop.now()
        )
        await uow.commit()
    bob = shop.standin.private_chat(3002, "Bob")
    calls = await shop.send(bob, "/coupon save10")
    assert "Coupon <b>SAVE10</b> applied: 10% off" in only(calls, "sendMessage")[0].params["text"]
    card = await product_card(shop, bob, "konjac")
    await shop.press(bob, card, "🛒 Add to cart")
    await shop.press(bob, card, "🛒 Add to cart")
    await shop.send(bob, "/cart")
    calls = await shop.press(bob, bob.last_message(), "💳 Checkout")  # type: ignore[arg-type]
    await shop.press(bob, bob.last_message(), "🏬 Pick up at Storefront Studio")  # type: ignore[arg-type]
    invoice = last_invoice(bob)
    [sent] = [c for c in shop.standin.calls if c.method == "sendInvoice"][-1:]
    assert {"label": "Coupon SAVE10", "amount": -100} in sent.params["prices"]
    assert "is_flexible" not in sent.params
    calls = await shop.pay(bob, invoice, order_info={"name": "Bob", "phone_number": "+1555"})
    assert not only(calls, "answerShippingQuery")
    receipt = only(calls, "sendMessage")[-1].params["text"]
    assert "Coupon SAVE10: −$1.00" in receipt and "Total: $8.98" in receipt
    assert "Pickup at Storefront Studio" in receipt
    calls = await shop.send(bob, "/cart")
    assert "empty" in only(calls, "sendMessage")[0].params["text"]
    # The coupon was for one use per buyer: it is gone now.
    calls = await shop.send(bob, "/coupon SAVE10")
    assert "already used coupon SAVE10" in only(calls, "sendMessage")[0].params["text"]


async def test_pre_checkout_refused_when_the_stock_went_meanwhile(shop: RunningShop) -> None:
    cy = shop.standin.private_chat(3003, "Cy")
    card = await product_card(shop, cy, "trail")
    await shop.press(cy, card, "⚡ Buy now")
    await shop.press(cy, cy.last_message(), "🏬 Pick up at Storefront Studio")  # type: ignore[arg-type]
    invoice = last_invoice(cy)
    async with shop.uows.engine.begin() as conn:
        await conn.execute(update(VariantRow).where(VariantRow.sku == "TB-1").values(stock=0))  # type: ignore[arg-type]
    calls = await shop.pay(cy, invoice, order_info={"name": "Cy"})
    [pre] = only(calls, "answerPreCheckoutQuery")
    assert pre.params["ok"] is False and "just sold out" in pre.params["error_message"]
    assert [o.status for o in await orders_of(shop, 3003)] == [OrderStatus.PENDING]
    assert await _stock(shop, "TB-1") == 0


async def test_cancel_before_shipping_refunds_through_stripe(shop: RunningShop) -> None:
    di = shop.standin.private_chat(3004, "Di")
    card = await product_card(shop, di, "tripod")
    await shop.press(di, card, "⚡ Buy now")
    await shop.press(di, di.last_message(), "🏬 Pick up at Storefront Studio")  # type: ignore[arg-type]
    await shop.pay(di, last_invoice(di), order_info={"name": "Di"})
    [order] = await orders_of(shop, 3004)
    assert await _stock(shop, "PT-1") == 59

    await shop.send(di, "/orders")
    listing = di.last_message()
    assert listing is not None and f"#{order.id} · $15.99 · paid" in keyboard_texts(listing)
    await shop.press(di, listing, f"#{order.id} · $15.99 · paid")
    await shop.press(di, di.last_message(), "✕ Cancel order")  # type: ignore[arg-type]
    calls = await shop.press(di, di.last_message(), "Yes, cancel it")  # type: ignore[arg-type]
    assert "refund of $15.99 is on its way" in str(calls)
    await shop.settle()
    [refund] = shop.stripe.requests_to("/v1/refunds", "POST")
    assert refund.params["charge"] == order.provider_charge_id
    assert refund.params["amount"] == "1599"
    assert refund.idempotency_key and refund.idempotency_key.startswith("storefront-refund-")
    assert shop.stripe.charges[order.provider_charge_id]["refunded"] is True
    done = di.last_message()
    assert done is not None and "Refund of $15.99" in done["text"]
    [cancelled] = await orders_of(shop, 3004)
    assert cancelled.status == OrderStatus.CANCELLED and cancelled.refunded_minor == 1599
    assert await _stock(shop, "PT-1") == 60
    # A second press of the stale confirmation changes nothing and refunds nothing more.
    await shop.press_data(di, di.last_message(), f"oy:{order.id}")  # type: ignore[arg-type]
    await shop.settle()
    assert len(shop.stripe.requests_to("/v1/refunds", "POST")) == 1


async def test_stars_payment_delivers_content_and_refunds_with_refund_star_payment(
    shop: RunningShop,
) -> None:
    eve = shop.standin.private_chat(3005, "Eve")
    card = await product_card(shop, eve, "recipes")
    calls = await shop.press(eve, card, "⚡ Buy now")
    [sent] = only(calls, "sendInvoice")
    assert sent.params["currency"] == "XTR" and "provider_token" not in sent.params
    assert sent.params["prices"] == [{"label": "Total", "amount": 150}]
    calls = await shop.pay(eve, last_invoice(eve))
    receipt = only(calls, "sendMessage")[-1].params["text"]
    assert "⭐150" in receipt and "SPICY-30" in receipt
    [order] = await orders_of(shop, 3005)
    await shop.press_data(eve, eve.last_message(), f"oy:{order.id}")  # type: ignore[arg-type]
    await shop.settle()
    [refund] = [c for c in shop.standin.calls if c.method == "refundStarPayment"]
    assert refund.ok and refund.params["telegram_payment_charge_id"] == order.telegram_charge_id
    assert not shop.stripe.requests_to("/v1/refunds", "POST")
    [cancelled] = await orders_of(shop, 3005)
    assert cancelled.refunded_minor == 150


async def test_a_payment_delivered_twice_makes_one_order(shop: RunningShop) -> None:
    fay = shop.standin.private_chat(3006, "Fay")
    card = await product_card(shop, fay, "mango")
    await shop.press(fay, card, "⚡ Buy now")
    await shop.press(fay, fay.last_message(), "🏬 Pick up at Storefront Studio")  # type: ignore[arg-type]
    await shop.pay(fay, last_invoice(fay), order_info={"name": "Fay"})
    paid = fay.last_message()
    payment = shop.last_payment()
    mark = len(shop.standin.calls)
    shop.standin.state.updates.push({"message": payment})
    await shop.settle()
    assert [c.method for c in shop.standin.calls[mark:] if c.method != "getUpdates"] == []
    assert len(await orders_of(shop, 3006)) == 1
    assert fay.last_message() == paid


async def test_forged_payloads_and_countries_we_do_not_ship_to(shop: RunningShop) -> None:
    gus = shop.standin.private_chat(3007, "Gus")
    user = {"id": 3007, "is_bot": False, "first_name": "Gus"}
    mark = len(shop.standin.calls)
    query = shop.standin.state.new_query("pre_checkout_query", user, chat_id=3007)
    shop.standin.state.updates.push(
        {
            "pre_checkout_query": {
                "id": query.query_id,
                "from": user,
                "currency": "USD",
                "total_amount": 1,
                "invoice_payload": "o:1:0123456789abcdef",
            }
        }
    )
    await shop.settle()
    [pre] = [c for c in shop.standin.calls[mark:] if c.method == "answerPreCheckoutQuery"]
    assert pre.params["ok"] is False and "not valid" in pre.params["error_message"]

    card = await product_card(shop, gus, "konjac")
    await shop.press(gus, card, "⚡ Buy now")
    await shop.press(gus, gus.last_message(), "🚚 Deliver to my address")  # type: ignore[arg-type]
    mars = {"shipping_address": {**US["shipping_address"], "country_code": "JP"}}
    calls = await shop.pay(gus, last_invoice(gus), order_info=mars)
    [shipping] = only(calls, "answerShippingQuery")
    assert shipping.params["ok"] is False
    assert "do not ship to this country" in shipping.params["error_message"]
    assert not only(calls, "answerPreCheckoutQuery")


async def test_bad_coupon_codes_get_a_clear_answer(shop: RunningShop) -> None:
    hal = shop.standin.private_chat(3008, "Hal")
    for code in ("X" * 10_000, "SAVE\x00\x07", "<b>SAVE</b>", "NOPE"):
        calls = await shop.send(hal, f"/coupon {code}")
        [said] = only(calls, "sendMessage")
        assert said.ok and "There is no coupon with that code." in said.params["text"]
    await shop.send(hal, "/start c_NOPE")
    assert "no coupon" in hal.last_message()["text"]  # type: ignore[index]
