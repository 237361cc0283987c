"""End to end, on aiogram and on python-telegram-bot: real clients over HTTP, the local Bot API
stand-in checking every call against the Bot API description."""

from __future__ import annotations

from bot.domain.coupons import Coupon, CouponKind
from bot.domain.money import Money
from tests.e2e.harness import RunningShop, keyboard_texts, last_invoice, only, product_card

SOLD_OUT = "Sorry, Air Runner (EU 44) is sold out."


async def _coupon(shop: RunningShop, coupon: Coupon) -> None:
    async with shop.uows() as uow:
        await uow.coupons.create(coupon, shop.now())
        await uow.commit()


async def test_start_catalog_teaser_add_to_cart_and_total(shop: RunningShop) -> None:
    ann = shop.standin.private_chat(1001, "Ann", language_code="en")
    calls = await shop.send(ann, "/start")
    [welcome] = only(calls, "sendMessage")
    assert welcome.ok and "Welcome to" in welcome.params["text"]

    calls = await shop.send(ann, "/catalog")
    listing = ann.last_message()
    assert listing is not None and "Categories" in listing["text"]
    assert "Snacks (2)" in keyboard_texts(listing)

    calls = await shop.press(ann, listing, "Snacks (2)")
    assert [c.method for c in calls] == ["answerCallbackQuery", "sendVideo"] or [
        c.method for c in calls
    ] == ["sendVideo", "answerCallbackQuery"]
    [video] = only(calls, "sendVideo")
    assert video.ok and "Spicy Konjac Jelly" in video.params["caption"]
    card = ann.last_message()
    assert card is not None and "video" in card
    assert keyboard_texts(card)[:2] == ["🛒 Add to cart", "⚡ Buy now"]

    calls = await shop.press(ann, card, "🛒 Add to cart")
    [answer] = only(calls, "answerCallbackQuery")
    assert "Added: Spicy Konjac Jelly (10 pack) × 1" in answer.params["text"]
    await shop.press(ann, card, "🛒 Add to cart")

    await shop.send(ann, "/cart")
    cart = ann.last_message()
    assert cart is not None
    assert "× 2 · $9.98" in cart["text"] and "Total: $9.98" in cart["text"]


async def test_the_teaser_is_uploaded_once_then_reused_by_file_id(shop: RunningShop) -> None:
    ann = shop.standin.private_chat(1002, "Ann")
    first = only(await shop.send(ann, "/start p_3"), "sendVideo")[0]
    assert first.params["video"] == {"upload": "konjac-jelly.mp4"} or "upload" in str(
        first.params["video"]
    )
    uploads = shop.standin.uploads
    second = only(await shop.send(ann, "/start p_3"), "sendVideo")[0]
    assert second.ok and isinstance(second.params["video"], str)
    assert second.params["video"] == first.response["video"]["file_id"]  # type: ignore[index]
    assert shop.standin.uploads == uploads


async def test_paging_edits_one_message(shop: RunningShop) -> None:
    ann = shop.standin.private_chat(1003, "Ann")
    await shop.send(ann, "/catalog")
    await shop.press(ann, ann.last_message(), "Snacks (2)")  # type: ignore[arg-type]
    card = ann.last_message()
    count = len(ann.messages())
    calls = await shop.press(ann, card, "▶")  # type: ignore[arg-type]
    [edit] = only(calls, "editMessageMedia")
    assert edit.ok
    assert len(ann.messages()) == count  # edited in place, no new message
    now = ann.last_message()
    assert now is not None and "photo" in now and "Dried Mango" in now["caption"]


async def test_cart_buttons_edit_the_cart_in_place(shop: RunningShop) -> None:
    ann = shop.standin.private_chat(1004, "Ann")
    await shop.send(ann, "tripod")
    await shop.press(ann, ann.last_message(), "🛒 Add to cart")  # type: ignore[arg-type]
    await shop.send(ann, "/cart")
    cart = ann.last_message()
    calls = await shop.press(ann, cart, "+")  # type: ignore[arg-type]
    assert only(calls, "editMessageText")[0].ok
    assert "× 2" in ann.last_message()["text"]  # type: ignore[index]
    await shop.press(ann, ann.last_message(), "🗑 Clear cart")  # type: ignore[arg-type]
    await shop.press(ann, ann.last_message(), "Yes, clear it")  # type: ignore[arg-type]
    assert "empty" in ann.last_message()["text"]  # type: ignore[index]


async def test_search_and_language_switch(shop: RunningShop) -> None:
    bo = shop.standin.private_chat(1005, "Bo", language_code="zh-hans")
    await shop.send(bo, "/start")
    assert "欢迎" in bo.last_message()["text"]  # type: ignore[index]
    await shop.send(bo, "/search 芒果干")
    found = bo.last_message()
    assert found is not None and "Dried Mango" in found["caption"]
    assert "🛒 加入购物车" in keyboard_texts(found)
    await shop.send(bo, "/lang")
    calls = await shop.press(bo, bo.last_message(), "English")  # type: ignore[arg-type]
    assert only(calls, "answerCallbackQuery")[0].params["text"] == "Language: English."
    await shop.send(bo, "/search air runner")
    assert "🛒 Add to cart" in keyboard_texts(bo.last_message())  # type: ignore[arg-type]


async def test_command_menu_is_registered_in_both_languages(shop: RunningShop) -> None:
    menus = {
        c.params.get("language_code"): c.params["commands"]
        for c in shop.standin.calls_named("setMyCommands")
    }
    assert set(menus) == {None, "zh"}
    assert {"command": "cart", "description": "Your cart"} in menus[None]
    assert {"command": "cart", "description": "我的购物车"} in menus["zh"]


async def test_a_stale_file_id_falls_back_to_uploading_the_teaser(shop: RunningShop) -> None:
    """A file_id from another bot (a new token, a copied database) is refused by Telegram."""
    async with shop.uows() as uow:
        product = await uow.catalog.product(3)
        assert product is not None and product.teaser is not None
        await uow.catalog.remember_file_id(product.teaser.id, "BAACAgIAAxkBAAI-not-ours")
        await uow.commit()
    ann = shop.standin.private_chat(1006, "Ann")
    calls = only(await shop.send(ann, "/start p_3"), "sendVideo")
    assert [c.ok for c in calls] == [False, True]
    assert calls[1].params["video"] == {"upload": "konjac-jelly.mp4"}
    again = only(await shop.send(ann, "/start p_3"), "sendVideo")
    assert [c.ok for c in again] == [True]
    assert again[0].params["video"] == calls[1].response["video"]["file_id"]  # type: ignore[index]


async def test_pressing_a_sold_out_variant_says_it_is_sold_out(shop: RunningShop) -> None:
    """The picker's "EU 44 · sold out" answers with an alert naming the variant, for Add to
    cart and for Buy now, and nothing is added or invoiced."""
    ann = shop.standin.private_chat(1007, "Ann")
    card = await product_card(shop, ann, "runner")
    await shop.press(ann, card, "🛒 Add to cart")
    picker = ann.last_message()
    assert picker is not None and "EU 44 · sold out" in keyboard_texts(picker)
    calls = await shop.press(ann, picker, "EU 44 · sold out")
    [answer] = only(calls, "answerCallbackQuery")
    assert answer.params["text"] == SOLD_OUT and answer.params.get("show_alert") is True
    assert [c.method for c in calls] == ["answerCallbackQuery"]

    card = await product_card(shop, ann, "runner")
    await shop.press(ann, card, "⚡ Buy now")
    calls = await shop.press(ann, ann.last_message(), "EU 44 · sold out")  # type: ignore[arg-type]
    [answer] = only(calls, "answerCallbackQuery")
    assert answer.params["text"] == SOLD_OUT and answer.params.get("show_alert") is True
    assert not only(calls, "sendInvoice") and not only(calls, "sendMessage")

    await shop.send(ann, "/cart")
    assert "empty" in ann.last_message()["text"]  # type: ignore[index]


async def test_the_cart_shows_the_applied_coupon_and_the_total_after_it(shop: RunningShop) -> None:
    await _coupon(shop, Coupon(0, "SPRING", CouponKind.PERCENT, percent=10))
    await _coupon(
        shop,
        Coupon(
            0, "BIG", CouponKind.FIXED, amount=Money(500, "USD"), min_subtotal=Money(5000, "USD")
        ),
    )
    ann = shop.standin.private_chat(1008, "Ann")
    card = await product_card(shop, ann, "tripod")
    await shop.press(ann, card, "🛒 Add to cart")
    await shop.press(ann, card, "🛒 Add to cart")
    await shop.send(ann, "/coupon SPRING")
    await shop.send(ann, "/cart")
    text = ann.last_message()["text"]  # type: ignore[index]
    assert "Subtotal: $31.98 (2 items)" in text
    assert "🏷 Coupon SPRING (10% off): −$3.20" in text
    assert "Total: $28.78" in text and "Total: $31.98" not in text

    # The invoice charges what the cart said.
    cart = ann.last_message()
    calls = await shop.press(ann, cart, "💳 Checkout")  # type: ignore[arg-type]
    if not only(calls, "sendInvoice"):
        await shop.press(ann, ann.last_message(), "🏬 Pick up at Storefront Studio")  # type: ignore[arg-type]
    invoice = last_invoice(ann)["invoice"]
    assert invoice["total_amount"] == 2878

    # A coupon this cart does not qualify for is shown with the reason, and the full total.
    await shop.send(ann, "/coupon BIG")
    await shop.send(ann, "/cart")
    text = ann.last_message()["text"]  # type: ignore[index]
    assert "Not applied: Coupon BIG needs a larger order." in text
    assert "Total: $31.98 (2 items)" in text and "−" not in text.split("Total")[1]

    # In Chinese too.
    await shop.send(ann, "/coupon SPRING")
    await shop.send(ann, "/lang")
    await shop.press(ann, ann.last_message(), "简体中文")  # type: ignore[arg-type]
    await shop.send(ann, "/cart")
    text = ann.last_message()["text"]  # type: ignore[index]
    assert "小计：US$31.98（2 件商品）" in text
    assert "🏷 优惠券 SPRING（10% 折扣）：−US$3.20" in text and "合计：US$28.78" in text
