"""The buyer's own data end to end, on aiogram and on python-telegram-bot: /mydata sends a
JSON file holding the buyer's order and nothing of another buyer's (and a second ask within a
minute is told to wait); /deleteme lists what still needs the buyer (a paid order not yet
delivered), then, once it is, asks for a confirmation that says the unpaid invoice will be
cancelled, and erases: the orders stay, anonymised and without their delivery details; the
buyer's profile, cart and the rest are gone; a later /start begins afresh."""

from __future__ import annotations

import json
import re
from typing import Any

from sqlalchemy import select

from bot.services import orders
from bot.standin import SimChat
from storage.order_tables import OrderLineRow, OrderRow
from storage.tables import CartLineRow, UserRow
from tests.e2e.harness import (
    US,
    RunningShop,
    keyboard_texts,
    last_invoice,
    last_message,
    only,
    orders_of,
    product_card,
)

ANN, BOB = 3601, 3602


def _upload(shop: RunningShop, call: Any) -> bytes:
    assert call.ok, call.response
    stored = shop.standin.files.get(call.response["document"]["file_id"])
    assert stored is not None and stored.content is not None
    return stored.content


async def _paid_order(shop: RunningShop, chat: SimChat, who: dict[str, Any]) -> int:
    card = await product_card(shop, chat, "konjac")
    await shop.press(chat, card, "⚡ Buy now")
    asked = last_message(chat)
    if "invoice" not in asked:
        await shop.press(chat, asked, "🚚 Deliver to my address")
    await shop.pay(chat, last_invoice(chat), order_info=who, shipping_option_id="us-standard")
    return max(o.id for o in await orders_of(shop, chat.id))


async def _row(shop: RunningShop, table: Any, *where: Any) -> list[Any]:
    async with shop.uows.engine.connect() as conn:
        return list((await conn.execute(select(table).where(*where))).all())


async def test_mydata_sends_the_buyers_file_and_none_of_another(shop: RunningShop) -> None:
    ann = shop.standin.private_chat(ANN, "Ann")
    bob = shop.standin.private_chat(BOB, "Bob")
    bob_info = {**US, "name": "Bob Stone", "phone_number": "+15550999"}
    ann_order = await _paid_order(shop, ann, US)
    bob_order = await _paid_order(shop, bob, bob_info)

    calls = await shop.send(ann, "/mydata")
    [document] = only(calls, "sendDocument")
    assert document.response["document"]["file_name"].startswith("my-data-")
    assert "Everything held about you by E2E Shop" in document.params["caption"]
    text = _upload(shop, document).decode()
    data = json.loads(text)
    assert data["user_id"] == ANN and data["profile"][0]["first_name"] == "Ann"
    [order] = data["orders"]
    assert order["id"] == ann_order and order["status"] == "paid"
    assert order["ship_name"] == "Ann Lee" and "1 Market St" in order["ship_address"]
    assert [line["name"] for line in order["lines"]] == ["Spicy Konjac Jelly (10 pack)"]
    for bobs in (str(BOB), "Bob Stone", "+15550999"):
        # As a whole word: an id's digits may well sit inside a timestamp's microseconds.
        assert not re.search(rf"(?<![\w.+]){re.escape(bobs)}(?!\w)", text), bobs
    assert bob_order not in [o["id"] for o in data["orders"]]
    assert all(r["order_id"] == ann_order for r in data["refunds"])
    for section in data.values():  # every row that names a person names Ann
        for row in section if isinstance(section, list) else []:
            assert row.get("user_id", ANN) == ANN, row

    calls = await shop.send(ann, "/mydata")  # again within the minute
    assert not only(calls, "sendDocument")
    assert "Please wait" in only(calls, "sendMessage")[0].params["text"]


async def test_deleteme_waits_for_open_orders_then_erases(shop: RunningShop) -> None:
    ann = shop.standin.private_chat(ANN, "Ann")
    bob = shop.standin.private_chat(BOB, "Bob")
    paid = await _paid_order(shop, ann, US)
    bob_order = await _paid_order(shop, bob, {**US, "name": "Bob Stone"})
    await shop.press(ann, await product_card(shop, ann, "konjac"), "🛒 Add to cart")
    await shop.press(ann, await product_card(shop, ann, "konjac"), "⚡ Buy now")
    unpaid = max(o.id for o in await orders_of(shop, ANN))
    assert unpaid != paid

    calls = await shop.send(ann, "/deleteme")
    said = only(calls, "sendMessage")[-1].params["text"]
    assert "can't be deleted yet" in said and "1 thing still needs you" in said
    assert f"Order #{paid} is paid and not delivered yet" in said
    assert f"#{unpaid}" not in said  # an unpaid invoice does not keep it waiting
    assert await _row(shop, UserRow, UserRow.id == ANN)  # nothing changed

    # The paid order is delivered: only the unpaid invoice is left, which the erasure cancels.
    async with shop.uows() as uow:
        assert (await orders.mark_shipped(uow, paid, None, shop.now())).refused is None
        assert (await orders.mark_delivered(uow, paid, shop.now())).refused is None
        await uow.commit()
    await shop.settle()

    await shop.send(ann, "/deleteme")
    question = last_message(ann)
    assert "Delete your data?" in question["text"]
    assert "1 unpaid invoice will be cancelled" in question["text"]
    assert f"Order #{unpaid}" in question["text"]
    assert keyboard_texts(question) == ["🗑 Yes, delete my data", "Keep my data"]
    calls = await shop.press(ann, question, "🗑 Yes, delete my data")
    assert "Your data has been deleted" in last_message(ann)["text"]

    assert await _row(shop, UserRow, UserRow.id == ANN) == []
    assert await _row(shop, CartLineRow, CartLineRow.user_id == ANN) == []
    assert await orders_of(shop, ANN) == []
    kept = await _row(shop, OrderRow, OrderRow.id.in_([paid, unpaid]))  # type: ignore[attr-defined]
    assert len(kept) == 2
    markers = {o.user_id for o in kept}
    assert len(markers) == 1 and next(iter(markers)) < 0
    for o in kept:
        assert (o.ship_name, o.ship_phone, o.ship_address) == (None, None, None)
        assert o.chat_id == o.user_id
    statuses = {o.id: o.status for o in kept}
    assert statuses == {paid: "delivered", unpaid: "cancelled"}
    assert all(o.total_minor > 0 for o in kept)
    lines = await _row(shop, OrderLineRow, OrderLineRow.order_id == paid)
    assert [line.name for line in lines] == ["Spicy Konjac Jelly (10 pack)"]
    [bobs] = await _row(shop, OrderRow, OrderRow.id == bob_order)
    assert bobs.user_id == BOB and bobs.ship_name == "Bob Stone"
    assert await _row(shop, UserRow, UserRow.id == BOB)

    # A later /start is a fresh start: a new row, no orders.
    await shop.send(ann, "/start")
    [fresh] = await _row(shop, UserRow, UserRow.id == ANN)
    assert fresh.first_name == "Ann"
    await shop.send(ann, "/orders")
    assert "no orders yet" in last_message(ann)["text"]


async def test_a_forged_or_foreign_confirmation_erases_nothing(shop: RunningShop) -> None:
    ann = shop.standin.private_chat(ANN, "Ann")
    mal = shop.standin.private_chat(BOB, "Mal")
    await shop.send(ann, "/deleteme")
    question = last_message(ann)
    [[yes, _no]] = question["reply_markup"]["inline_keyboard"]
    # Ann's signed button pressed in Mal's chat, and an unsigned one: refused, nothing erased.
    await shop.send(mal, "/help")
    for data in (yes["callback_data"], yes["callback_data"].rsplit(":", 1)[0]):
        calls = await shop.press_data(mal, last_message(mal), data)
        [answer] = only(calls, "answerCallbackQuery")
        assert "expired" in answer.params["text"]
    assert await _row(shop, UserRow, UserRow.id == ANN)
    assert await _row(shop, UserRow, UserRow.id == BOB)
    calls = await shop.press(ann, question, "Keep my data")
    assert "Nothing was deleted" in last_message(ann)["text"]
    assert await _row(shop, UserRow, UserRow.id == ANN)
