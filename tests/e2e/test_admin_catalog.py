"""The merchant console's products, coupons and team end to end, on aiogram and on
python-telegram-bot: a product made from a video sent in chat (every step's bad input asked
again), found by buyers with the stored file_id; edits with confirmation; a coupon made in
chat redeemed at checkout; staff added by the owner; non-admins refused with nothing changed."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from bot.conversation.screens.admin.registry import admin_cb
from bot.standin import SimChat
from storage.admin_tables import AdminAuditRow
from storage.order_tables import OrderRow
from storage.tables import MediaRow, ProductRow, VariantRow
from tests.e2e.harness import ADMIN_ID, RunningShop, keyboard_texts, last_message, only


async def _said(shop: RunningShop, chat: SimChat, text: str) -> str:
    calls = await shop.send(chat, text)
    return "\n".join(c.params["text"] for c in only(calls, "sendMessage"))


async def _video(shop: RunningShop, chat: SimChat) -> tuple[str, list[Any]]:
    update = chat.send_video()
    calls = await shop.push(update)
    return str(update["message"]["video"]["file_id"]), calls


async def _count(shop: RunningShop, table: Any) -> int:
    async with shop.uows.engine.connect() as conn:
        return int(await conn.scalar(select(func.count()).select_from(table)) or 0)


async def _audit(shop: RunningShop) -> list[tuple[int, str, str, str]]:
    async with shop.uows.engine.connect() as conn:
        rows = await conn.execute(
            select(
                AdminAuditRow.actor_id,
                AdminAuditRow.role,
                AdminAuditRow.action,
                AdminAuditRow.target,
            ).order_by(AdminAuditRow.id)  # type: ignore[arg-type]
        )
        return [tuple(r) for r in rows.all()]  # type: ignore[misc]


async def _orders(shop: RunningShop, user_id: int) -> list[Any]:
    async with shop.uows.engine.connect() as conn:
        rows = await conn.execute(
            select(OrderRow.id, OrderRow.status, OrderRow.total_minor).where(
                OrderRow.user_id == user_id
            )  # type: ignore[arg-type]
        )
        return list(rows.all())


async def _product(shop: RunningShop, name: str) -> Any:
    async with shop.uows.engine.connect() as conn:
        return (await conn.execute(select(ProductRow).where(ProductRow.name == name))).one()  # type: ignore[arg-type]


async def test_a_product_from_a_video_asks_again_on_bad_input_then_buyers_find_it(
    shop: RunningShop,
) -> None:
    boss = shop.standin.private_chat(ADMIN_ID, "Boss")
    products = await _count(shop, ProductRow)
    file_id, calls = await _video(shop, boss)
    asked = only(calls, "sendMessage")[0].params["text"]
    assert "New product from this video" in asked and "1/5" in asked
    assert not only(calls, "sendVideo")  # the file is kept, nothing is uploaded

    assert "at most 80 characters" in await _said(shop, boss, "x" * 81)
    assert "2/5" in await _said(shop, boss, "Matcha <Latte> Kit")
    _, calls = await _video(shop, boss)  # one product at a time
    assert "adding a product already" in only(calls, "sendMessage")[0].params["text"]
    for bad, told in [
        ("0", "more than zero"),
        ("-3", "can't be negative"),
        ("cheap", "not a price"),
        ("1.234", "USD has 2 decimal places"),
    ]:
        reply = await _said(shop, boss, bad)
        assert told in reply and "2/5" in reply, (bad, reply)
    assert "3/5" in await _said(shop, boss, "12.50")
    assert "whole number" in await _said(shop, boss, "2.5")
    assert "can't be negative" in await _said(shop, boss, "-1")
    await shop.send(boss, "7")
    question = last_message(boss)
    assert "4/5" in question["text"] and "Snacks" in keyboard_texts(question)
    await shop.press(boss, question, "Snacks")
    assert "at most 500 characters" in await _said(shop, boss, "y" * 501)
    calls = await shop.send(boss, "Ceremonial grade matcha, whisk included.")
    [preview] = only(calls, "sendVideo")
    assert preview.params["video"] == file_id  # the stored file_id, no upload
    assert "Preview" in preview.params["caption"] and "$12.50" in preview.params["caption"]
    assert "Matcha &lt;Latte&gt; Kit" in preview.params["caption"]
    assert await _count(shop, ProductRow) == products  # nothing until Publish
    assert "press ✅ Publish" in await _said(shop, boss, "publish it")

    calls = await shop.press(boss, preview.response["message_id"], "✅ Publish")
    assert only(calls, "answerCallbackQuery")[0].params.get("text") == "Published"
    assert "is on sale now" in only(calls, "sendMessage")[-1].params["text"]
    row = await _product(shop, "Matcha <Latte> Kit")
    # A second tap that arrives before the buttons went: nothing is created twice.
    again = admin_cb("np_pub", row.teaser_id)
    calls = await shop.press_data(boss, preview.response["message_id"], again)
    assert "step has ended" in only(calls, "answerCallbackQuery")[0].params["text"]
    assert await _count(shop, ProductRow) == products + 1
    assert row.active and "matcha" in row.search_text
    async with shop.uows.engine.connect() as conn:
        variant = (
            await conn.execute(select(VariantRow).where(VariantRow.product_id == row.id))
        ).one()  # type: ignore[arg-type]
        media = (await conn.execute(select(MediaRow).where(MediaRow.id == row.teaser_id))).one()  # type: ignore[arg-type]
    assert (variant.price_minor, variant.currency, variant.stock) == (1250, "USD", 7)
    assert (media.kind, media.file_id) == ("video", file_id)
    assert (ADMIN_ID, "owner", "product.create", f"product:{row.id}") in await _audit(shop)

    ann = shop.standin.private_chat(5101, "Ann")
    calls = await shop.send(ann, "/search matcha")
    [card] = only(calls, "sendVideo")
    assert card.params["video"] == file_id and "$12.50" in card.params["caption"]
    await shop.send(ann, "/catalog")
    listing = last_message(ann)
    assert "Snacks (3)" in keyboard_texts(listing)
    await shop.press(ann, listing, "Snacks (3)")
    calls = await shop.press(ann, last_message(ann), "◀")  # the newest is last in the category
    assert "Matcha" in only(calls, "editMessageMedia")[0].params["media"]["caption"]
    calls = await shop.press(ann, last_message(ann), "🛒 Add to cart")
    assert "Added: Matcha" in only(calls, "answerCallbackQuery")[0].params["text"]


async def test_cancel_creates_nothing_and_a_new_category_can_be_typed(shop: RunningShop) -> None:
    boss = shop.standin.private_chat(ADMIN_ID, "Boss")
    products, categories = await _count(shop, ProductRow), len(await _categories(shop))
    await _video(shop, boss)
    await shop.send(boss, "Never sold")
    assert "Cancelled" in await _said(shop, boss, "/cancel")
    assert "Nothing found" in await _said(shop, boss, "12.00")  # no step: a search again
    await _video(shop, boss)
    calls = await shop.press(boss, last_message(boss), "✖ Cancel")
    assert "no product was created" in only(calls, "sendMessage")[0].params["text"]
    assert await _count(shop, ProductRow) == products

    await _video(shop, boss)
    for answer in ("Tea Cup", "3", "12"):
        await shop.send(boss, answer)
    assert "5/5" in await _said(shop, boss, "Kitchen")  # a category that does not exist yet
    await shop.press(boss, last_message(boss), "⏭ Skip")
    assert "Kitchen (new)" in last_message(boss)["caption"]
    await shop.press(boss, last_message(boss), "✅ Publish")
    assert len(await _categories(shop)) == categories + 1
    ann = shop.standin.private_chat(5102, "Ann")
    await shop.send(ann, "/catalog")
    assert "Kitchen (1)" in keyboard_texts(last_message(ann))


async def _categories(shop: RunningShop) -> list[Any]:
    async with shop.uows() as uow:
        return await uow.catalog.categories()


async def test_edit_price_stock_teaser_and_archive_with_confirmation(shop: RunningShop) -> None:
    boss = shop.standin.private_chat(ADMIN_ID, "Boss")
    ann = shop.standin.private_chat(5103, "Ann")
    await shop.send(boss, "/admin")
    await shop.press(boss, last_message(boss), "📦 Products")
    listing = last_message(boss)
    assert "Products (" in listing["text"]
    await shop.press(boss, listing, "Dried Mango · 40 in stock")
    screen = last_message(boss)
    assert "Dried Mango" in screen["text"] and "on sale" in screen["text"]
    await shop.press(boss, screen, "💲 Price")
    assert "not a price" in await _said(shop, boss, "lots")
    assert "now costs $7.25" in await _said(shop, boss, "7.25")
    await shop.press(boss, screen, "📦 Stock")
    assert "whole number" in await _said(shop, boss, "many")
    assert "DM-250: 9 in stock" in await _said(shop, boss, "9")
    async with shop.uows.engine.connect() as conn:
        price, stock = (
            await conn.execute(
                select(VariantRow.price_minor, VariantRow.stock).where(VariantRow.sku == "DM-250")
            )
        ).one()  # type: ignore[arg-type]
    assert (price, stock) == (725, 9)
    calls = await shop.send(ann, "/search mango")
    assert "$7.25" in only(calls, "sendPhoto")[0].params["caption"]

    await shop.press(boss, screen, "🎬 Replace video/photo")
    assert "waiting for a video or photo" in await _said(shop, boss, "here")
    update = boss.send_photo()
    photo_id = update["message"]["photo"][-1]["file_id"]
    calls = await shop.push(update)
    assert "now shows this photo" in only(calls, "sendMessage")[0].params["text"]
    calls = await shop.send(ann, "/search mango")
    assert only(calls, "sendPhoto")[0].params["photo"] == photo_id

    await shop.press(ann, last_message(ann), "⚡ Buy now")  # an order placed before the archive
    if "invoice" not in last_message(ann):
        await shop.press(ann, last_message(ann), "🏬 Pick up at Storefront Studio")
    await shop.pay(ann, last_message(ann), order_info={"name": "Ann"})
    paid = await _orders(shop, ann.id)
    assert len(paid) == 1 and paid[0].total_minor == 725

    await shop.press(boss, screen, "🗄 Archive")  # the product screen turns into the question
    confirm = boss.stored(screen["message_id"]).message
    assert "Archive Dried Mango?" in str(confirm["text"])
    assert (await _product(shop, "Dried Mango")).active  # not before the Yes
    calls = await shop.press(boss, screen["message_id"], "🗄 Yes, archive")
    assert only(calls, "answerCallbackQuery")[0].params.get("text") == "Archived"
    assert not (await _product(shop, "Dried Mango")).active
    assert "Nothing found" in await _said(shop, ann, "/search mango")
    assert await _orders(shop, ann.id) == paid  # the order is untouched
    await shop.send(ann, "/orders")
    assert f"#{paid[0].id}" in keyboard_texts(last_message(ann))[0]
    mid = screen["message_id"]
    await shop.press(boss, mid, "📦 All products")
    assert "🗄 Dried Mango · 8 in stock" in keyboard_texts(boss.stored(mid).message)  # 1 sold
    await shop.press(boss, mid, "🗄 Dried Mango · 8 in stock")
    await shop.press(boss, mid, "♻️ Put back on sale")
    await shop.press(boss, mid, "♻️ Yes, put back")
    calls = await shop.send(ann, "/search mango")
    assert only(calls, "sendPhoto")
    actions = [a for _, _, a, _ in await _audit(shop)]
    assert actions == [
        "product.price",
        "product.stock",
        "product.media",
        "product.archive",
        "product.unarchive",
    ]


async def test_a_product_with_variants_is_priced_per_variant(shop: RunningShop) -> None:
    boss = shop.standin.private_chat(ADMIN_ID, "Boss")
    await shop.send(boss, "/admin")
    await shop.press(boss, last_message(boss), "📦 Products")
    await shop.press(boss, last_message(boss), "Air Runner · 16 in stock")
    screen = last_message(boss)
    assert "EU 44 (AR-44): $64.99 · 0 in stock" in screen["text"]
    assert {"💲 EU 40", "📦 EU 42", "💲 EU 44"} <= set(keyboard_texts(screen))
    await shop.press(boss, screen, "💲 EU 44")
    assert "now costs $69.00" in await _said(shop, boss, "69")
    await shop.press(boss, screen, "📦 EU 44")
    assert "AR-44: 5 in stock" in await _said(shop, boss, "5")
    # A forged button: a variant of another product, a product that does not exist.
    calls = await shop.press_data(boss, screen, admin_cb("pd_price", 1, 999))
    assert "expired" in only(calls, "answerCallbackQuery")[0].params["text"]
    calls = await shop.press_data(boss, screen, admin_cb("pd_open", 999999))
    assert "no longer exists" in only(calls, "answerCallbackQuery")[0].params["text"]
    async with shop.uows.engine.connect() as conn:
        rows = await conn.execute(
            select(VariantRow.sku, VariantRow.price_minor, VariantRow.stock)
            .where(VariantRow.sku.like("AR-%"))  # type: ignore[attr-defined]
            .order_by(VariantRow.sku)
        )
        assert [tuple(r) for r in rows.all()] == [
            ("AR-40", 5999, 12),
            ("AR-42", 5999, 4),
            ("AR-44", 6900, 5),
        ]
