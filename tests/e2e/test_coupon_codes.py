"""One-time coupon codes end to end, on aiogram and on python-telegram-bot: the merchant makes
them in the console (a CSV document in the chat), a buyer applies one and pays, a second buyer
typing the same code is refused, the coupon's own code no longer works, the console shows
who used which code, and a code of a switched-off coupon is refused."""

from __future__ import annotations

import csv
import io
from typing import Any

from bot.standin import SimChat
from tests.e2e.harness import (
    ADMIN_ID,
    RunningShop,
    keyboard_texts,
    last_invoice,
    last_message,
    only,
    orders_of,
)

PICKUP = "🏬 Pick up at Storefront Studio"


async def _said(shop: RunningShop, chat: SimChat, text: str) -> str:
    calls = await shop.send(chat, text)
    return "\n".join(c.params["text"] for c in only(calls, "sendMessage"))


def _csv(shop: RunningShop, calls: list[Any]) -> tuple[str, list[dict[str, str]]]:
    [document] = only(calls, "sendDocument")
    assert document.ok, document.response
    stored = shop.standin.files.get(document.response["document"]["file_id"])
    assert stored is not None and stored.content is not None
    rows = list(csv.DictReader(io.StringIO(stored.content.decode("utf-8"))))
    return str(document.params["caption"]), rows


async def test_one_time_codes_made_in_chat_used_once_and_shown(shop: RunningShop) -> None:
    boss = shop.standin.private_chat(ADMIN_ID, "Boss")
    assert "created: 20% off" in await _said(shop, boss, "/admin coupon add VIP20 20%")
    await shop.send(boss, "/admin")
    await shop.press(boss, last_message(boss), "🏷 Coupons")
    await shop.press(boss, last_message(boss), "🎟 Codes VIP20")
    assert "No one-time codes yet." in last_message(boss)["text"]
    await shop.press(boss, last_message(boss), "➕ Make codes")
    assert "not a number from 1 to 10000" in await _said(shop, boss, "lots")
    assert "not a number from 1 to 10000" in await _said(shop, boss, "0")
    calls = await shop.send(boss, "3")
    caption, rows = _csv(shop, calls)
    assert "3 one-time codes made for <code>VIP20</code>" in caption
    codes = [r["code"] for r in rows]
    assert len(set(codes)) == 3 and all(len(c) == 10 for c in codes)
    assert {r["coupon"] for r in rows} == {"VIP20"} and not any(r["used_by"] for r in rows)
    first, second, third = codes

    # The coupon's own code no longer works: only its one-time codes do.
    ann = shop.standin.private_chat(5301, "Ann")
    assert "works only with its one-time codes" in await _said(shop, ann, "/coupon vip20")
    typed = f"{first[:5].lower()} {first[5:].lower()}"  # case and spaces do not count
    assert f"Coupon <b>{first}</b> applied: 20% off" in await _said(shop, ann, f"/coupon {typed}")
    await shop.send(ann, "/search konjac")
    await shop.press(ann, last_message(ann), "⚡ Buy now")
    await shop.press(ann, last_message(ann), PICKUP)
    invoice = last_invoice(ann)
    [sent] = only(shop.standin.calls, "sendInvoice")[-1:]
    assert {"label": f"Coupon {first}", "amount": -100} in sent.params["prices"]
    calls = await shop.pay(ann, invoice, order_info={"name": "Ann", "phone_number": "+1555"})
    receipt = only(calls, "sendMessage")[-1].params["text"]
    assert "Payment received" in receipt and f"Coupon {first}: −$1.00" in receipt
    [order] = await orders_of(shop, 5301)
    assert order.coupon_code == first and order.total_minor == 399

    # A second buyer typing the same code is refused, and nothing is applied for him.
    bob = shop.standin.private_chat(5302, "Bob")
    assert "This code has already been used." in await _said(shop, bob, f"/coupon {first}")
    async with shop.uows() as uow:
        assert await uow.prefs.coupon_of(5302) is None
    # Ann herself cannot use it twice either.
    assert "This code has already been used." in await _said(shop, ann, f"/coupon {first}")

    # The console shows the use per code: the list, the codes screen and the CSV.
    await shop.send(boss, "/admin coupon list")
    assert "3 codes made, 1 used." in last_message(boss)["text"]
    await shop.press(boss, last_message(boss), "🎟 Codes VIP20")
    shown = last_message(boss)
    assert "3 codes made, 1 used." in shown["text"]
    assert f"• {first} used by 5301 on " in shown["text"]
    assert keyboard_texts(shown)[:2] == ["➕ Make codes", "📄 CSV of the codes"]
    calls = await shop.press(boss, shown, "📄 CSV of the codes")
    caption, rows = _csv(shop, calls)
    assert "3 one-time codes of <code>VIP20</code>, 1 used" in caption
    used = {r["code"]: r["used_by"] for r in rows}
    assert used == {first: "5301", second: "", third: ""}

    # A code of a switched-off coupon is refused with the reason.
    await shop.send(boss, "/admin coupon off VIP20")
    await shop.press(boss, last_message(boss), "⛔ Yes, disable")
    cy = shop.standin.private_chat(5303, "Cy")
    assert f"Coupon {second} is no longer available." in await _said(shop, cy, f"/coupon {second}")
    assert "disabled" in await _said(shop, boss, "/admin coupon codes VIP20 5")
