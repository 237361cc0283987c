"""Live selling end to end, on aiogram and on python-telegram-bot: ``/live`` pins a product
card in a group, swaps the featured product by editing the pinned card (or by posting a new one
when Telegram cannot turn one kind of message into another), and unpins it at the end; the same
for a channel driven from the private chat; and the refusals (not an admin, unknown or archived
product, no show to end, no right to pin, a pinned card somebody deleted)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import select

from bot.domain.money import Money
from bot.services.sale_ports import NewSale
from bot.standin import SimChat
from storage.live_tables import LiveShowRow
from tests.e2e.harness import ADMIN_ID, RunningShop, archive_product, keyboard_texts, only

BOT = "https://t.me/shop_e2e_bot"


async def _product_id(shop: RunningShop, sku: str) -> int:
    async with shop.uows() as uow:
        variant_id = await uow.catalog.variant_by_sku(sku)
        assert variant_id is not None
        found = await uow.catalog.variant(variant_id)
        assert found is not None
        return found[1].id


async def _shows(shop: RunningShop) -> list[tuple[int, int, int]]:
    async with shop.uows.engine.connect() as conn:
        rows = await conn.execute(
            select(LiveShowRow.chat_id, LiveShowRow.message_id, LiveShowRow.product_id)  # type: ignore[call-overload]
        )
        return [tuple(r) for r in rows]


async def _live(shop: RunningShop, chat: SimChat, args: str, **kwargs: Any) -> list[Any]:
    """Type ``/live args``, wait for the live desk to finish; the calls made meanwhile."""
    mark = len(shop.standin.calls)
    await shop.send(chat, f"/live {args}".rstrip(), **kwargs)
    await shop.settle()
    return [c for c in shop.standin.calls[mark:] if c.method != "getUpdates"]


def _urls(message: dict[str, Any]) -> list[str]:
    markup = message.get("reply_markup") or {}
    return [b["url"] for row in markup.get("inline_keyboard", []) for b in row if "url" in b]


def _no_callbacks(message: dict[str, Any]) -> bool:
    markup = message.get("reply_markup") or {}
    return all("callback_data" not in b for row in markup.get("inline_keyboard", []) for b in row)


async def test_a_show_in_a_group_starts_swaps_and_ends(shop: RunningShop) -> None:
    group = shop.standin.group_chat(-100_4200, "Live buyers")
    owner = shop.standin.user(ADMIN_ID, "Owner")
    konjac, mango, tripod = [await _product_id(shop, s) for s in ("KJ-10", "DM-250", "PT-1")]

    # Start: the video card is posted and pinned, quietly; its buttons lead to the private chat.
    calls = await _live(shop, group, "KJ-10", from_user=owner)
    [video] = only(calls, "sendVideo")
    [pin] = only(calls, "pinChatMessage")
    card_id = video.response["message_id"]
    assert pin.ok and pin.params["message_id"] == card_id
    assert pin.params["disable_notification"] is True
    assert group.record.pinned == [card_id]
    card = group.stored(card_id).message
    assert "LIVE" in card["caption"] and "Spicy Konjac Jelly" in card["caption"]
    assert "$4.99" in card["caption"]
    assert _urls(card) == [f"{BOT}?start=p_{konjac}"] and _no_callbacks(card)
    assert only(calls, "sendMessage") == []  # in the group the card is the answer
    assert await _shows(shop) == [(group.id, card_id, konjac)]

    # /live alone: what is featured, and how to use it.
    calls = await _live(shop, group, "", from_user=owner)
    [status] = only(calls, "sendMessage")
    assert "featuring <b>Spicy Konjac Jelly" in status.params["text"]
    assert "/live end" in status.params["text"]

    # Swap to a photo product: the same message, edited in place, still pinned.
    calls = await _live(shop, group, "DM-250", from_user=owner)
    [edit] = only(calls, "editMessageMedia")
    assert edit.ok and edit.params["message_id"] == card_id
    assert only(calls, "sendPhoto") == [] and only(calls, "pinChatMessage") == []
    card = group.stored(card_id).message
    assert "photo" in card and "Dried Mango" in card["caption"]
    assert _urls(card) == [f"{BOT}?start=p_{mango}"]
    assert group.record.pinned == [card_id]
    assert await _shows(shop) == [(group.id, card_id, mango)]

    # Swap by product id to a text-only product: a video cannot become text, so a new card
    # is posted and pinned and the old one unpinned.
    calls = await _live(shop, group, str(tripod), from_user=owner)
    assert only(calls, "editMessageMedia") == [] and only(calls, "editMessageText") == []
    [text_card] = only(calls, "sendMessage")
    new_id = text_card.response["message_id"]
    assert "Phone Tripod" in text_card.params["text"]
    assert [c.params["message_id"] for c in only(calls, "unpinChatMessage")] == [card_id]
    assert group.record.pinned == [new_id]
    assert await _shows(shop) == [(group.id, new_id, tripod)]

    # End: unpinned, and the card says the live is over with a link to the shop.
    calls = await _live(shop, group, "end", from_user=owner)
    [unpin] = only(calls, "unpinChatMessage")
    assert unpin.ok and unpin.params["message_id"] == new_id
    assert group.record.pinned == []
    ended = group.stored(new_id).message
    assert "The live has ended" in ended["text"]
    assert _urls(ended) == [BOT] and _no_callbacks(ended)
    assert await _shows(shop) == []

    # Nothing left to end.
    calls = await _live(shop, group, "end", from_user=owner)
    [reply] = only(calls, "sendMessage")
    assert "no live show" in reply.params["text"]
    assert only(calls, "unpinChatMessage") == []


async def test_a_channel_is_driven_from_the_private_chat(shop: RunningShop) -> None:
    channel = shop.standin.channel_chat(-100_4300, "Shop channel", username="shop_live")
    owner = shop.standin.private_chat(ADMIN_ID, "Owner")
    tripod, eb = [await _product_id(shop, s) for s in ("PT-1", "EB-1")]

    calls = await _live(shop, owner, "@shop_live PT-1")
    [resolve] = only(calls, "getChat")
    assert resolve.params["chat_id"] == "@shop_live"
    [card] = [c for c in only(calls, "sendMessage") if c.params["chat_id"] == channel.id]
    card_id = card.response["message_id"]
    assert channel.record.pinned == [card_id]
    assert "Live on in @shop_live" in owner.last_message()["text"]  # type: ignore[index]

    # Text to text: edited in place.
    calls = await _live(shop, owner, f"{channel.id} {eb}")
    [edit] = only(calls, "editMessageText")
    assert edit.params["chat_id"] == channel.id and edit.params["message_id"] == card_id
    assert _urls(channel.stored(card_id).message) == [f"{BOT}?start=p_{eb}"]
    assert channel.record.pinned == [card_id]
    assert "Now featuring" in owner.last_message()["text"]  # type: ignore[index]

    calls = await _live(shop, owner, "")
    assert f"{channel.id}: Spicy Snack Recipes" in owner.last_message()["text"]  # type: ignore[index]

    calls = await _live(shop, owner, "@shop_live end")
    assert channel.record.pinned == []
    assert "The live has ended" in channel.stored(card_id).message["text"]
    assert "has ended" in owner.last_message()["text"]  # type: ignore[index]
    assert await _shows(shop) == []
    assert tripod != eb


async def test_refusals_change_nothing(shop: RunningShop) -> None:
    group = shop.standin.group_chat(-100_4400, "Live buyers")
    owner = shop.standin.user(ADMIN_ID, "Owner")
    ann = shop.standin.user(4401, "Ann")

    calls = await _live(shop, group, "KJ-10", from_user=ann)
    [reply] = only(calls, "sendMessage")
    assert "Only the shop's admins" in reply.params["text"]
    assert only(calls, "sendVideo") == [] and group.record.pinned == []
    ann_private = shop.standin.private_chat(4401, "Ann")
    calls = await _live(shop, ann_private, f"{group.id} KJ-10")
    assert "Only the shop's admins" in ann_private.last_message()["text"]  # type: ignore[index]

    calls = await _live(shop, group, "NOPE-1", from_user=owner)
    [reply] = only(calls, "sendMessage")
    assert "There is no product NOPE-1" in reply.params["text"]
    await archive_product(shop, await _product_id(shop, "MP-1"))
    calls = await _live(shop, group, "MP-1", from_user=owner)
    [reply] = only(calls, "sendMessage")
    assert "MP-1 is archived" in reply.params["text"]
    calls = await _live(shop, group, "end", from_user=owner)
    assert "no live show" in only(calls, "sendMessage")[0].params["text"]
    calls = await _live(shop, group, "KJ-10 DM-250", from_user=owner)
    assert "/live end" in only(calls, "sendMessage")[0].params["text"]  # the usage

    # The bot may not pin here: the merchant hears why; no card is left behind, no show.
    shop.standin.deny_pins(group.id)
    calls = await _live(shop, group, "KJ-10", from_user=owner)
    [pin] = only(calls, "pinChatMessage")
    assert pin.status == 400 and "not enough rights" in (pin.description or "")
    [video] = only(calls, "sendVideo")
    assert [c.params["message_id"] for c in only(calls, "deleteMessage")] == [
        video.response["message_id"]
    ]
    [reply] = only(calls, "sendMessage")
    assert "not allowed to pin" in reply.params["text"]
    assert group.record.pinned == [] and await _shows(shop) == []
    assert not any("LIVE" in m.get("caption", "") for m in group.messages())

    # The bot is not in the channel: told, nothing recorded.
    channel = shop.standin.channel_chat(-100_4500, "Elsewhere")
    shop.standin.block_chat(channel.id)
    owner_private = shop.standin.private_chat(ADMIN_ID, "Owner")
    await _live(shop, owner_private, f"{channel.id} KJ-10")
    assert "can't post in" in owner_private.last_message()["text"]  # type: ignore[index]
    await _live(shop, owner_private, "@nobody_here KJ-10")
    assert "can't find the chat" in owner_private.last_message()["text"]  # type: ignore[index]
    assert await _shows(shop) == []


async def test_a_deleted_card_is_posted_again_and_a_flash_sale_shows(shop: RunningShop) -> None:
    group = shop.standin.group_chat(-100_4600, "Live buyers")
    owner = shop.standin.user(ADMIN_ID, "Owner")
    calls = await _live(shop, group, "KJ-10", from_user=owner)
    first = only(calls, "sendVideo")[0].response["message_id"]

    # Somebody deletes the pinned card; a flash sale starts on the next product.
    shop.standin.state.chats.delete(group.record, first)
    now = shop.now()
    async with shop.uows() as uow:
        variant_id = await uow.catalog.variant_by_sku("AB-W")
        assert variant_id is not None
        found = await uow.catalog.variant(variant_id)
        assert found is not None
        sale = await uow.sales.create(
            NewSale(
                variant_id,
                found[1].id,
                "Air Buds",
                Money(1999, "USD"),
                Money(3999, "USD"),
                5,
                1,
                now - timedelta(minutes=1),
                now + timedelta(hours=1),
            ),
            now,
        )
        await uow.commit()

    calls = await _live(shop, group, "AB-W", from_user=owner)
    [gone] = only(calls, "editMessageMedia")
    assert gone.status == 400
    [video] = only(calls, "sendVideo")
    card_id = video.response["message_id"]
    assert group.record.pinned == [card_id]
    card = group.stored(card_id).message
    assert "$19.99" in card["caption"]  # the sale line, from the server
    assert f"{BOT}?start=s_{sale.id}" in _urls(card)
    assert any("$19.99" in t for t in keyboard_texts(card))
    assert _no_callbacks(card)
    assert [(s[0], s[1]) for s in await _shows(shop)] == [(group.id, card_id)]
