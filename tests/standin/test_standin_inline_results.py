"""Inline results are checked field by field against the Bot API's types, from the shared
description and from the packaged compact copy alike; and a chosen result is a well-formed
``chosen_inline_result`` update."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
import pytest_asyncio
import telegram
from aiogram import Bot as AiogramBot
from aiogram.types import InlineQueryResultCachedVideo

from bot.standin import BotApiSpec, BotApiStandIn
from bot.standin.spec import PACKAGED_SPEC
from tests.helpers import SHARED_SPEC

pytestmark = pytest.mark.asyncio

VIDEO: dict[str, Any] = {
    "type": "video",
    "id": "p:3",
    "video_file_id": "BAACAgIAAxkBAAIBZ2",
    "title": "Konjac Jelly",
    "caption": "<b>Konjac Jelly</b>",
    "parse_mode": "HTML",
    "reply_markup": {"inline_keyboard": [[{"text": "🛒 Buy", "url": "https://t.me/b?start=p_3"}]]},
}
ARTICLE: dict[str, Any] = {
    "type": "article",
    "id": "p:4",
    "title": "Tripod",
    "input_message_content": {"message_text": "<b>Tripod</b>", "parse_mode": "HTML"},
}


@pytest_asyncio.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


async def _answer(
    standin: BotApiStandIn, http: aiohttp.ClientSession, results: list[dict[str, Any]]
) -> tuple[int, dict[str, Any]]:
    query = standin.user(8101, "Cy").inline_query("konjac")["inline_query"]
    url = f"{standin.base_url}/bot{standin.token}/answerInlineQuery"
    body = {"inline_query_id": query["id"], "results": results}
    async with http.post(url, json=body) as response:
        return response.status, await response.json()


BAD = [
    (
        {**VIDEO, "thumb": "x"},
        "results[0] (InlineQueryResultCachedVideo): unknown field 'thumb'",
    ),
    (
        {k: v for k, v in VIDEO.items() if k != "title"},
        "results[0] (InlineQueryResultCachedVideo): missing required field 'title'",
    ),
    ({**VIDEO, "type": "movie"}, "results[0]: unknown InlineQueryResult type 'movie'"),
    ({**VIDEO, "title": 7}, "results[0].title: should be String"),
    (
        {**ARTICLE, "input_message_content": {"text": "hi"}},
        "results[0].input_message_content (InputTextMessageContent): unknown field 'text'",
    ),
    (
        {**VIDEO, "reply_markup": {"inline_keyboard": [[{"text": "Buy", "link": "https://x"}]]}},
        "results[0].reply_markup.inline_keyboard[0][0] (InlineKeyboardButton): "
        "unknown field 'link'",
    ),
]


@pytest.mark.parametrize(("result", "problem"), BAD)
async def test_a_malformed_result_is_a_violation_and_refused(
    standin: BotApiStandIn, http: aiohttp.ClientSession, result: dict[str, Any], problem: str
) -> None:
    status, body = await _answer(standin, http, [ARTICLE, result])
    problem = problem.replace("results[0]", "results[1]")
    assert status == 400
    assert problem in body["description"]
    assert any(problem in v for v in standin.violations), standin.violations
    standin.violations.clear()


async def test_well_formed_results_are_accepted(
    standin: BotApiStandIn, http: aiohttp.ClientSession
) -> None:
    status, body = await _answer(standin, http, [VIDEO, ARTICLE])
    assert (status, body) == (200, {"ok": True, "result": True})
    assert standin.violations == []


@pytest.mark.parametrize("source", ["shared", "packaged"])
async def test_both_descriptions_know_the_result_types(source: str) -> None:
    if source == "shared" and not SHARED_SPEC.is_file():
        pytest.skip(f"no shared Bot API description beside the checkout ({SHARED_SPEC})")
    spec = BotApiSpec.load(SHARED_SPEC if source == "shared" else PACKAGED_SPEC)
    assert "InlineQueryResultCachedVideo" in spec.types
    assert spec.validate("answerInlineQuery", {"inline_query_id": "1", "results": [VIDEO]}) == []
    [problem] = spec.validate(
        "answerInlineQuery", {"inline_query_id": "1", "results": [{**VIDEO, "type": "clip"}]}
    )
    assert "unknown InlineQueryResult type 'clip'" in problem


async def test_the_real_clients_results_pass(
    standin: BotApiStandIn, aiogram_bot: AiogramBot
) -> None:
    query = standin.user(8102, "Di").inline_query("x")["inline_query"]
    result = InlineQueryResultCachedVideo(
        id="p:1", video_file_id="BAAC", title="T", caption="<b>T</b>", parse_mode="HTML"
    )
    assert await aiogram_bot.answer_inline_query(query["id"], [result], next_offset="1")
    assert standin.violations == []


async def test_a_chosen_result_update_is_well_formed(
    standin: BotApiStandIn, ptb_bot: telegram.Bot
) -> None:
    person = standin.user(8103, "Ed")
    pushed = person.choose_inline_result("p:3", "konjac", inline_message_id="AAQ-1")
    assert set(pushed["chosen_inline_result"]) == {
        "result_id",
        "from",
        "query",
        "inline_message_id",
    }
    [update] = await ptb_bot.get_updates(timeout=0)
    chosen = update.chosen_inline_result
    assert chosen is not None
    assert (chosen.result_id, chosen.query, chosen.from_user.id) == ("p:3", "konjac", 8103)
    assert chosen.inline_message_id == "AAQ-1"
