"""Pay at pickup end to end, on aiogram and on python-telegram-bot: the "💵 Pay at pickup"
button under a pickup invoice places the order without a payment sheet and holds its stock (the
next buyer cannot have the last unit); staff's "💵 Mark paid" pays it once (audit-logged,
counted in the stats) and the buyer gets the receipt; one left unpaid expires through the
scheduler's job (a clock moved, no sleeping), its stock comes back, the buyer is told and staff
cannot mark it paid; a forged pickup button over the limit, or from a first-time buyer when the
shop keeps them out, is refused in words and changes nothing."""

from __future__ import annotations

import dataclasses
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select, update

from bot.domain.cash import CashTerms
from bot.domain.money import Money
from bot.domain.orders import OrderStatus
from bot.jobs.scheduler import expire_cash_orders
from bot.services.shop_stats import Period
from bot.standin import SimChat
from storage.admin_tables import AdminAuditRow
from storage.tables import VariantRow
from tests.e2e.harness import (
    ADMIN_ID,
    RunningShop,
    advance,
    button_data,
    keyboard_texts,
    last_message,
    only,
    orders_of,
)

PICKUP = "🏬 Pick up at Storefront Studio"
CASH = "💵 Pay at pickup (cash)"
MARK_PAID = "💵 Mark paid"


def _texts(chat: SimChat) -> list[str]:
    return [str(m.get("text", "")) for m in chat.messages()]


async def _tripod(shop: RunningShop) -> tuple[int, int]:
    """The tripod's product and variant ids."""
    async with shop.uows() as uow:
        [pid] = await uow.catalog.search_ids(["tripod"], 5)
        variant = await uow.catalog.variant_by_sku("PT-1")
    assert variant is not None
    return pid, variant


async def _stock(shop: RunningShop, variant_id: int) -> int:
    async with shop.uows() as uow:
        found = await uow.catalog.variant(variant_id)
    assert found is not None
    return found[0].stock


async def _set_stock(shop: RunningShop, variant_id: int, stock: int) -> None:
    async with shop.uows.engine.begin() as conn:
        await conn.execute(
            update(VariantRow).where(VariantRow.id == variant_id).values(stock=stock)  # type: ignore[arg-type]
        )


async def _pickup_invoice(shop: RunningShop, chat: SimChat) -> dict[str, Any]:
    """Buy now on the tripod, picked up: its invoice."""
    pid, _ = await _tripod(shop)
    await shop.send(chat, f"/start p_{pid}")
    await shop.press(chat, last_message(chat), "⚡ Buy now")
    if "invoice" not in last_message(chat):
        await shop.press(chat, last_message(chat), PICKUP)
    invoice = last_message(chat)
    assert "invoice" in invoice, invoice
    return invoice


async def _order_screen(shop: RunningShop, admin: SimChat, order_id: int) -> dict[str, Any]:
    await shop.send(admin, f"/admin order {order_id}")
    screen = last_message(admin)
    assert f"Order #{order_id}" in screen["text"], screen["text"]
    return screen


def _with_pickup_terms(shop: RunningShop, terms: CashTerms) -> None:
    config = shop.storefront.config
    shipping = config.payments.shipping
    assert shipping.pickup is not None
    pickup = dataclasses.replace(shipping.pickup, cash=terms)
    config.payments = dataclasses.replace(
        config.payments, shipping=dataclasses.replace(shipping, pickup=pickup)
    )


async def test_pickup_order_holds_stock_is_marked_paid_once_and_the_buyer_gets_a_receipt(
    shop: RunningShop,
) -> None:
    ann = shop.standin.private_chat(6301, "Ann")
    bo = shop.standin.private_chat(6302, "Bo")
    _, variant = await _tripod(shop)
    await _set_stock(shop, variant, 1)  # the last one
    pid, _ = await _tripod(shop)
    await shop.send(bo, f"/start p_{pid}")
    bo_card = last_message(bo)  # Bo looks at it while there is one left

    invoice = await _pickup_invoice(shop, ann)
    assert CASH in keyboard_texts(invoice)
    calls = await shop.press(ann, invoice, CASH)
    assert not only(calls, "sendInvoice")  # no payment sheet
    [order] = [o for o in await orders_of(shop, ann.id) if o.status != OrderStatus.EXPIRED]
    assert order.status == OrderStatus.AWAITING_CASH and order.method == "cash"
    placed = last_message(ann)["text"]
    assert f"Order #{order.id} is reserved for pickup" in placed, placed
    assert "Pay $15.99 in cash" in placed and "until" in placed
    assert order.held_until is not None and order.held_until.strftime("%Y-%m-%d %H:%M") in placed
    assert await _stock(shop, variant) == 0  # held: nobody else can have it
    await shop.press(
        ann, last_message(ann), "📦 Order details"
    )  # /orders lists it, with its deadline
    details = last_message(ann)["text"]
    assert "to pay at pickup" in details and "held until" in details, details

    calls = await shop.press(bo, bo_card, "⚡ Buy now")  # his card from before: no oversell
    assert not only(calls, "sendInvoice")
    [said] = [c.params.get("text", "") for c in only(calls, "answerCallbackQuery")]
    assert "sold out" in said.lower(), said
    await shop.send(bo, f"/start p_{pid}")  # and the card now shows none left
    assert "⚡ Buy now" not in keyboard_texts(last_message(bo))

    async with shop.uows() as uow:  # awaiting cash is not yet a sale
        today = shop.now().date()
        before = await uow.stats.totals(Period(today, today).start, Period(today, today).end)
    assert not before

    admin = shop.standin.private_chat(ADMIN_ID, "Boss")
    screen = await _order_screen(shop, admin, order.id)
    assert "to pay at pickup" in screen["text"] and "held until" in screen["text"]
    calls = await shop.press(admin, screen, MARK_PAID)
    [toast] = only(calls, "answerCallbackQuery")
    assert f"Order #{order.id} marked paid" in toast.params["text"]
    await shop.settle()
    [paid] = [o for o in await orders_of(shop, ann.id) if o.id == order.id]
    assert paid.status == OrderStatus.PAID and paid.paid_at is not None
    receipts = [t for t in _texts(ann) if f"Payment received: order #{order.id}" in t]
    assert len(receipts) == 1 and "Paid in cash at pickup" in receipts[0], _texts(ann)[-1]
    assert "Phone Tripod" in receipts[0] and "$15.99" in receipts[0]
    assert await _stock(shop, variant) == 0  # sold

    # The same button again (a double tap, a stale screen): nothing is paid twice.
    calls = await shop.press_data(admin, screen["message_id"], button_data(screen, MARK_PAID))
    [again] = only(calls, "answerCallbackQuery")
    assert "already marked paid" in again.params["text"]
    await shop.settle()
    assert len([t for t in _texts(ann) if f"Payment received: order #{order.id}" in t]) == 1
    async with shop.uows.engine.connect() as conn:
        audit = (await conn.execute(select(AdminAuditRow))).all()  # type: ignore[call-overload]
    assert [(a.action, a.target) for a in audit] == [("order.cash_paid", f"order:{order.id}")]
    async with shop.uows() as uow:  # counted as paid
        [totals] = await uow.stats.totals(Period(today, today).start, Period(today, today).end)
    assert (totals.paid_orders, totals.gross_minor) == (1, 1599)


async def test_unpaid_pickup_order_expires_returns_its_stock_and_cannot_be_marked_paid(
    shop: RunningShop,
) -> None:
    cy = shop.standin.private_chat(6303, "Cy")
    _, variant = await _tripod(shop)
    before = await _stock(shop, variant)
    await shop.press(cy, await _pickup_invoice(shop, cy), CASH)
    [order] = [o for o in await orders_of(shop, cy.id) if o.status == OrderStatus.AWAITING_CASH]
    assert await _stock(shop, variant) == before - 1

    advance(shop, timedelta(hours=47))
    assert await expire_cash_orders(shop.worker) == 0  # not yet
    assert await _stock(shop, variant) == before - 1
    advance(shop, timedelta(hours=1, minutes=1))
    assert await expire_cash_orders(shop.worker) == 1
    assert await expire_cash_orders(shop.worker) == 0  # once
    await shop.settle()
    [gone] = [o for o in await orders_of(shop, cy.id) if o.id == order.id]
    assert gone.status == OrderStatus.EXPIRED and gone.held_until is None
    assert await _stock(shop, variant) == before
    told = last_message(cy)["text"]
    assert f"reservation of order #{order.id} has ended" in told, told

    admin = shop.standin.private_chat(ADMIN_ID, "Boss")
    screen = await _order_screen(shop, admin, order.id)
    assert MARK_PAID not in keyboard_texts(screen)
    calls = await shop.press_data(admin, screen["message_id"], f"za:or_cash:{order.id}:0")
    [refused] = only(calls, "answerCallbackQuery")
    assert "expired unpaid" in refused.params["text"] and refused.params.get("show_alert")
    [still] = [o for o in await orders_of(shop, cy.id) if o.id == order.id]
    assert still.status == OrderStatus.EXPIRED and still.paid_at is None
    assert await _stock(shop, variant) == before


async def test_forged_pickup_buttons_over_the_limit_or_for_first_timers_are_refused(
    shop: RunningShop,
) -> None:
    dee = shop.standin.private_chat(6304, "Dee")
    _, variant = await _tripod(shop)
    before = await _stock(shop, variant)
    _with_pickup_terms(shop, CashTerms(max_total=Money(1000, "USD")))  # $10: the tripod is over
    invoice = await _pickup_invoice(shop, dee)
    assert CASH not in keyboard_texts(invoice)  # not offered
    [order] = [o for o in await orders_of(shop, dee.id) if o.status == OrderStatus.PENDING]
    calls = await shop.press_data(dee, invoice["message_id"], f"pk:{order.id}")
    [answer] = only(calls, "answerCallbackQuery")
    assert "orders up to $10.00" in answer.params["text"], answer.params
    assert "orders up to $10.00" in last_message(dee)["text"]

    _with_pickup_terms(shop, CashTerms(first_time=False))
    invoice = await _pickup_invoice(shop, dee)
    assert CASH not in keyboard_texts(invoice)
    [order] = [o for o in await orders_of(shop, dee.id) if o.status == OrderStatus.PENDING]
    calls = await shop.press_data(dee, invoice["message_id"], f"pk:{order.id}")
    [answer] = only(calls, "answerCallbackQuery")
    assert "returning customers" in answer.params["text"], answer.params

    # Someone else's order, and an order that does not exist: nothing found, said politely.
    eve = shop.standin.private_chat(6305, "Eve")
    await shop.send(eve, "/start")
    for forged in (f"pk:{order.id}", "pk:999999"):
        calls = await shop.press_data(eve, last_message(eve)["message_id"], forged)
        [answer] = only(calls, "answerCallbackQuery")
        assert "can't be reserved for pickup" in answer.params["text"], answer.params
    assert {o.status for o in await orders_of(shop, dee.id)} <= {
        OrderStatus.PENDING,
        OrderStatus.EXPIRED,
    }
    assert await _stock(shop, variant) == before


async def test_a_chinese_buyer_reserves_and_gets_the_receipt_in_chinese_from_english_staff(
    shop: RunningShop,
) -> None:
    mei = shop.standin.private_chat(6306, "Mei", language_code="zh-hans")
    pid, _ = await _tripod(shop)
    await shop.send(mei, f"/start p_{pid}")
    await shop.press(mei, last_message(mei), "⚡ 立即购买")
    if "invoice" not in last_message(mei):
        await shop.press(mei, last_message(mei), "🏬 到 Storefront Studio 自提")
    invoice = last_message(mei)
    assert "💵 自提时付款（现金）" in keyboard_texts(invoice), keyboard_texts(invoice)
    await shop.press(mei, invoice, "💵 自提时付款（现金）")
    [order] = [o for o in await orders_of(shop, mei.id) if o.status == OrderStatus.AWAITING_CASH]
    assert f"订单 #{order.id} 已预留" in last_message(mei)["text"]

    admin = shop.standin.private_chat(ADMIN_ID, "Boss")
    await shop.press(admin, await _order_screen(shop, admin, order.id), MARK_PAID)
    await shop.settle()
    receipt = last_message(mei)["text"]
    assert f"付款成功：订单 #{order.id}" in receipt and "现金付款" in receipt, receipt


@pytest.mark.postgres
async def test_on_postgresql_an_order_expires_and_the_last_unit_is_held_and_paid_once(
    pg_shop: RunningShop,
) -> None:
    await test_unpaid_pickup_order_expires_returns_its_stock_and_cannot_be_marked_paid(pg_shop)
    await test_pickup_order_holds_stock_is_marked_paid_once_and_the_buyer_gets_a_receipt(pg_shop)
