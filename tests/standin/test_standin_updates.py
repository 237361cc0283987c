"""getUpdates semantics and the updates simulated people produce."""

from __future__ import annotations

import asyncio

import pytest
import telegram
from aiogram import Bot as AiogramBot
from aiogram.exceptions import TelegramBadRequest, TelegramConflictError
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup, Message

from bot.standin import BotApiStandIn

pytestmark = pytest.mark.asyncio


async def test_offset_confirms_and_long_poll_wakes_on_text_and_press(
    standin: BotApiStandIn, aiogram_bot: AiogramBot
) -> None:
    chat = standin.private_chat(3001, "Ann", username="ann")
    first = chat.send_text("/start@storefront_test_bot ref_7")
    message = first["message"]
    assert message["entities"] == [{"type": "bot_command", "offset": 0, "length": 26}]
    assert message["from"]["username"] == "ann"

    updates = await aiogram_bot.get_updates(timeout=0)
    assert [u.update_id for u in updates] == [first["update_id"]]
    assert updates[0].message is not None
    assert updates[0].message.text == "/start@storefront_test_bot ref_7"
    again = await aiogram_bot.get_updates(timeout=0)
    assert [u.update_id for u in again] == [first["update_id"]], "no offset, no confirmation"

    sent = await aiogram_bot.send_message(
        chat.id,
        "Choose",
        reply_markup=InlineKeyboardMarkup(
            inline_keyboard=[
                [
                    InlineKeyboardButton(text="Tea", callback_data="p:1"),
                    InlineKeyboardButton(text="Site", url="https://shop.example"),
                ],
                [InlineKeyboardButton(text="Coffee", callback_data="p:2")],
            ]
        ),
    )
    assert sent.message_id == message["message_id"] + 1

    poll = asyncio.create_task(aiogram_bot.get_updates(offset=first["update_id"] + 1, timeout=5))
    await asyncio.sleep(0.1)
    assert not poll.done(), "long poll must wait while the queue is empty"
    assert standin.updates_confirmed == first["update_id"]
    pressed = chat.press(sent.message_id, (1, 0))
    polled = await asyncio.wait_for(poll, 2)
    assert [u.update_id for u in polled] == [pressed["update_id"]]
    query = polled[0].callback_query
    assert query is not None
    assert query.data == "p:2"
    assert query.from_user.id == chat.id
    assert isinstance(query.message, Message)
    assert query.message.message_id == sent.message_id
    assert query.message.reply_markup == sent.reply_markup

    assert chat.press(sent.message_id, "Tea")["callback_query"]["data"] == "p:1"
    assert chat.press(sent, 2)["callback_query"]["data"] == "p:2"
    with pytest.raises(LookupError, match="no button 'Milk'"):
        chat.press(sent.message_id, "Milk")
    with pytest.raises(LookupError, match="has no callback_data"):
        chat.press(sent.message_id, "Site")

    await aiogram_bot.get_updates(offset=pressed["update_id"] + 1, timeout=0)
    assert standin.pending_updates == 2
    await aiogram_bot.get_updates(offset=-1, timeout=0)
    assert standin.pending_updates == 1
    assert standin.violations == []


async def test_long_poll_times_out_empty_and_limit_applies(
    standin: BotApiStandIn, ptb_bot: telegram.Bot
) -> None:
    chat = standin.private_chat(3002)
    loop = asyncio.get_running_loop()
    started = loop.time()
    assert await ptb_bot.get_updates(timeout=1) == ()
    assert 0.9 <= loop.time() - started < 3
    pushed = [chat.send_text(f"hi {n}") for n in range(5)]
    got = await ptb_bot.get_updates(limit=2, timeout=0)
    assert [u.update_id for u in got] == [p["update_id"] for p in pushed[:2]]
    got = await ptb_bot.get_updates(offset=got[-1].update_id + 1, timeout=0)
    assert [u.update_id for u in got] == [p["update_id"] for p in pushed[2:]]
    await standin.wait_until_confirmed(pushed[1]["update_id"], timeout=1)
    with pytest.raises(TimeoutError):
        await standin.wait_until_confirmed(pushed[4]["update_id"], timeout=0.1)
    assert standin.violations == []


async def test_allowed_updates_filter_is_remembered(
    standin: BotApiStandIn, aiogram_bot: AiogramBot
) -> None:
    chat = standin.private_chat(3003)
    sent = await aiogram_bot.send_message(
        chat.id,
        "x",
        reply_markup=InlineKeyboardMarkup(
            inline_keyboard=[[InlineKeyboardButton(text="ok", callback_data="ok")]]
        ),
    )
    chat.press(sent.message_id, "ok")
    text = chat.send_text("hello")
    got = await aiogram_bot.get_updates(timeout=0, allowed_updates=["message"])
    assert [u.update_id for u in got] == [text["update_id"]]
    chat.press(sent.message_id, "ok")
    assert await aiogram_bot.get_updates(offset=text["update_id"] + 1, timeout=0) == []
    reaction = standin.push_update({"message_reaction": {"chat": chat.chat}})
    got = await aiogram_bot.get_updates(timeout=0, allowed_updates=[])
    assert reaction["update_id"] not in [u.update_id for u in got]
    assert standin.violations == []


async def test_redelivered_update_id_reaches_the_bot_again(
    standin: BotApiStandIn, aiogram_bot: AiogramBot
) -> None:
    chat = standin.private_chat(3004)
    original = chat.send_text("pay order 5")
    got = await aiogram_bot.get_updates(timeout=0)
    await aiogram_bot.get_updates(offset=got[-1].update_id + 1, timeout=0)
    assert standin.updates_confirmed == original["update_id"]
    standin.push_update(original)
    again = await aiogram_bot.get_updates(offset=original["update_id"] + 1, timeout=0)
    assert [u.update_id for u in again] == [original["update_id"]]
    after = chat.send_text("next")
    assert after["update_id"] == original["update_id"] + 1
    assert standin.violations == []


async def test_second_poller_terminates_the_first(
    standin: BotApiStandIn, aiogram_bot: AiogramBot, ptb_bot: telegram.Bot
) -> None:
    first = asyncio.create_task(aiogram_bot.get_updates(timeout=5))
    await asyncio.sleep(0.1)
    second = asyncio.create_task(ptb_bot.get_updates(timeout=0))
    with pytest.raises(TelegramConflictError, match="terminated by other getUpdates"):
        await asyncio.wait_for(first, 2)
    assert await second == ()
    assert standin.violations == []


async def test_callback_answers_once_and_forged_data(
    standin: BotApiStandIn, aiogram_bot: AiogramBot, ptb_bot: telegram.Bot
) -> None:
    group = standin.group_chat(-100_500, "Buyers")
    buyer = standin.user(3005, "Bo")
    sent = await aiogram_bot.send_message(
        group.id,
        "Group buy",
        reply_markup=InlineKeyboardMarkup(
            inline_keyboard=[[InlineKeyboardButton(text="Join", callback_data="gb:join:1")]]
        ),
    )
    press = group.press(sent.message_id, "Join", from_user=buyer)["callback_query"]
    assert press["from"]["id"] == buyer.id
    assert press["message"]["chat"]["type"] == "group"
    assert await ptb_bot.answer_callback_query(press["id"], text="Joined!")
    with pytest.raises(TelegramBadRequest, match="query is too old"):
        await aiogram_bot.answer_callback_query(press["id"])
    with pytest.raises(TelegramBadRequest, match="query ID is invalid"):
        await aiogram_bot.answer_callback_query("12345")
    forged = group.press_data(sent.message_id, "gb:join:1:price=0")["callback_query"]
    assert forged["data"] == "gb:join:1:price=0"
    assert forged["id"] != press["id"]
    answered = standin.calls_named("answerCallbackQuery")[0]
    assert answered.params == {"callback_query_id": press["id"], "text": "Joined!"}
    assert standin.violations == []


async def test_wait_for_call_sees_past_and_future_calls(
    standin: BotApiStandIn, aiogram_bot: AiogramBot
) -> None:
    chat = standin.private_chat(3006)
    await aiogram_bot.send_message(chat.id, "past")
    past = await standin.wait_for_call("sendMessage", timeout=0.1)
    assert past.params["text"] == "past"
    mark = len(standin.calls)
    waiter = asyncio.create_task(
        standin.wait_for_call(
            "sendmessage", lambda c: c.params["text"] == "future", after=mark, timeout=2
        )
    )
    await asyncio.sleep(0.05)
    assert not waiter.done()
    await aiogram_bot.send_message(chat.id, "future")
    assert (await waiter).index == mark
    with pytest.raises(TimeoutError, match="no matching sendMessage"):
        await standin.wait_for_call("sendMessage", lambda c: False, timeout=0.05)
