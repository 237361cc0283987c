"""The console's stats end to end, on aiogram and on python-telegram-bot: a few real paid
orders (card and Stars, one refunded, one invoice left unpaid), then the owner opens 📊 Stats:
the chart is a PNG that Pillow opens, its caption's figures are the orders', the CSV document
parses and its rows are the orders; staff may, buyers may not; bad periods get an answer; an
empty period says so; every view and export is in the audit log."""

from __future__ import annotations

import csv
import io
import json
import logging
from datetime import timedelta
from typing import Any

import pytest
from PIL import Image
from sqlalchemy import func, select

from bot.conversation import stats_charts
from bot.conversation.screens.admin.registry import admin_cb
from bot.domain.staff import Role
from bot.services import orders, shop_stats
from bot.standin import SimChat
from storage.admin_tables import AdminAuditRow, InteractionRow
from storage.order_tables import OrderRow
from tests.e2e.harness import ADMIN_ID, RunningShop, last_message, only

PICKUP = "🏬 Pick up at Storefront Studio"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


async def _card(shop: RunningShop, chat: SimChat, word: str) -> dict[str, Any]:
    async with shop.uows() as uow:
        [pid] = await uow.catalog.search_ids([word], 5)
    await shop.send(chat, f"/start p_{pid}")
    return last_message(chat)


async def _invoice(shop: RunningShop, chat: SimChat, word: str) -> dict[str, Any]:
    """Buy now on a product's card, picking up in the shop when asked: the invoice."""
    await shop.press(chat, await _card(shop, chat, word), "⚡ Buy now")
    asked = last_message(chat)
    if "invoice" not in asked:
        await shop.press(chat, asked, PICKUP)
    invoice = last_message(chat)
    assert "invoice" in invoice, invoice
    return invoice


async def _cart_of_two(shop: RunningShop, chat: SimChat) -> dict[str, Any]:
    card = await _card(shop, chat, "konjac")
    await shop.press(chat, card, "🛒 Add to cart")
    await shop.press(chat, card, "🛒 Add to cart")
    await shop.send(chat, "/cart")
    await shop.press(chat, last_message(chat), "💳 Checkout")
    await shop.press(chat, last_message(chat), PICKUP)
    invoice = last_message(chat)
    assert "invoice" in invoice, invoice
    return invoice


async def _rows(shop: RunningShop) -> list[Any]:
    async with shop.uows.engine.connect() as conn:
        return list((await conn.execute(select(OrderRow).order_by(OrderRow.id))).all())  # type: ignore[arg-type]


async def _people(shop: RunningShop, kind: str) -> int:
    async with shop.uows.engine.connect() as conn:
        found = await conn.scalar(
            select(func.count(func.distinct(InteractionRow.user_id))).where(  # type: ignore[arg-type]
                InteractionRow.kind == kind  # type: ignore[arg-type]
            )
        )
    return int(found or 0)


async def _audit(shop: RunningShop) -> list[tuple[int, str, str, str, dict[str, Any]]]:
    async with shop.uows.engine.connect() as conn:
        rows = await conn.execute(select(AdminAuditRow).order_by(AdminAuditRow.id))  # type: ignore[arg-type]
        return [(r.actor_id, r.role, r.action, r.target, json.loads(r.detail)) for r in rows]


def _upload(shop: RunningShop, call: Any, kind: str) -> bytes:
    """The bytes the bot uploaded in a sendPhoto/sendDocument, as the stand-in stored them."""
    assert call.ok, call.response
    sent = call.response[kind]
    file_id = sent[-1]["file_id"] if kind == "photo" else sent["file_id"]
    stored = shop.standin.files.get(file_id)
    assert stored is not None and stored.content is not None
    return stored.content


async def _open_stats(shop: RunningShop, chat: SimChat, period: str) -> list[Any]:
    await shop.send(chat, "/admin")
    await shop.press(chat, last_message(chat), "📊 Stats")
    picker = last_message(chat)
    assert "Pick a period" in picker["text"]
    return await shop.press(chat, picker, period)


async def test_stats_chart_caption_and_csv_match_the_orders(shop: RunningShop) -> None:
    ann = shop.standin.private_chat(4301, "Ann")
    bob = shop.standin.private_chat(4302, "Bob")
    cy = shop.standin.private_chat(4303, "Cy")
    di = shop.standin.private_chat(4304, "Di")
    await shop.pay(ann, await _invoice(shop, ann, "konjac"), order_info={"name": "Ann"})
    await shop.pay(bob, await _cart_of_two(shop, bob), order_info={"name": "Bob"})
    await shop.pay(cy, await _invoice(shop, cy, "recipes"))  # Telegram Stars
    await _invoice(shop, di, "konjac")  # an invoice never paid
    [a, b, c, d] = await _rows(shop)
    assert (a.total_minor, b.total_minor, c.total_minor) == (499, 998, 150)
    assert c.currency == "XTR" and d.status == "pending"
    async with shop.uows() as uow:  # Ann's order is refunded in full
        assert (await orders.merchant_refund(uow, a.id, None, shop.now())).refused is None
        await uow.commit()
    shop.worker.kick()
    await shop.settle()
    assert (await _rows(shop))[0].refunded_minor == 499

    admin = shop.standin.private_chat(ADMIN_ID, "Boss")
    calls = await _open_stats(shop, admin, "7 days")
    [photo] = only(calls, "sendPhoto")
    assert photo.params["photo"] == {"upload": "stats.png"}
    png = _upload(shop, photo, "photo")
    assert png.startswith(PNG_SIGNATURE)
    with Image.open(io.BytesIO(png)) as image:
        image.verify()
    with Image.open(io.BytesIO(png)) as image:
        assert image.format == "PNG" and 600 <= image.width <= 2000 and image.height >= 400
    caption = photo.params["caption"]
    today = shop.now().date()
    first = today - timedelta(days=6)
    assert f"Stats {first:%Y-%m-%d} – {today:%Y-%m-%d}</b> (UTC)" in caption
    # USD: $4.99 + $9.98 paid, $4.99 refunded; the average of the two paid is $7.49 (half up).
    assert (
        "<b>$9.98</b> net = $14.97 paid − $4.99 refunded · 2 paid orders · average $7.49"
        in caption
    )
    assert "<b>⭐150</b> net = ⭐150 paid − ⭐0 refunded · 1 paid order · average ⭐150" in caption
    viewed, added = await _people(shop, "view"), await _people(shop, "add")
    assert f"👀 Viewed a teaser: {viewed}\n" in caption
    assert f"🛒 Added to cart: {added} (" in caption and viewed >= 4 and added >= 1
    share = shop_stats.conversion(4, viewed)
    assert share is not None and f"💳 Checkout: 4 ({share:.1f}".removesuffix(".0") in caption
    assert "✅ Paid: 3 (" in caption and ", 75% of checkouts)" in caption
    assert "1. Spicy Konjac Jelly (10 pack): $14.97 · 3 sold" in caption
    assert "1. Spicy Snack Recipes (e-book): ⭐150 · 1 sold" in caption
    buttons = photo.params["reply_markup"]["inline_keyboard"]
    assert [b["text"] for row in buttons for b in row] == ["⬇️ CSV", "📅 Other period", "🛠 Console"]

    calls = await shop.press(admin, last_message(admin), "⬇️ CSV")
    [document] = only(calls, "sendDocument")
    name = f"orders-{first:%Y%m%d}-{today:%Y%m%d}.csv"
    assert document.params["document"] == {"upload": name}
    assert document.response["document"]["file_name"] == name
    assert "Orders placed" in document.params["caption"] and ": 4 (" in document.params["caption"]
    table = list(csv.DictReader(io.StringIO(_upload(shop, document, "document").decode("utf-8"))))
    assert [int(r["order_id"]) for r in table] == [a.id, b.id, c.id, d.id]
    assert [r["total"] for r in table] == ["4.99", "9.98", "150", "4.99"]
    assert [r["refunded"] for r in table] == ["4.99", "0.00", "0", "0.00"]
    assert [r["currency"] for r in table] == ["USD", "USD", "XTR", "USD"]
    assert [r["buyer_id"] for r in table] == ["4301", "4302", "4303", "4304"]
    assert table[1]["items"] == "KJ-10 × 2" and table[2]["items"] == "EB-1 × 1"
    assert table[3]["status"] == "pending" and table[0]["delivery"] == "pickup"
    assert table[0]["created_at"].endswith("+00:00")

    entries = await _audit(shop)
    span = f"{first:%Y-%m-%d}..{today:%Y-%m-%d}"
    assert (ADMIN_ID, "owner", "stats.view", span, {"paid_orders": 3}) in entries
    assert (ADMIN_ID, "owner", "stats.export", span, {"rows": 4, "too_large": False}) in entries


async def test_staff_may_buyers_may_not_and_bad_periods_are_answered(shop: RunningShop) -> None:
    kim = shop.standin.private_chat(4311, "Kim")
    await shop.pay(kim, await _invoice(shop, kim, "konjac"), order_info={"name": "Kim"})
    staff = shop.standin.private_chat(4312, "Sam")
    async with shop.uows() as uow:
        await uow.staff.add(staff.id, Role.STAFF, ADMIN_ID, shop.now())
        await uow.commit()
    today = shop.now().date()
    span = f"{today - timedelta(days=3):%Y-%m-%d} {today:%Y-%m-%d}"
    calls = await shop.send(staff, f"/admin stats {span}")
    [photo] = only(calls, "sendPhoto")
    assert _upload(shop, photo, "photo").startswith(PNG_SIGNATURE)
    assert (
        "<b>$4.99</b> net = $4.99 paid − $0.00 refunded · 1 paid order" in photo.params["caption"]
    )
    assert (await _audit(shop))[-1][:3] == (staff.id, "staff", "stats.view")

    def day(offset: int) -> str:
        return f"{today + timedelta(days=offset):%Y-%m-%d}"

    answers = {
        "/admin stats 2026-13-01 2026-13-02": "two dates, YYYY-MM-DD",
        "/admin stats last week": "two dates, YYYY-MM-DD",
        f"/admin stats {day(0)} {day(-1)}": "first date comes after",
        f"/admin stats {day(2)} {day(9)}": "starts after today",
        f"/admin stats {day(-400)} {day(0)}": "at most 366 days",
    }
    for typed, expected in answers.items():
        calls = await shop.send(staff, typed)
        [said] = only(calls, "sendMessage")
        assert expected in said.params["text"], (typed, said.params["text"])
        assert not only(calls, "sendPhoto")
    # Tampered buttons: a period that is not offered, ordinals that are no period.
    for data in (admin_cb("st_p", 3), admin_cb("st_csv", 5, 1), admin_cb("st_csv", 0, 10**9)):
        calls = await shop.press_data(staff, last_message(staff), data)
        [answer] = only(calls, "answerCallbackQuery")
        assert "This button has expired" in answer.params["text"], data
        assert not only(calls, "sendPhoto") and not only(calls, "sendDocument")

    # A buyer is refused, by command and by a forged button; nothing is drawn or sent.
    calls = await shop.send(kim, "/admin stats")
    assert "only for the shop's staff" in only(calls, "sendMessage")[0].params["text"]
    calls = await shop.press_data(kim, last_message(kim), admin_cb("st_p", 7))
    [answer] = only(calls, "answerCallbackQuery")
    assert answer.params["show_alert"] is True
    assert not only(calls, "sendPhoto") and not only(calls, "sendDocument")
    assert all(actor != kim.id for actor, *_ in await _audit(shop))


async def test_an_empty_period_says_so(shop: RunningShop) -> None:
    admin = shop.standin.private_chat(ADMIN_ID, "Boss")
    calls = await _open_stats(shop, admin, "Today")
    assert not only(calls, "sendPhoto")
    [said] = [c for c in calls if c.method in ("sendMessage", "editMessageText")][-1:]
    assert "No orders and no visits in this period" in said.params["text"]
    today = shop.now().date().toordinal()
    calls = await shop.press_data(admin, last_message(admin), admin_cb("st_csv", today, today))
    [answer] = only(calls, "answerCallbackQuery")
    assert "No orders were placed" in answer.params["text"]
    assert not only(calls, "sendDocument")


async def test_an_export_past_telegrams_upload_limit_is_refused_with_the_way_out(
    shop: RunningShop, monkeypatch: pytest.MonkeyPatch
) -> None:
    kim = shop.standin.private_chat(4321, "Kim")
    await shop.pay(kim, await _invoice(shop, kim, "konjac"), order_info={"name": "Kim"})
    monkeypatch.setattr(shop_stats, "UPLOAD_LIMIT", 100)  # 50 MB of orders, in small
    admin = shop.standin.private_chat(ADMIN_ID, "Boss")
    await _open_stats(shop, admin, "Today")
    calls = await shop.press(admin, last_message(admin), "⬇️ CSV")
    assert not only(calls, "sendDocument")
    [said] = only(calls, "sendMessage")
    today = f"{shop.now().date():%Y-%m-%d}"
    assert "over Telegram's 50 MB limit" in said.params["text"]
    assert f"storefront stats --from {today} --to {today} --csv orders.csv" in said.params["text"]
    assert (await _audit(shop))[-1][2:] == (
        "stats.export",
        f"{today}..{today}",
        {"rows": 1, "too_large": True},
    )


async def test_a_chinese_speaking_admin_gets_chinese_figures_and_a_readable_chart(
    shop: RunningShop, caplog: pytest.LogCaptureFixture
) -> None:
    kim = shop.standin.private_chat(4331, "Kim")
    await shop.pay(kim, await _invoice(shop, kim, "konjac"), order_info={"name": "Kim"})
    admin = shop.standin.private_chat(ADMIN_ID, "老板", language_code="zh-hans")
    today = f"{shop.now().date():%Y-%m-%d}"
    with caplog.at_level(logging.WARNING, logger="bot.conversation.stats_charts"):
        calls = await shop.send(admin, f"/admin stats {today} {today}")
    [photo] = only(calls, "sendPhoto")
    assert (
        "净收入 <b>US$4.99</b> = 已付 US$4.99 − 已退款 US$0.00 · 已付订单 1 笔"
        in photo.params["caption"]
    )
    with Image.open(io.BytesIO(_upload(shop, photo, "photo"))) as image:
        assert image.format == "PNG"
    if not stats_charts._font_for("净收入"):  # no CJK font here: English labels, and said so
        assert "drawn with English labels" in caplog.text
    calls = await shop.press(admin, last_message(admin), "⬇️ CSV")
    [document] = only(calls, "sendDocument")
    assert "的订单：1 笔" in document.params["caption"]
