"""Text messages, keyboards and edits through the real aiogram and python-telegram-bot clients."""

from __future__ import annotations

import pytest
import telegram
from aiogram import Bot as AiogramBot
from aiogram.exceptions import TelegramBadRequest
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from telegram.error import BadRequest

from bot.standin import BotApiStandIn

pytestmark = pytest.mark.asyncio


def _aiogram_keyboard(*labels: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [InlineKeyboardButton(text=label, callback_data=f"cb:{label}") for label in labels]
        ]
    )


async def test_get_me_on_both_clients(
    standin: BotApiStandIn, aiogram_bot: AiogramBot, ptb_bot: telegram.Bot
) -> None:
    me = await aiogram_bot.get_me()
    assert me.is_bot
    assert me.username == "storefront_test_bot"
    assert me.supports_inline_queries
    assert ptb_bot.username == "storefront_test_bot"
    assert ptb_bot.id == me.id == 123456
    assert [call.method for call in standin.calls_named("getme")] == ["getMe", "getMe"]
    assert standin.violations == []


async def test_aiogram_send_keyboard_then_edit_text_and_markup(
    standin: BotApiStandIn, aiogram_bot: AiogramBot
) -> None:
    chat = standin.private_chat(1001, "Ann")
    sent = await aiogram_bot.send_message(
        chat.id,
        "<b>Menu</b> &amp; more",
        parse_mode="HTML",
        reply_markup=_aiogram_keyboard("Shop", "Cart"),
    )
    assert sent.text == "Menu & more"
    assert sent.entities is not None
    assert [(e.type, e.offset, e.length) for e in sent.entities] == [("bold", 0, 4)]
    assert sent.from_user is not None
    assert sent.from_user.id == standin.bot_id
    assert sent.reply_markup is not None
    assert sent.reply_markup.inline_keyboard[0][1].callback_data == "cb:Cart"
    call = standin.calls_named("sendMessage")[-1]
    assert call.params["chat_id"] == chat.id
    assert call.params["reply_markup"] == {
        "inline_keyboard": [
            [
                {"text": "Shop", "callback_data": "cb:Shop"},
                {"text": "Cart", "callback_data": "cb:Cart"},
            ]
        ]
    }
    assert chat.stored(sent.message_id).raw_text == "<b>Menu</b> &amp; more"

    edited = await aiogram_bot.edit_message_text(
        text="Cart is empty",
        chat_id=chat.id,
        message_id=sent.message_id,
        reply_markup=_aiogram_keyboard("Back"),
    )
    assert not isinstance(edited, bool)
    assert edited.text == "Cart is empty"
    assert edited.edit_date is not None
    markup = await aiogram_bot.edit_message_reply_markup(
        chat_id=chat.id, message_id=sent.message_id, reply_markup=_aiogram_keyboard("Shop")
    )
    assert not isinstance(markup, bool)
    last = chat.last_message()
    assert last is not None
    assert last["message_id"] == markup.message_id == sent.message_id
    assert last["text"] == markup.text == "Cart is empty"
    assert chat.messages()[0]["reply_markup"] == {
        "inline_keyboard": [[{"text": "Shop", "callback_data": "cb:Shop"}]]
    }
    assert standin.violations == []


async def test_edit_without_markup_removes_keyboard_and_same_edit_is_not_modified(
    standin: BotApiStandIn, aiogram_bot: AiogramBot, ptb_bot: telegram.Bot
) -> None:
    chat = standin.private_chat(1002)
    sent = await ptb_bot.send_message(
        chat.id,
        "Pick one",
        reply_markup=telegram.InlineKeyboardMarkup(
            [[telegram.InlineKeyboardButton("A", callback_data="a")]]
        ),
    )
    assert sent.reply_markup is not None
    with pytest.raises(BadRequest, match="(?i)message is not modified"):
        await ptb_bot.edit_message_text(
            "Pick one",
            chat_id=chat.id,
            message_id=sent.message_id,
            reply_markup=telegram.InlineKeyboardMarkup(
                [[telegram.InlineKeyboardButton("A", callback_data="a")]]
            ),
        )
    await ptb_bot.edit_message_text("Pick one", chat_id=chat.id, message_id=sent.message_id)
    assert "reply_markup" not in chat.messages()[0]
    with pytest.raises(TelegramBadRequest, match="message is not modified: specified new"):
        await aiogram_bot.edit_message_text(
            text="Pick one", chat_id=chat.id, message_id=sent.message_id
        )
    failed = standin.calls_named("editMessageText")[-1]
    assert not failed.ok
    assert failed.error_code == 400
    assert standin.violations == []


async def test_html_parsing_is_strict_like_telegram(
    standin: BotApiStandIn, aiogram_bot: AiogramBot
) -> None:
    chat = standin.private_chat(1003)
    message = await aiogram_bot.send_message(
        chat.id,
        '<a href="https://shop.example/p/1">Tea 😀</a> <i>x</i> '
        '<pre><code class="language-python">1 &lt; 2</code></pre>',
        parse_mode="HTML",
    )
    assert message.text == "Tea 😀 x 1 < 2"
    assert message.entities is not None
    found = [(e.type, e.offset, e.length, e.url, e.language) for e in message.entities]
    assert found == [
        ("text_link", 0, 6, "https://shop.example/p/1", None),
        ("italic", 7, 1, None, None),
        ("pre", 9, 5, None, "python"),
    ]
    for bad in ("<b>open", "Fish & <Chips>", "a <br> b", "<b><i>x</b></i>", "2 < 3"):
        with pytest.raises(TelegramBadRequest, match="can't parse entities"):
            await aiogram_bot.send_message(chat.id, bad, parse_mode="HTML")
    plain = await aiogram_bot.send_message(chat.id, "2 < 3 & <b>")
    assert plain.text == "2 < 3 & <b>"
    assert standin.violations == []


async def test_telegram_limits_and_unknown_chat(
    standin: BotApiStandIn, aiogram_bot: AiogramBot, ptb_bot: telegram.Bot
) -> None:
    chat = standin.private_chat(1004)
    with pytest.raises(TelegramBadRequest, match="message is too long"):
        await aiogram_bot.send_message(chat.id, "x" * 4097)
    await aiogram_bot.send_message(chat.id, "x" * 4096)
    with pytest.raises(BadRequest, match="Message text is empty"):
        await ptb_bot.send_message(chat.id, "<b> </b>", parse_mode="HTML")
    with pytest.raises(TelegramBadRequest, match="BUTTON_DATA_INVALID"):
        await aiogram_bot.send_message(
            chat.id,
            "too long data",
            reply_markup=InlineKeyboardMarkup(
                inline_keyboard=[[InlineKeyboardButton(text="x", callback_data="é" * 33)]]
            ),
        )
    await aiogram_bot.send_message(
        chat.id,
        "64 bytes is fine",
        reply_markup=InlineKeyboardMarkup(
            inline_keyboard=[[InlineKeyboardButton(text="x", callback_data="é" * 32)]]
        ),
    )
    with pytest.raises(BadRequest, match="Chat not found"):
        await ptb_bot.send_message(999_999, "hello?")
    with pytest.raises(TelegramBadRequest, match="message to edit not found"):
        await aiogram_bot.edit_message_text(text="x", chat_id=chat.id, message_id=9999)
    assert standin.violations == []


async def test_delete_pin_and_copy(standin: BotApiStandIn, aiogram_bot: AiogramBot) -> None:
    chat = standin.private_chat(1005)
    first = await aiogram_bot.send_message(chat.id, "one")
    second = await aiogram_bot.send_message(chat.id, "two")
    assert second.message_id == first.message_id + 1
    assert await aiogram_bot.pin_chat_message(chat.id, second.message_id)
    info = await aiogram_bot.get_chat(chat.id)
    assert info.pinned_message is not None
    assert info.pinned_message.message_id == second.message_id
    copied = await aiogram_bot.copy_message(chat.id, chat.id, first.message_id)
    assert copied.message_id == second.message_id + 1
    assert await aiogram_bot.delete_message(chat.id, first.message_id)
    with pytest.raises(TelegramBadRequest, match="message to delete not found"):
        await aiogram_bot.delete_message(chat.id, first.message_id)
    assert [m["text"] for m in chat.messages()] == ["two", "one"]
    assert standin.violations == []
