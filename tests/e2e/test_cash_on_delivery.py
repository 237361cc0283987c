"""Cash on delivery end to end, on aiogram and on python-telegram-bot: the "💵 Cash on delivery"
button under a shipped order's invoice collects in the chat what the payment sheet would (the
country, a method taking cash there, the recipient's name, phone and address), refusing bad
answers in words and asking again; a buyer who leaves half-way continues (or starts over) from
the invoice's button; the summary adds the shipping and Confirm places the order awaiting cash
with its stock held; the console shows the address and phone, staff ship it unpaid and mark it
paid when the courier brings the cash, and the buyer gets the receipt. A method without cash on
delivery is never offered, and a shop with none shows no button."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import pytest

from bot.domain.orders import OrderStatus
from bot.domain.shipping import ShippingRates
from bot.standin import SimChat
from tests.e2e.harness import ADMIN_ID, RunningShop, keyboard_texts, only, orders_of
from tests.e2e.harness import last_message as _last
from tests.e2e.test_pay_at_pickup import (
    MARK_PAID,
    _order_screen,
    _stock,
    _texts,
    _tripod,
)

SHIP = "🚚 Deliver to my address"
COD = "💵 Cash on delivery"


async def _ship_invoice(
    shop: RunningShop, chat: SimChat, buy: str = "⚡ Buy now"
) -> dict[str, Any]:
    pid, _ = await _tripod(shop)
    await shop.send(chat, f"/start p_{pid}")
    await shop.press(chat, _last(chat), buy)
    if "invoice" not in _last(chat):
        await shop.press(chat, _last(chat), SHIP)
    invoice = _last(chat)
    assert "invoice" in invoice, invoice
    return invoice


async def _say(shop: RunningShop, chat: SimChat, text: str) -> str:
    await shop.send(chat, text)
    return str(_last(chat)["text"])


async def test_a_buyer_pays_the_courier_and_staff_mark_it_paid(shop: RunningShop) -> None:
    ann = shop.standin.private_chat(6401, "Ann")
    _, variant = await _tripod(shop)
    before = await _stock(shop, variant)
    invoice = await _ship_invoice(shop, ann)
    assert COD in keyboard_texts(invoice), keyboard_texts(invoice)
    calls = await shop.press(ann, invoice, COD)
    assert not only(calls, "sendInvoice")
    asked = _last(ann)["text"]
    assert "Cash on delivery" in asked and "two-letter code" in asked and "US" in asked, asked
    # Bad answers: refused with the reason, the same question again.
    said = await _say(shop, ann, "France")
    assert "two-letter code" in said, said
    said = await _say(shop, ann, "GB")  # shipped there, but not with cash on delivery
    assert "don't ship with cash on delivery to GB" in said and "two-letter code" in said, said
    said = await _say(shop, ann, "us")  # one method takes cash there: chosen with it
    assert "recipient's full name" in said, said
    said = await _say(shop, ann, "A" * 150)
    assert "too long" in said and "100" in said and "full name" in said, said
    assert "phone" in await _say(shop, ann, "Ann Lee")
    said = await _say(shop, ann, "call me maybe")
    assert "doesn't look like a phone number" in said, said
    assert "city" in (await _say(shop, ann, "+1 415 555 0100")).lower()
    # She leaves (a command ends the step), then comes back through the invoice's button.
    await shop.send(ann, "/orders")
    await shop.press(ann, invoice, COD)
    resume = _last(ann)
    assert "Continue where you left off" in resume["text"], resume["text"]
    await shop.press(ann, resume, "▶️ Continue")
    assert "city" in _last(ann)["text"].lower(), _last(ann)["text"]
    assert "street" in (await _say(shop, ann, "San Francisco")).lower()
    assert "post code" in (await _say(shop, ann, "1 Main St, Apt 2")).lower()
    said = await _say(shop, ann, "94103;")
    assert "doesn't look like a post code" in said, said
    summary = _last(ann) if "Confirm" in (await _say(shop, ann, "94103")) else None
    assert summary is not None, _last(ann)["text"]
    text = summary["text"]
    assert "Shipping (Standard (3–5 days)): $4.99" in text, text
    assert "To pay the courier: $20.98" in text and "Express" not in text, text
    assert (
        "Ann Lee, +1 415 555 0100" in text and "1 Main St, Apt 2, San Francisco 94103, US" in text
    )
    await shop.press(ann, summary, "✅ Confirm order")
    [order] = [o for o in await orders_of(shop, ann.id) if o.status == OrderStatus.AWAITING_CASH]
    assert order.method == "cash" and order.total_minor == 2098 and order.shipping_minor == 499
    address = json.loads(order.ship_address or "{}")
    assert address["city"] == "San Francisco" and address["post_code"] == "94103"
    placed = _last(ann)["text"]
    assert f"Order #{order.id} is placed: cash on delivery" in placed, placed
    assert "Pay the courier $20.98" in placed
    assert await _stock(shop, variant) == before - 1  # held
    await shop.press(ann, _last(ann), "📦 Order details")
    details = _last(ann)["text"]
    assert "to pay on delivery" in details and "To pay the courier in cash" in details, details
    # The same Confirm again places nothing twice.
    calls = await shop.press(ann, summary, "✅ Confirm order")
    [again] = only(calls, "answerCallbackQuery")
    assert "already placed" in again.params["text"]
    # The console: address and phone where a paid order shows them; ship it, then mark paid.
    admin = shop.standin.private_chat(ADMIN_ID, "Boss")
    screen = await _order_screen(shop, admin, order.id)
    assert "Ship to: Ann Lee, 1 Main St, Apt 2, San Francisco, 94103, US" in screen["text"]
    assert "Phone: +1 415 555 0100" in screen["text"]
    assert "To pay the courier in cash: $20.98" in screen["text"], screen["text"]
    assert "to pay on delivery" in screen["text"] and "pickup" not in screen["text"]
    assert "🚚 Mark shipped" in keyboard_texts(screen) and MARK_PAID in keyboard_texts(screen)
    await shop.press(admin, screen, MARK_PAID)
    await shop.settle()
    [paid] = [o for o in await orders_of(shop, ann.id) if o.id == order.id]
    assert paid.status == OrderStatus.PAID and paid.paid_at is not None
    receipts = [t for t in _texts(ann) if f"Payment received: order #{order.id}" in t]
    assert len(receipts) == 1 and "Paid in cash on delivery" in receipts[0], _texts(ann)[-1]
    assert "San Francisco" in receipts[0]
    assert await _stock(shop, variant) == before - 1  # sold


async def test_start_over_and_cancel_leave_the_flow(shop: RunningShop) -> None:
    bo = shop.standin.private_chat(6402, "Bo")
    invoice = await _ship_invoice(shop, bo)
    await shop.press(bo, invoice, COD)
    await _say(shop, bo, "US")
    await _say(shop, bo, "Bo Chen")
    await shop.send(bo, "/cancel")
    assert "Cancelled" in _last(bo)["text"]
    said = await _say(shop, bo, "+1 415 555 0199")  # no longer a step: a search
    assert "phone number" not in said and "city" not in said.lower(), said
    await shop.press(bo, invoice, COD)
    await shop.press(bo, _last(bo), "↩️ Start over")
    assert "two-letter code" in _last(bo)["text"]
    [order] = [o for o in await orders_of(shop, bo.id) if o.status == OrderStatus.PENDING]
    assert order.ship_name is None and order.ship_address is None  # the draft is gone


async def test_without_cash_on_delivery_no_button_and_forged_ones_are_refused(
    shop: RunningShop,
) -> None:
    cy = shop.standin.private_chat(6403, "Cy")
    config = shop.storefront.config
    shipping = config.payments.shipping
    zones = tuple(
        dataclasses.replace(z, options=tuple(dataclasses.replace(o, cash=None) for o in z.options))
        for z in shipping.zones
    )
    rates = ShippingRates(zones, shipping.pickup)
    config.payments = dataclasses.replace(config.payments, shipping=rates)
    invoice = await _ship_invoice(shop, cy)
    assert COD not in keyboard_texts(invoice), keyboard_texts(invoice)
    [order] = [o for o in await orders_of(shop, cy.id) if o.status == OrderStatus.PENDING]
    for forged in (f"cv:go:{order.id}:0", f"cv:ok:{order.id}:0"):
        calls = await shop.press_data(cy, invoice["message_id"], forged)
        [answer] = only(calls, "answerCallbackQuery")
        assert "isn't available" in answer.params["text"], answer.params
    [still] = [o for o in await orders_of(shop, cy.id) if o.id == order.id]
    assert still.status == OrderStatus.PENDING and still.ship_address is None


async def test_a_chinese_buyer_is_asked_in_chinese(shop: RunningShop) -> None:
    mei = shop.standin.private_chat(6404, "Mei", language_code="zh-hans")
    pid, _ = await _tripod(shop)
    await shop.send(mei, f"/start p_{pid}")
    await shop.press(mei, _last(mei), "⚡ 立即购买")
    if "invoice" not in _last(mei):
        await shop.press(mei, _last(mei), "🚚 送货到我的地址")
    invoice = _last(mei)
    assert "💵 货到付款" in keyboard_texts(invoice), keyboard_texts(invoice)
    await shop.press(mei, invoice, "💵 货到付款")
    assert "两位字母代码" in _last(mei)["text"]
    said = await _say(shop, mei, "CN")
    assert "不支持货到付款寄往 CN" in said, said


async def test_staff_ship_it_unpaid_and_mark_it_paid_when_the_cash_comes_back(
    shop: RunningShop,
) -> None:
    dee = shop.standin.private_chat(6405, "Dee")
    await shop.press(dee, await _ship_invoice(shop, dee), COD)
    for answer in ("US", "Dee Park", "+1 212 555 0123", "New York", "5 Broadway", "10004"):
        await _say(shop, dee, answer)
    await shop.press(dee, _last(dee), "✅ Confirm order")
    [order] = [o for o in await orders_of(shop, dee.id) if o.status == OrderStatus.AWAITING_CASH]
    admin = shop.standin.private_chat(ADMIN_ID, "Boss")
    await shop.press(admin, await _order_screen(shop, admin, order.id), "🚚 Mark shipped")
    await shop.send(admin, "1Z 999 AA1")
    await shop.press(admin, _last(admin), "✅ Yes, shipped")
    await shop.settle()
    [out] = [o for o in await orders_of(shop, dee.id) if o.id == order.id]
    assert out.status == OrderStatus.AWAITING_CASH and out.shipped_at is not None
    assert out.held_until is None and out.tracking == "1Z 999 AA1"  # no deadline on the road
    assert any("1Z 999 AA1" in t for t in _texts(dee))  # the buyer is told it shipped
    screen = await _order_screen(shop, admin, order.id)
    assert "shipped; no deadline now" in screen["text"], screen["text"]
    assert "🚚 Mark shipped" not in keyboard_texts(screen)
    await shop.press(admin, screen, MARK_PAID)
    await shop.settle()
    [paid] = [o for o in await orders_of(shop, dee.id) if o.id == order.id]
    assert paid.status == OrderStatus.SHIPPED and paid.paid_at is not None
    receipts = [t for t in _texts(dee) if f"Payment received: order #{order.id}" in t]
    assert len(receipts) == 1 and "Paid in cash on delivery" in receipts[0]


@pytest.mark.postgres
async def test_on_postgresql_a_buyer_pays_the_courier_and_staff_mark_it_paid(
    pg_shop: RunningShop,
) -> None:
    await test_a_buyer_pays_the_courier_and_staff_mark_it_paid(pg_shop)


async def test_with_two_methods_taking_cash_the_buyer_picks_one_by_its_button(
    shop: RunningShop,
) -> None:
    eve = shop.standin.private_chat(6406, "Eve")
    config = shop.storefront.config
    shipping = config.payments.shipping
    standard = shipping.option("us-standard")
    assert standard is not None and standard.cash is not None
    zones = tuple(
        dataclasses.replace(
            z,
            options=tuple(
                dataclasses.replace(o, cash=standard.cash) if o.id == "us-express" else o
                for o in z.options
            ),
        )
        for z in shipping.zones
    )
    config.payments = dataclasses.replace(
        config.payments, shipping=ShippingRates(zones, shipping.pickup)
    )
    await shop.press(eve, await _ship_invoice(shop, eve), COD)
    await shop.send(eve, "US")
    asked = _last(eve)
    assert "How should it be shipped to US?" in asked["text"], asked["text"]
    assert keyboard_texts(asked) == ["Standard (3–5 days) · $4.99", "Express (1–2 days) · $14.99"]
    await shop.send(eve, "Express please")  # typed instead of pressed: the buttons again
    assert "Please use the buttons below." in _last(eve)["text"]
    await shop.press(eve, asked, "Express (1–2 days) · $14.99")
    assert "recipient's full name" in _last(eve)["text"]
    calls = await shop.press(eve, asked, "Standard (3–5 days) · $4.99")  # stale: chosen already
    [stale] = only(calls, "answerCallbackQuery")
    assert stale.params.get("text"), stale.params
    for answer in ("Eve Moss", "+1 305 555 0147", "Miami", "9 Ocean Dr", "33139"):
        await _say(shop, eve, answer)
    summary = _last(eve)["text"]
    assert "Shipping (Express (1–2 days)): $14.99" in summary and "$30.98" in summary, summary
