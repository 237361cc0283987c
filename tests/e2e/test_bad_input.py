"""Bad input end to end: a clear message, nothing changed, the process keeps running."""

from __future__ import annotations

import pytest

from tests.e2e.harness import RunningShop, archive_product, only


async def test_unknown_command_random_text_and_sticker(shop: RunningShop) -> None:
    ann = shop.standin.private_chat(2001, "Ann")
    await shop.send(ann, "/frobnicate now")
    assert "I don't know /frobnicate" in ann.last_message()["text"]  # type: ignore[index]
    await shop.send(ann, "qwxzzz")
    assert "Nothing found for “qwxzzz”" in ann.last_message()["text"]  # type: ignore[index]
    await shop.push(ann.send_sticker())
    assert "can't read stickers" in ann.last_message()["text"]  # type: ignore[index]


@pytest.mark.parametrize(
    "data",
    ["not-a-button", "ci:424242", "nv:c:77:0", "ad:9999:c:1:0", "lg:fr", "nv:c:1", "x" * 64],
)
async def test_forged_or_stale_buttons(shop: RunningShop, data: str) -> None:
    ann = shop.standin.private_chat(2002, "Ann")
    await shop.send(ann, "/start")
    before = ann.messages()
    calls = await shop.press_data(ann, ann.last_message()["message_id"], data)  # type: ignore[index]
    [answer] = only(calls, "answerCallbackQuery")
    assert answer.ok and answer.params.get("text")
    assert ann.messages() == before


async def test_someone_elses_cart_line(shop: RunningShop) -> None:
    ann = shop.standin.private_chat(2003, "Ann")
    bo = shop.standin.private_chat(2004, "Bo")
    await shop.send(ann, "tripod")
    await shop.press(ann, ann.last_message(), "🛒 Add to cart")  # type: ignore[arg-type]
    await shop.send(ann, "/cart")
    ann_plus = next(
        b["callback_data"]
        for row in ann.last_message()["reply_markup"]["inline_keyboard"]
        for b in row
        if b["text"] == "+"
    )  # type: ignore[index]
    await shop.send(bo, "/start")
    calls = await shop.press_data(bo, bo.last_message()["message_id"], ann_plus)  # type: ignore[index]
    assert "someone else's cart" in only(calls, "answerCallbackQuery")[0].params["text"]
    await shop.send(ann, "/cart")
    assert "× 1" in ann.last_message()["text"]  # type: ignore[index]


async def test_a_deleted_product_and_an_out_of_stock_add(shop: RunningShop) -> None:
    ann = shop.standin.private_chat(2005, "Ann")
    await shop.send(ann, "/start p_6")  # Air Buds: two variants
    card = ann.last_message()
    await shop.send(ann, "/start p_123456")
    assert "no longer available" in ann.messages()[-2]["text"]
    # A sold-out variant offers no add button; forging one is refused.
    calls = await shop.press_data(ann, card["message_id"], "av:3:p:1:0")  # type: ignore[index]
    assert "sold out" in only(calls, "answerCallbackQuery")[0].params["text"]
    # The product is archived while the buyer looks at its card.
    await archive_product(shop, 6)
    calls = await shop.press(ann, card, "🛒 Add to cart")  # type: ignore[arg-type]
    answer = only(calls, "answerCallbackQuery")[0]
    assert answer.params["text"] == "Sorry, this product is no longer available."
    assert answer.params["show_alert"] in (True, "true", "True")
    await shop.send(ann, "/cart")
    assert "empty" in ann.last_message()["text"]  # type: ignore[index]


async def test_an_absurd_quantity(shop: RunningShop) -> None:
    ann = shop.standin.private_chat(2006, "Ann")
    await shop.send(ann, "tripod")
    await shop.press(ann, ann.last_message(), "🛒 Add to cart")  # type: ignore[arg-type]
    await shop.send(ann, "/cart")
    await shop.press(ann, ann.last_message(), "✏️ 1. × 1")  # type: ignore[arg-type]
    await shop.send(ann, "10000000000000")
    assert "whole number from 0 to 20" in ann.last_message()["text"]  # type: ignore[index]
    await shop.send(ann, "7")
    assert "× 7" in ann.last_message()["text"]  # type: ignore[index]


async def test_an_update_delivered_twice_is_handled_once(shop: RunningShop) -> None:
    ann = shop.standin.private_chat(2007, "Ann")
    await shop.send(ann, "tripod")
    update = ann.press(ann.last_message(), "🛒 Add to cart")  # type: ignore[arg-type]
    await shop.push(update)
    redelivered = shop.standin.push_update(dict(update))
    calls = await shop.push(redelivered)
    assert calls == []
    await shop.send(ann, "/cart")
    assert "× 1" in ann.last_message()["text"]  # type: ignore[index]


async def test_group_chat_noise_is_ignored_and_carts_stay_private(shop: RunningShop) -> None:
    group = shop.standin.group_chat(-100500, "Buyers club")
    ann = shop.standin.user(2008, "Ann")
    calls = await shop.send(group, "hello everyone", from_user=ann)
    assert calls == []
    calls = await shop.send(group, "/cart@shop_e2e_bot", from_user=ann)
    [reply] = only(calls, "sendMessage")
    markup = reply.params["reply_markup"]
    assert markup["inline_keyboard"][0][0]["url"] == "https://t.me/shop_e2e_bot?start=cart"
    calls = await shop.send(group, "/cart@some_other_bot", from_user=ann)
    assert calls == []


async def test_flood_control_is_waited_out_and_a_blocked_chat_is_survived(
    shop: RunningShop,
) -> None:
    ann = shop.standin.private_chat(2009, "Ann")
    shop.standin.fail_next("sendMessage", error_code=429, retry_after=1, chat_id=2009)
    calls = await shop.send(ann, "/help")
    assert [c.status for c in only(calls, "sendMessage")] == [429, 200]
    assert "How to shop here" in ann.last_message()["text"]  # type: ignore[index]
    shop.standin.block_chat(2009)
    calls = await shop.send(ann, "/help")
    assert [c.status for c in only(calls, "sendMessage")] == [403]
    shop.standin.unblock_chat(2009)
    await shop.send(ann, "/start")  # the bot is still running
    assert "Welcome" in ann.last_message()["text"]  # type: ignore[index]
