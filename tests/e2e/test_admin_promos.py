"""The console's flash sales and drops end to end, on aiogram and on python-telegram-bot: a sale
scheduled from chat (bad price, units, time asked again) becomes claimable by a buyer and can
be stopped; a drop composed from chat (button, audience, text or a photo) is previewed to the
merchant, confirmed with its number of recipients, sent to buyers, and a sending one cancelled."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from bot.domain.drops import DropStatus
from bot.standin import SimChat
from storage.admin_tables import AdminAuditRow
from storage.drop_tables import DropRow
from tests.e2e.harness import ADMIN_ID, RunningShop, keyboard_texts, last_message, only


def _said(calls: list[Any]) -> str:
    return "\n".join(c.params["text"] for c in only(calls, "sendMessage"))


def _message(chat: SimChat, message_id: int) -> dict[str, Any]:
    return next(m for m in chat.messages() if m["message_id"] == message_id)


async def _open(shop: RunningShop, admin: SimChat, item: str) -> dict[str, Any]:
    await shop.send(admin, "/admin")
    await shop.press(admin, last_message(admin), item)
    return last_message(admin)


async def _audit(shop: RunningShop) -> list[str]:
    async with shop.uows.engine.connect() as conn:
        rows = (await conn.execute(select(AdminAuditRow).order_by(AdminAuditRow.id))).all()  # type: ignore[arg-type]
    return [r.action for r in rows]


async def test_a_sale_scheduled_from_chat_is_claimable_and_can_be_stopped(
    shop: RunningShop,
) -> None:
    admin = shop.standin.private_chat(ADMIN_ID, "Boss")
    listing = await _open(shop, admin, "⚡ Flash sales")
    assert "No flash sales yet" in listing["text"]
    await shop.press(admin, listing, "➕ Schedule a sale")
    assert "type its SKU" in last_message(admin)["text"]
    calls = await shop.send(admin, "NOPE-1")
    assert "No product in the shop has the SKU" in _said(calls)
    calls = await shop.send(admin, "kj-10")
    assert "regular price $4.99" in _said(calls)
    for bad in ("abc", "5.50", "0", "4.99"):
        calls = await shop.send(admin, bad)
        assert "can't be the sale price" in _said(calls), bad
    calls = await shop.send(admin, "2.99")
    assert "How many units" in _said(calls)
    for bad in ("none", "0", "100000"):
        calls = await shop.send(admin, bad)
        assert "is not a number of units" in _said(calls), bad
    await shop.send(admin, "5")
    await shop.press(admin, last_message(admin), "1")
    assert "When does it start?" in last_message(admin)["text"]
    calls = await shop.send(admin, "tomorrow at six")
    assert "is not a time" in _said(calls)
    calls = await shop.send(admin, "2020-01-01 10:00")
    assert "has passed" in _said(calls)
    calls = await shop.send(admin, "2026-13-40 99:99")
    assert "is not a time" in _said(calls)
    await shop.press(admin, last_message(admin), "Now")  # the question's buttons come again
    calls = await shop.send(admin, "99999")
    assert "is not a length" in _said(calls)
    await shop.press(admin, last_message(admin), "1 h")
    confirm = last_message(admin)
    assert "Spicy Konjac Jelly" in confirm["text"] and "$2.99" in confirm["text"]
    assert "5 units, at most 1 per buyer" in confirm["text"]
    async with shop.uows() as uow:
        assert await uow.sales.recent(5) == []  # nothing before the confirmation
    data = next(
        b["callback_data"]
        for row in confirm["reply_markup"]["inline_keyboard"]
        for b in row
        if b["text"] == "✅ Schedule it"
    )
    await shop.press(admin, confirm, "✅ Schedule it")
    done = last_message(admin)["text"]
    assert "Flash sale #" in done and "start=s_" in done
    calls = await shop.press_data(admin, confirm["message_id"], data)  # pressed again
    assert "already scheduled" in only(calls, "answerCallbackQuery")[0].params["text"]
    async with shop.uows() as uow:
        [sale] = await uow.sales.recent(5)
    assert (sale.price.amount, sale.stock, sale.per_buyer) == (299, 5, 1)
    assert 3590 <= (sale.ends_at - sale.starts_at).total_seconds() <= 3610

    # A buyer grabs it: an invoice at the sale price.
    ann = shop.standin.private_chat(6301, "Ann")
    await shop.send(ann, f"/start s_{sale.id}")
    card = last_message(ann)
    assert "⚡ Grab it for $2.99" in keyboard_texts(card)
    await shop.press(ann, card, "⚡ Grab it for $2.99")
    async with shop.uows() as uow:
        fresh = await uow.sales.sale(sale.id)
    assert fresh is not None and fresh.claimed == 1

    # Stopped from chat (confirmed): nobody else can grab it.
    listing = await _open(shop, admin, "⚡ Flash sales")
    assert f"#{sale.id}" in listing["text"] and "live" in listing["text"]
    assert "1/5 taken" in listing["text"]
    await shop.press(admin, listing, f"⏹ Stop #{sale.id}")
    await shop.press(admin, last_message(admin), "⏹ Yes, stop it")
    assert "ended" in last_message(admin)["text"]
    bob = shop.standin.private_chat(6302, "Bob")
    await shop.send(bob, f"/start s_{sale.id}")
    assert "⚡ Grab it for $2.99" not in keyboard_texts(last_message(bob))
    assert await _audit(shop) == ["sale.schedule", "sale.stop"]


async def test_a_drop_composed_in_chat_is_previewed_confirmed_and_sent(
    shop: RunningShop,
) -> None:
    admin = shop.standin.private_chat(ADMIN_ID, "Boss")
    buyers = [
        shop.standin.private_chat(6401, "Li", language_code="zh"),
        shop.standin.private_chat(6402, "Wu", language_code="zh"),
        shop.standin.private_chat(6403, "Ann", language_code="en"),
    ]
    for chat in buyers:
        await shop.send(chat, "/start")

    listing = await _open(shop, admin, "📣 Drops")
    await shop.press(admin, listing, "➕ Compose a drop")
    await shop.press(admin, last_message(admin), "🛒 Buy a product")
    calls = await shop.send(admin, "NOPE-1")
    assert "can't go on the button" in _said(calls)
    await shop.send(admin, "kj-10")
    audience = last_message(admin)
    assert "Who gets it?" in audience["text"]
    assert {"Everyone", "A language", "A tag", "Groups/channels"} <= set(keyboard_texts(audience))
    await shop.press(admin, audience, "A language")
    calls = await shop.send(admin, "chinese")
    assert "doesn't work" in _said(calls)
    calls = await shop.send(admin, "zh")
    assert "Audience: lang:zh" in _said(calls)
    await shop.send(admin, "🌶 Konjac is back <b>today</b> & tomorrow")
    draft = last_message(admin)
    assert "(draft)" in draft["text"] and "lang:zh" in draft["text"]

    await shop.press(admin, draft, "👁 Preview")
    async with shop.uows() as uow:
        recent = await uow.drops.recent(5)
    preview = next(d for d in recent if str(d.audience) == f"chats:{ADMIN_ID}")
    drop_id = next(d.id for d in recent if str(d.audience) == "lang:zh")
    await shop.drops.run(preview.id)
    got = last_message(admin)
    assert "Konjac is back" in got["text"] and keyboard_texts(got) == ["⚡ Buy now"]
    assert all("Konjac is back" not in (last_message(c).get("text") or "") for c in buyers)

    await shop.press(admin, draft, "📣 Send…")
    confirm = _message(admin, draft["message_id"])  # the draft, edited in place
    assert f"Send drop #{drop_id} to 2 chats" in confirm["text"]
    await shop.press(admin, confirm, "✅ Send to 2")
    calls = await shop.press_data(admin, confirm["message_id"], f"za:dr_sendy:{drop_id}:0")
    assert "not a draft any more" in only(calls, "answerCallbackQuery")[0].params["text"]
    await shop.drops.run(drop_id)
    for chat, gets in zip(buyers, (True, True, False), strict=True):
        texts = [m.get("text") or "" for m in chat.messages()]
        assert any("Konjac is back <b>today</b> & tomorrow" in t for t in texts) is gets, chat.id
    listing = await _open(shop, admin, "📣 Drops")
    assert f"#{drop_id} · done" in listing["text"] and "2/2 sent" in listing["text"]
    assert await _audit(shop) == ["drop.compose", "drop.preview", "drop.send"]


async def test_a_photo_drop_to_everyone_and_cancelling_one_that_is_sending(
    shop: RunningShop,
) -> None:
    admin = shop.standin.private_chat(ADMIN_ID, "Boss")
    ann = shop.standin.private_chat(6501, "Ann")
    await shop.send(ann, "/start")
    listing = await _open(shop, admin, "📣 Drops")
    await shop.press(admin, listing, "➕ Compose a drop")
    await shop.press(admin, last_message(admin), "No button")
    await shop.press(admin, last_message(admin), "Everyone")
    assert "Now send the drop" in last_message(admin)["text"]
    calls = await shop.push(admin.send_photo(caption=""))  # no caption: asked again
    assert "needs some text" in _said(calls)
    await shop.push(admin.send_photo(caption="New colours are in"))
    draft = last_message(admin)
    assert "media: photo" in draft["text"]
    await shop.press(admin, draft, "📣 Send…")
    confirm = last_message(admin)
    await shop.press(admin, confirm, keyboard_texts(confirm)[0])
    async with shop.uows() as uow:
        [drop] = [d for d in await uow.drops.recent(5) if d.status is DropStatus.SENDING]
    listing = await _open(shop, admin, "📣 Drops")
    await shop.press(admin, listing, f"⏹ Cancel #{drop.id}")
    await shop.press(admin, last_message(admin), "⏹ Yes, stop sending")
    async with shop.uows.engine.connect() as conn:
        status = await conn.scalar(select(DropRow.status).where(DropRow.id == drop.id))  # type: ignore[arg-type]
    assert status == DropStatus.CANCELLED.value
    await shop.drops.run(drop.id)
    assert not any(m.get("photo") for m in ann.messages())


async def test_an_out_of_stock_product_cannot_go_on_sale(shop: RunningShop) -> None:
    from sqlalchemy import update

    from storage.tables import VariantRow

    async with shop.uows.engine.begin() as conn:
        await conn.execute(update(VariantRow).where(VariantRow.sku == "TB-1").values(stock=0))  # type: ignore[arg-type]
    admin = shop.standin.private_chat(ADMIN_ID, "Boss")
    listing = await _open(shop, admin, "⚡ Flash sales")
    await shop.press(admin, listing, "➕ Schedule a sale")
    assert not any("TB-1" in t for t in keyboard_texts(last_message(admin)))  # not offered
    calls = await shop.send(admin, "TB-1")
    assert "is out of stock" in _said(calls)
    calls = await shop.send(admin, "KJ-10")  # the step still reads a SKU
    assert "regular price $4.99" in _said(calls)
