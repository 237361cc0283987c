"""A flash sale's card in groups and channels, on aiogram and on python-telegram-bot: posted
from a ``startgroup`` link or for a channel, then edited in place as units go and the
countdown runs, never faster than the pace allows, and a last time when the sale is over; a
deleted card stops being edited; a channel the bot cannot post to is reported to the admins."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from bot.standin import SimChat
from tests.e2e.harness import (
    ADMIN_ID,
    GRAB,
    RunningShop,
    advance,
    keyboard_texts,
    only,
    sale_card,
    schedule_sale,
)


def _card_in(chat: SimChat) -> dict[str, Any]:
    card = chat.last_message()
    assert card is not None
    return chat.stored(card["message_id"]).message


async def _round(shop: RunningShop, after: timedelta = timedelta(seconds=7)) -> int:
    """Let time pass, then one round of the 5-second job; the group edits it made."""
    advance(shop, after)
    mark = len(shop.standin.calls)
    await shop.worker.refresh_sale_posts()
    return len(only(shop.standin.calls[mark:], "editMessageText"))


async def _grab(shop: RunningShop, chat: SimChat, sale_id: int) -> None:
    card = await sale_card(shop, chat, sale_id)
    await shop.press(chat, card, GRAB)


async def test_a_group_card_follows_units_and_countdown_then_ends(shop: RunningShop) -> None:
    sale_id = await schedule_sale(shop, units=3, starts_in=timedelta(minutes=30))
    group = shop.standin.group_chat(-4200, "Snack lovers")
    leader = shop.standin.user(4201, "Lin")
    await shop.send(group, f"/start@shop_e2e_bot s_{sale_id}", from_user=leader)
    await shop.worker.idle()
    await shop.worker.refresh_sale_posts()
    card = _card_in(group)
    assert "Spicy Konjac Jelly" in card["text"] and "starts in 30 min" in card["text"]
    [button] = card["reply_markup"]["inline_keyboard"][0]
    assert button["text"] == "🔔 Notify me"
    assert button["url"] == f"https://t.me/shop_e2e_bot?start=s_{sale_id}"
    message_id = card["message_id"]

    # Nothing changed and the countdown is fresh: no edit.
    assert await _round(shop) == 0
    # The sale starts: the same message now says what is left, with Grab it.
    advance(shop, timedelta(minutes=30))
    assert await _round(shop) == 1
    card = group.stored(message_id).message
    assert "3 left · ends in 1 h 0 min" in card["text"], card["text"]
    assert keyboard_texts(card) == [GRAB]

    # Units go in private chats; the card follows, at most once per 6 seconds.
    ann, bob, cyd = (shop.standin.private_chat(4210 + i, n) for i, n in enumerate("ABC"))
    await _grab(shop, ann, sale_id)
    assert await _round(shop, timedelta(seconds=2)) == 0  # too soon after the last edit
    assert await _round(shop, timedelta(seconds=5)) == 1
    assert "2 left" in group.stored(message_id).message["text"]
    await _grab(shop, bob, sale_id)
    await _grab(shop, cyd, sale_id)
    assert await _round(shop) == 1
    card = group.stored(message_id).message
    assert "all taken" in card["text"]
    assert keyboard_texts(card) == ["🔔 Notify me if stock returns"]
    assert len([m for m in group.messages() if "Konjac" in m.get("text", "")]) == 1

    # The merchant stops the sale: a last edit, then no more.
    async with shop.uows() as uow:
        assert await uow.sales.stop(sale_id)
        await uow.commit()
    assert await _round(shop) == 1
    card = group.stored(message_id).message
    assert "This flash sale has ended · 3 of 3 taken" in card["text"]
    [end] = card["reply_markup"]["inline_keyboard"][0]
    assert end["url"].endswith("start=p_" + str(await _product_id(shop, sale_id)))
    assert await _round(shop, timedelta(minutes=30)) == 0


async def _product_id(shop: RunningShop, sale_id: int) -> int:
    async with shop.uows() as uow:
        sale = await uow.sales.sale(sale_id)
    assert sale is not None
    return sale.product_id


async def test_edits_stay_within_telegrams_pace_for_several_cards_in_one_group(
    shop: RunningShop,
) -> None:
    """Two sales in one group, units going every second for a minute: the group gets at most
    one edit per 5-second round (12 a minute, inside Telegram's 20)."""
    first = await schedule_sale(shop, units=40, per_buyer=40, starts_in=timedelta(0))
    second = await schedule_sale(shop, units=40, per_buyer=40, starts_in=timedelta(0))
    group = shop.standin.group_chat(-4300, "Deals")
    leader = shop.standin.user(4301, "Mo")
    for sale_id in (first, second):
        await shop.send(group, f"/start@shop_e2e_bot s_{sale_id}", from_user=leader)
    await shop.worker.idle()
    await shop.worker.refresh_sale_posts()
    assert len(group.messages()) == 2
    edits = 0
    for _ in range(12):  # a minute of 5-second rounds
        async with shop.uows() as uow:
            for sale_id in (first, second):
                sale = await uow.sales.sale(sale_id)
                assert sale is not None
                await uow.sales.set_stock(sale_id, sale.stock - 1)
            await uow.commit()
        edits += await _round(shop, timedelta(seconds=5))
    assert 6 <= edits <= 12, edits
    texts = [m["text"] for m in group.messages()]
    assert any("28 left" in t or "29 left" in t for t in texts), texts


async def test_a_channel_card_a_deleted_card_and_a_channel_the_bot_cannot_post_to(
    shop: RunningShop,
) -> None:
    sale_id = await schedule_sale(shop, units=5, starts_in=timedelta(0))
    channel = shop.standin.channel_chat(-1002000000001, "Snack drops")
    owner = shop.standin.private_chat(ADMIN_ID, "Owner")
    async with shop.uows() as uow:  # what `storefront sales post ID --chat ...` queues
        await uow.notices.add(channel.id, "sale_card", {"sale": sale_id}, shop.now())
        await uow.commit()
    await shop.worker.refresh_sale_posts()
    card = _card_in(channel)
    assert "5 left" in card["text"] and keyboard_texts(card) == [GRAB]

    # Someone deletes the card: the next edit finds it gone and editing stops for good.
    channel.record.messages.pop(card["message_id"])
    async with shop.uows() as uow:
        await uow.sales.set_stock(sale_id, 4)
        await uow.commit()
    assert await _round(shop) == 1  # tried once, found gone
    assert await _round(shop) == 0

    # A channel that refuses the bot: the admins hear why; nothing is retried for ever.
    closed = shop.standin.channel_chat(-1002000000002, "Not ours")
    shop.standin.block_chat(closed.id)
    async with shop.uows() as uow:
        await uow.notices.add(closed.id, "sale_card", {"sale": sale_id}, shop.now())
        await uow.commit()
    await shop.worker.refresh_sale_posts()
    await shop.worker.refresh_sale_posts()
    assert not closed.messages()
    told = [m["text"] for m in owner.messages() if f"Flash sale #{sale_id}" in m.get("text", "")]
    assert len(told) == 1 and "could not be posted in chat -1002000000002" in told[0], told


async def test_an_unknown_sale_in_a_group_is_said_and_nothing_is_posted(
    shop: RunningShop,
) -> None:
    group = shop.standin.group_chat(-4400, "Neighbours")
    leader = shop.standin.user(4401, "Ann")
    await shop.send(group, "/start@shop_e2e_bot s_987654", from_user=leader)
    await shop.worker.idle()
    await shop.worker.refresh_sale_posts()
    assert [m["text"] for m in group.messages()] == ["That flash sale doesn't exist."]
