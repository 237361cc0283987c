"""Faults on demand: 429 with retry_after, 403 for blocked chats, flood limits."""

from __future__ import annotations

import datetime as dt

import pytest
import telegram
from aiogram import Bot as AiogramBot
from aiogram.exceptions import TelegramForbiddenError, TelegramRetryAfter, TelegramServerError
from telegram.error import Forbidden, NetworkError, RetryAfter

from bot.standin import BotApiStandIn

pytestmark = pytest.mark.asyncio


@pytest.fixture(autouse=True)
def _ptb_timedelta(monkeypatch: pytest.MonkeyPatch) -> None:
    """PTB 22 warns on integer time periods unless opted in to timedeltas."""
    monkeypatch.setenv("PTB_TIMEDELTA", "true")


async def test_fail_next_429_reaches_both_clients(
    standin: BotApiStandIn, aiogram_bot: AiogramBot, ptb_bot: telegram.Bot
) -> None:
    chat = standin.private_chat(5001)
    standin.fail_next("sendMessage", retry_after=7)
    with pytest.raises(TelegramRetryAfter) as aiogram_error:
        await aiogram_bot.send_message(chat.id, "first")
    assert aiogram_error.value.retry_after == 7
    assert chat.messages() == [], "a 429 must not deliver the message"
    standin.fail_next("sendmessage", retry_after=3, chat_id=chat.id)
    with pytest.raises(RetryAfter) as ptb_error:
        await ptb_bot.send_message(chat.id, "second")
    assert ptb_error.value.retry_after == dt.timedelta(seconds=3)
    await ptb_bot.send_message(chat.id, "third")
    assert [m["text"] for m in chat.messages()] == ["third"]
    failed = standin.calls_named("sendMessage")[0]
    assert failed.response == {
        "ok": False,
        "error_code": 429,
        "description": "Too Many Requests: retry after 7",
        "parameters": {"retry_after": 7},
    }
    assert standin.violations == []


async def test_fail_next_other_codes_and_times(
    standin: BotApiStandIn, aiogram_bot: AiogramBot, ptb_bot: telegram.Bot
) -> None:
    chat = standin.private_chat(5002)
    other = standin.private_chat(5003)
    standin.fail_next("*", error_code=502, times=2, chat_id=chat.id)
    await aiogram_bot.send_message(other.id, "unaffected")
    with pytest.raises(TelegramServerError):
        await aiogram_bot.send_message(chat.id, "x")
    with pytest.raises(NetworkError, match="Bad Gateway"):
        await ptb_bot.send_chat_action(chat.id, "typing")
    assert await aiogram_bot.send_chat_action(chat.id, "typing")
    assert standin.faults.planned == 0
    assert standin.violations == []


async def test_blocked_chat_answers_403(
    standin: BotApiStandIn, aiogram_bot: AiogramBot, ptb_bot: telegram.Bot
) -> None:
    chat = standin.private_chat(5004)
    group = standin.group_chat(-5005, "Gone")
    standin.block_chat(chat.id)
    standin.block_chat(group.id)
    with pytest.raises(TelegramForbiddenError, match="bot was blocked by the user"):
        await aiogram_bot.send_message(chat.id, "news")
    with pytest.raises(Forbidden, match="bot was blocked by the user"):
        await ptb_bot.send_photo(chat.id, "https://cdn.example/p.jpg")
    with pytest.raises(Forbidden, match="bot was kicked from the group chat"):
        await ptb_bot.send_message(group.id, "news")
    assert (await aiogram_bot.get_chat(chat.id)).id == chat.id, "reads still work"
    standin.unblock_chat(chat.id)
    await aiogram_bot.send_message(chat.id, "welcome back")
    assert standin.violations == []


async def test_rate_limits_answer_429_when_exceeded(
    standin: BotApiStandIn, aiogram_bot: AiogramBot
) -> None:
    chats = [standin.private_chat(5100 + n) for n in range(3)]
    standin.rate_limit(per_second=1000, per_chat_per_second=1)
    await aiogram_bot.send_message(chats[0].id, "one")
    with pytest.raises(TelegramRetryAfter) as error:
        await aiogram_bot.send_message(chats[0].id, "two")
    assert error.value.retry_after == 1
    await aiogram_bot.send_message(chats[1].id, "other chat is fine")
    standin.rate_limit(per_second=2, per_chat_per_second=None)
    await aiogram_bot.send_message(chats[2].id, "a")
    await aiogram_bot.send_message(chats[2].id, "b")
    with pytest.raises(TelegramRetryAfter):
        await aiogram_bot.send_message(chats[2].id, "c")
    assert standin.faults.rate_limited == 2
    standin.rate_limit(None, None)
    await aiogram_bot.send_message(chats[2].id, "unlimited again")
    assert standin.violations == []
