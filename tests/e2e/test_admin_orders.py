"""The console's orders end to end, on aiogram and on python-telegram-bot: a paid order under
Paid and To ship, shipped with a tracking number after a confirmation (the buyer told), partial
and full refunds from chat reaching the Stripe stand-in, a double-pressed confirmation refunding
once, staff who may not refund, a declined return, and bad input asked again."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from bot.domain.orders import OrderStatus
from bot.domain.staff import Role
from bot.standin import SimChat
from storage.admin_tables import AdminAuditRow
from storage.order_tables import OrderRow
from tests.e2e.harness import (
    ADMIN_ID,
    RunningShop,
    button_data,
    keyboard_texts,
    last_message,
    only,
)

PICKUP = "🏬 Pick up at Storefront Studio"


async def _paid_order(shop: RunningShop, chat: SimChat, word: str = "tripod") -> OrderRow:
    async with shop.uows() as uow:
        [pid] = await uow.catalog.search_ids([word], 5)
    await shop.send(chat, f"/start p_{pid}")
    await shop.press(chat, last_message(chat), "⚡ Buy now")
    asked = last_message(chat)
    if "invoice" not in asked:
        await shop.press(chat, asked, PICKUP)
    invoice = last_message(chat)
    assert "invoice" in invoice, invoice
    await shop.pay(chat, invoice, order_info={"name": "Buyer"})
    return (await _orders(shop, chat.id))[-1]


async def _orders(shop: RunningShop, user_id: int) -> list[Any]:
    async with shop.uows.engine.connect() as conn:
        rows = await conn.execute(
            select(OrderRow).where(OrderRow.user_id == user_id).order_by(OrderRow.id)  # type: ignore[arg-type]
        )
        return list(rows.all())


async def _open_order(
    shop: RunningShop, admin: SimChat, order_id: int, filt: str
) -> dict[str, Any]:
    await shop.send(admin, "/admin")
    await shop.press(admin, last_message(admin), "📋 Orders")
    if filt in keyboard_texts(last_message(admin)):  # the list opens on "• All"
        await shop.press(admin, last_message(admin), filt)
    listing = last_message(admin)
    row = next(t for t in keyboard_texts(listing) if t.startswith(f"#{order_id} · "))
    await shop.press(admin, listing, row)
    screen = last_message(admin)
    assert f"Order #{order_id}" in screen["text"]
    return screen


async def test_paid_order_listed_shipped_with_tracking_after_confirmation(
    shop: RunningShop,
) -> None:
    ann = shop.standin.private_chat(6101, "Ann", username="ann_lee")
    order = await _paid_order(shop, ann)
    admin = shop.standin.private_chat(ADMIN_ID, "Boss")

    await shop.send(admin, "/admin")
    await shop.press(admin, last_message(admin), "📋 Orders")
    await shop.press(admin, last_message(admin), "Paid")
    assert f"#{order.id} · $15.99 · paid" in keyboard_texts(last_message(admin))
    await shop.press(admin, last_message(admin), "New")
    assert not any(t.startswith(f"#{order.id} ") for t in keyboard_texts(last_message(admin)))
    screen = await _open_order(shop, admin, order.id, "To ship")
    assert "Ann" in screen["text"] and "Phone Tripod" in screen["text"], screen["text"]
    assert "Username: @ann_lee" in screen["text"]
    assert "$15.99" in screen["text"] and "paid" in screen["text"]

    await shop.press(admin, screen, "🚚 Mark shipped")
    assert "type the tracking number" in last_message(admin)["text"]
    calls = await shop.send(admin, " ")  # nothing but blanks: asked again
    calls = await shop.send(admin, "x" * 80)
    assert "1 to 64 characters" in only(calls, "sendMessage")[0].params["text"]
    calls = await shop.send(admin, "1Z 999 AA1")
    confirm = last_message(admin)
    assert "shipped with tracking number 1Z 999 AA1?" in confirm["text"]
    assert (await _orders(shop, 6101))[-1].status == OrderStatus.PAID  # not before confirming
    calls = await shop.press(admin, confirm, "✅ Yes, shipped")
    await shop.settle()
    [shipped] = await _orders(shop, 6101)
    assert shipped.status == OrderStatus.SHIPPED and shipped.tracking == "1Z 999 AA1"
    told = last_message(ann)["text"]
    assert f"#{order.id}" in told and "1Z 999 AA1" in told
    # The stale confirmation again: nothing changes, the merchant is told.
    calls = await shop.press_data(
        admin, confirm["message_id"], button_data(confirm, "✅ Yes, shipped")
    )
    [answer] = only(calls, "answerCallbackQuery")
    assert "already marked shipped" in answer.params["text"]
    async with shop.uows.engine.connect() as conn:
        audit = (await conn.execute(select(AdminAuditRow))).all()  # type: ignore[call-overload]
    assert [(a.action, a.target) for a in audit] == [("order.ship", f"order:{order.id}")]


async def test_partial_then_full_refund_reach_stripe_and_a_third_is_refused(
    shop: RunningShop,
) -> None:
    bo = shop.standin.private_chat(6102, "Bo")
    order = await _paid_order(shop, bo)
    admin = shop.standin.private_chat(ADMIN_ID, "Boss")
    screen = await _open_order(shop, admin, order.id, "Paid")

    await shop.press(admin, screen, "💸 Refund")
    menu = last_message(admin)
    assert "Left to refund: $15.99" in menu["text"] and "Stripe" in menu["text"]
    await shop.press(admin, menu, "Part of it…")
    calls = await shop.send(admin, "abc")
    assert "is not an amount" in only(calls, "sendMessage")[0].params["text"]
    calls = await shop.send(admin, "20.00")
    assert "more than is left" in only(calls, "sendMessage")[0].params["text"]
    calls = await shop.send(admin, "5")
    confirm = last_message(admin)
    assert "Refund $5.00 on order" in confirm["text"] and "Stripe" in confirm["text"]
    assert not shop.stripe.requests_to("/v1/refunds", "POST")  # not before confirming
    await shop.press(admin, confirm, "✅ Yes, refund")
    await shop.settle()
    [first] = shop.stripe.requests_to("/v1/refunds", "POST")
    assert first.params["amount"] == "500" and first.params["charge"] == order.provider_charge_id
    assert first.idempotency_key
    [row] = await _orders(shop, 6102)
    assert row.status == OrderStatus.PARTIALLY_REFUNDED and row.refunded_minor == 500

    screen = await _open_order(shop, admin, order.id, "All")
    await shop.press(admin, screen, "💸 Refund")
    await shop.press(admin, last_message(admin), "All that is left ($10.99)")
    await shop.press(admin, last_message(admin), "✅ Yes, refund")
    await shop.settle()
    second = shop.stripe.requests_to("/v1/refunds", "POST")[1]
    assert second.params["amount"] == "1099"
    [row] = await _orders(shop, 6102)
    assert row.status == OrderStatus.REFUNDED and row.refunded_minor == 1599

    # A third attempt: the order has nothing left, and says so.
    screen = await _open_order(shop, admin, order.id, "All")
    assert "💸 Refund" not in keyboard_texts(screen)
    calls = await shop.press_data(admin, screen["message_id"], f"za:or_ref:{order.id}:0")
    [answer] = only(calls, "answerCallbackQuery")
    assert "Nothing is left to refund" in answer.params["text"]
    await shop.settle()
    assert len(shop.stripe.requests_to("/v1/refunds", "POST")) == 2


async def test_a_double_pressed_confirm_refunds_once(shop: RunningShop) -> None:
    cy = shop.standin.private_chat(6103, "Cy")
    order = await _paid_order(shop, cy)
    admin = shop.standin.private_chat(ADMIN_ID, "Boss")
    screen = await _open_order(shop, admin, order.id, "Paid")
    await shop.press(admin, screen, "💸 Refund")
    await shop.press(admin, last_message(admin), "All that is left ($15.99)")
    confirm = last_message(admin)
    data = button_data(confirm, "✅ Yes, refund")
    first = admin.press_data(confirm["message_id"], data)
    second = admin.press_data(confirm["message_id"], data)
    await shop.push(first)
    calls = await shop.push(second)
    await shop.settle()
    assert len(shop.stripe.requests_to("/v1/refunds", "POST")) == 1
    answers = [c.params.get("text") or "" for c in only(calls, "answerCallbackQuery")]
    assert any("already made" in a for a in answers), answers
    [row] = await _orders(shop, 6103)
    assert row.refunded_minor == 1599


async def test_staff_cannot_refund_but_can_see_and_ship(shop: RunningShop) -> None:
    di = shop.standin.private_chat(6104, "Di")
    order = await _paid_order(shop, di)
    async with shop.uows() as uow:
        await uow.staff.add(6200, Role.STAFF, ADMIN_ID, shop.now())
        await uow.commit()
    clerk = shop.standin.private_chat(6200, "Clerk")
    screen = await _open_order(shop, clerk, order.id, "Paid")
    assert "🚚 Mark shipped" in keyboard_texts(screen)
    assert "💸 Refund" not in keyboard_texts(screen)
    for verb in ("or_ref", "or_refa", "or_refp"):
        calls = await shop.press_data(clerk, screen["message_id"], f"za:{verb}:{order.id}:0")
        [answer] = only(calls, "answerCallbackQuery")
        assert "Your role can't do that" in answer.params["text"]
    calls = await shop.press_data(clerk, screen["message_id"], f"za:or_refy:{order.id}:1599")
    assert "Your role can't do that" in only(calls, "answerCallbackQuery")[0].params["text"]
    await shop.settle()
    assert not shop.stripe.requests_to("/v1/refunds", "POST")
    [row] = await _orders(shop, 6104)
    assert row.status == OrderStatus.PAID and row.refunded_minor == 0


async def test_a_requested_return_is_declined_or_approved(shop: RunningShop) -> None:
    ed = shop.standin.private_chat(6105, "Ed")
    fay = shop.standin.private_chat(6106, "Fay")
    admin = shop.standin.private_chat(ADMIN_ID, "Boss")
    for chat in (ed, fay):
        order = await _paid_order(shop, chat)
        screen = await _open_order(shop, admin, order.id, "To ship")
        await shop.press(admin, screen, "🚚 Mark shipped")
        await shop.press(admin, last_message(admin), "No tracking")
        await shop.press(admin, last_message(admin), "✅ Yes, shipped")
        await shop.settle()  # the "shipped" notice reaches the buyer first
        await shop.send(chat, "/orders")
        listing = last_message(chat)
        await shop.press(chat, listing, keyboard_texts(listing)[0])
        await shop.press(chat, last_message(chat), "↩ Request a return")
    await shop.settle()
    [ed_order] = await _orders(shop, 6105)
    [fay_order] = await _orders(shop, 6106)
    assert ed_order.status == fay_order.status == OrderStatus.RETURN_REQUESTED

    screen = await _open_order(shop, admin, ed_order.id, "Refund requested")
    await shop.press(admin, screen, "✕ Decline return")
    await shop.press(admin, last_message(admin), "✕ Yes, decline")
    await shop.settle()
    [ed_order] = await _orders(shop, 6105)
    assert ed_order.status == OrderStatus.DELIVERED
    assert "declined the return" in last_message(ed)["text"]

    screen = await _open_order(shop, admin, fay_order.id, "Refund requested")
    await shop.press(admin, screen, "✅ Approve refund")
    assert "Refund $15.99 on order" in last_message(admin)["text"]
    await shop.press(admin, last_message(admin), "✅ Yes, refund")
    await shop.settle()
    [refund] = shop.stripe.requests_to("/v1/refunds", "POST")
    assert refund.params["amount"] == "1599"
    [fay_order] = await _orders(shop, 6106)
    assert fay_order.status == OrderStatus.REFUNDED


async def test_a_stars_order_is_refunded_in_full_with_refund_star_payment(
    shop: RunningShop,
) -> None:
    gus = shop.standin.private_chat(6107, "Gus")
    order = await _paid_order(shop, gus, "recipes")  # digital, paid in Telegram Stars
    admin = shop.standin.private_chat(ADMIN_ID, "Boss")
    screen = await _open_order(shop, admin, order.id, "All")
    assert "🚚 Mark shipped" not in keyboard_texts(screen)  # nothing to ship
    await shop.press(admin, screen, "💸 Refund")
    menu = last_message(admin)
    assert "refundStarPayment" in menu["text"]
    assert keyboard_texts(menu)[:1] == ["All that is left (⭐150)"]
    assert "Part of it…" not in keyboard_texts(menu)  # Telegram refunds Stars only in full
    calls = await shop.press_data(admin, menu["message_id"], f"za:or_refp:{order.id}:0")
    [answer] = only(calls, "answerCallbackQuery")  # a forged partial press
    assert "only in full" in answer.params["text"]
    await shop.press(admin, menu, "All that is left (⭐150)")
    await shop.press(admin, last_message(admin), "✅ Yes, refund")
    await shop.settle()
    [refund] = [c for c in shop.standin.calls if c.method == "refundStarPayment"]
    assert refund.ok and refund.params["telegram_payment_charge_id"] == order.telegram_charge_id
    assert not shop.stripe.requests_to("/v1/refunds", "POST")
    [row] = await _orders(shop, 6107)
    assert row.refunded_minor == 150 and row.status == OrderStatus.REFUNDED


async def test_the_list_pages_and_a_forged_order_is_told(shop: RunningShop) -> None:
    hal = shop.standin.private_chat(6108, "Hal")
    async with shop.uows() as uow:
        [pid] = await uow.catalog.search_ids(["tripod"], 5)
    for _ in range(10):  # ten invoices: each new one expires the one before
        await shop.send(hal, f"/start p_{pid}")
        await shop.press(hal, last_message(hal), "⚡ Buy now")
        asked = last_message(hal)
        if "invoice" not in asked:
            await shop.press(hal, asked, PICKUP)
    made = await _orders(shop, 6108)
    assert len(made) == 10
    assert [o.status for o in made].count(OrderStatus.PENDING) == 1
    admin = shop.standin.private_chat(ADMIN_ID, "Boss")
    await shop.send(admin, "/admin")
    await shop.press(admin, last_message(admin), "📋 Orders")
    await shop.press(admin, last_message(admin), "New")
    assert [t for t in keyboard_texts(last_message(admin)) if t.startswith("#")] == [
        f"#{made[-1].id} · $15.99 · awaiting payment"
    ]
    await shop.press(admin, last_message(admin), "All")
    first = last_message(admin)
    rows = [t for t in keyboard_texts(first) if t.startswith("#")]
    assert rows[0].startswith(f"#{made[-1].id} ") and len(rows) == 8 and "page 1" in first["text"]
    assert "◀ Newer" not in keyboard_texts(first)
    await shop.press(admin, first, "Older ▶")
    second = last_message(admin)
    more = [t for t in keyboard_texts(second) if t.startswith("#")]
    assert more == [f"#{made[1].id} · $15.99 · expired", f"#{made[0].id} · $15.99 · expired"]
    assert "page 2" in second["text"] and "◀ Newer" in keyboard_texts(second)
    assert "Older ▶" not in keyboard_texts(second)
    calls = await shop.press_data(admin, second["message_id"], "za:or_view:999999:0")
    assert "There is no order #999999" in only(calls, "answerCallbackQuery")[0].params["text"]


async def test_admin_order_command_opens_an_order(shop: RunningShop) -> None:
    ivy = shop.standin.private_chat(6109, "Ivy")
    order = await _paid_order(shop, ivy)
    admin = shop.standin.private_chat(ADMIN_ID, "Boss")
    calls = await shop.send(admin, f"/admin order #{order.id}")
    [screen] = only(calls, "sendMessage")
    assert f"Order #{order.id}" in screen.params["text"]
    assert "🚚 Mark shipped" in str(screen.params["reply_markup"])
    calls = await shop.send(admin, "/admin order twelve")
    assert "Usage: /admin order 123" in last_message(admin)["text"]
    calls = await shop.send(admin, "/admin order 999999")
    assert "There is no order #999999" in only(calls, "sendMessage")[0].params["text"]
    buyer_calls = await shop.send(ivy, f"/admin order {order.id}")  # not staff: refused
    assert "only for the shop's staff" in only(buyer_calls, "sendMessage")[0].params["text"]
