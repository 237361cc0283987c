"""Simulated people beyond text and buttons: media they send, channels, inline mode."""

from __future__ import annotations

import pytest
import telegram
from aiogram import Bot as AiogramBot
from aiogram.exceptions import TelegramBadRequest
from aiogram.types import InlineQueryResultArticle, InputTextMessageContent

from bot.standin import BotApiStandIn, ChatEvent

pytestmark = pytest.mark.asyncio


async def test_media_people_send_can_be_resent_by_file_id(
    standin: BotApiStandIn, aiogram_bot: AiogramBot, ptb_bot: telegram.Bot
) -> None:
    chat = standin.private_chat(8001)
    video = chat.send_video(caption="my unboxing")["message"]
    photo = chat.send_photo()["message"]
    sticker = chat.send_sticker()["message"]
    assert sticker["sticker"]["type"] == "regular"
    updates = await ptb_bot.get_updates(timeout=0)
    assert updates[0].message is not None
    assert updates[0].message.video is not None
    assert updates[0].message.caption == "my unboxing"
    resent = await aiogram_bot.send_video(chat.id, video["video"]["file_id"])
    assert resent.video is not None
    assert resent.video.file_id == video["video"]["file_id"]
    again = await aiogram_bot.send_photo(chat.id, photo["photo"][-1]["file_id"])
    assert again.photo is not None
    assert standin.uploads == 0
    with pytest.raises(TelegramBadRequest, match="message caption is too long"):
        await aiogram_bot.send_video(chat.id, video["video"]["file_id"], caption="x" * 1025)
    assert [m["message_id"] for m in chat.messages()] == [4, 5]
    assert standin.violations == []


async def test_channel_posts_and_listeners(
    standin: BotApiStandIn, aiogram_bot: AiogramBot
) -> None:
    events: list[ChatEvent] = []
    standin.add_listener(events.append)
    channel = standin.channel_chat(-100_777, "Drops", username="drops")
    post = await aiogram_bot.send_message("@drops", "New drop at 18:00")
    assert post.sender_chat is not None
    assert post.sender_chat.id == channel.id
    assert post.from_user is None
    assert await aiogram_bot.pin_chat_message(channel.id, post.message_id)
    assert await aiogram_bot.unpin_chat_message(channel.id)
    assert (await aiogram_bot.get_chat(channel.id)).pinned_message is None
    incoming = channel.send_text("admin post")
    assert incoming["channel_post"]["sender_chat"]["id"] == channel.id
    await aiogram_bot.delete_message(channel.id, post.message_id)
    assert [(e.kind, e.message_id) for e in events] == [
        ("sent", 1),
        ("incoming", 2),
        ("deleted", 1),
    ]
    assert standin.violations == []


async def test_inline_query_is_answered_once_with_unique_ids(
    standin: BotApiStandIn, aiogram_bot: AiogramBot
) -> None:
    person = standin.user(8002, "Cy")
    query = person.inline_query("tea")["inline_query"]
    assert query["query"] == "tea"

    def article(result_id: str) -> InlineQueryResultArticle:
        return InlineQueryResultArticle(
            id=result_id,
            title="Tea",
            input_message_content=InputTextMessageContent(message_text="Tea box"),
        )

    with pytest.raises(TelegramBadRequest, match="RESULT_ID_DUPLICATE"):
        await aiogram_bot.answer_inline_query(query["id"], [article("1"), article("1")])
    assert await aiogram_bot.answer_inline_query(query["id"], [article("1"), article("2")])
    with pytest.raises(TelegramBadRequest, match="query is too old"):
        await aiogram_bot.answer_inline_query(query["id"], [article("3")])
    sent = standin.calls_named("answerInlineQuery")[1].params["results"]
    assert isinstance(sent, list)
    assert [r["id"] for r in sent] == ["1", "2"]
    assert standin.violations == []
