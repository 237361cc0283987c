"""Raw HTTP: every encoding Telegram accepts, and calls the description forbids."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import aiohttp
import pytest
import pytest_asyncio

from bot.standin import BotApiStandIn

pytestmark = pytest.mark.asyncio


@pytest_asyncio.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


def _url(standin: BotApiStandIn, method: str, token: str | None = None) -> str:
    return f"{standin.base_url}/bot{token or standin.token}/{method}"


async def test_unknown_parameter_is_a_violation(
    standin: BotApiStandIn, http: aiohttp.ClientSession
) -> None:
    chat = standin.private_chat(4001)
    async with http.post(
        _url(standin, "sendMessage"), json={"chat_id": chat.id, "text": "hi", "reply_to": 3}
    ) as response:
        body = await response.json()
    assert response.status == 400
    assert body == {
        "ok": False,
        "error_code": 400,
        "description": "Bad Request: sendMessage: unknown parameter 'reply_to'",
    }
    assert standin.violations == ["sendMessage: unknown parameter 'reply_to'"]
    assert chat.messages() == []
    call = standin.calls[-1]
    assert (call.method, call.ok, call.status) == ("sendMessage", False, 400)
    standin.violations.clear()


async def test_missing_required_parameter_is_a_violation(
    standin: BotApiStandIn, http: aiohttp.ClientSession
) -> None:
    chat = standin.private_chat(4002)
    async with http.post(_url(standin, "sendvideo"), data={"chat_id": str(chat.id)}) as response:
        body = await response.json()
    assert response.status == 400
    assert body["description"] == "Bad Request: sendVideo: missing required parameter 'video'"
    assert standin.violations == ["sendVideo: missing required parameter 'video'"]
    standin.violations.clear()


async def test_unknown_method_is_a_violation(
    standin: BotApiStandIn, http: aiohttp.ClientSession
) -> None:
    async with http.get(_url(standin, "sendMesage")) as response:
        body = await response.json()
    assert response.status == 400
    assert body["ok"] is False
    assert body["error_code"] == 400
    assert body["description"].startswith("Bad Request: unknown method 'sendMesage'")
    assert len(standin.violations) == 1
    standin.violations.clear()


async def test_wrong_token_is_unauthorized(
    standin: BotApiStandIn, http: aiohttp.ClientSession
) -> None:
    async with http.post(_url(standin, "getMe", token="654321:WRONG")) as response:
        body = await response.json()
    assert response.status == 401
    assert body == {"ok": False, "error_code": 401, "description": "Unauthorized"}
    async with http.get(f"{standin.base_url}/file/bot654321:WRONG/videos/x.mp4") as response:
        assert response.status == 401
    assert standin.violations == []


async def test_every_encoding_decodes_to_the_same_call(
    standin: BotApiStandIn, http: aiohttp.ClientSession
) -> None:
    chat = standin.private_chat(4003)
    markup = {"inline_keyboard": [[{"text": "A", "callback_data": "a"}]]}
    url = _url(standin, "sendMessage")
    query = {
        "chat_id": str(chat.id),
        "text": "[1, 2]",
        "reply_markup": json.dumps(markup),
        "disable_notification": "True",
    }
    async with http.get(url, params=query) as response:
        assert response.status == 200
    async with http.post(url, data=query) as response:
        assert response.status == 200
    form = aiohttp.FormData(quote_fields=False, default_to_multipart=True)
    for key, value in query.items():
        form.add_field(key, value)
    async with http.post(url, data=form) as response:
        assert response.status == 200
    as_json = {
        "chat_id": chat.id,
        "text": "[1, 2]",
        "reply_markup": markup,
        "disable_notification": True,
        "parse_mode": None,
        "entities": None,
    }
    async with http.post(url, json=as_json) as response:
        envelope = await response.json()
    assert envelope["ok"] is True
    assert envelope["result"]["text"] == "[1, 2]"
    assert envelope["result"]["reply_markup"] == markup
    params = [call.params for call in standin.calls_named("sendMessage")]
    assert (
        params
        == [
            {
                "chat_id": chat.id,
                "text": "[1, 2]",
                "reply_markup": markup,
                "disable_notification": True,
            }
        ]
        * 4
    )
    assert [m["message_id"] for m in chat.messages()] == [1, 2, 3, 4]
    assert standin.violations == []


async def test_bad_reply_markup_and_types(
    standin: BotApiStandIn, http: aiohttp.ClientSession
) -> None:
    chat = standin.private_chat(4004)
    url = _url(standin, "sendMessage")
    cases = [
        ({"reply_markup": "{not json"}, "can't parse reply keyboard markup"),
        (
            {"reply_markup": json.dumps({"inline_keyboard": [[{"text": "x"}]]})},
            "Text buttons are unallowed",
        ),
        (
            {"reply_markup": json.dumps({"inline_keyboard": [[{"text": "x", "url": "ftp://x"}]]})},
            "BUTTON_URL_INVALID",
        ),
        ({"parse_mode": "BBCode"}, "unsupported parse_mode"),
        ({"chat_id": "@nobody"}, "chat not found"),
    ]
    for extra, expected in cases:
        async with http.post(url, data={"chat_id": str(chat.id), "text": "x", **extra}) as resp:
            body = await resp.json()
        assert resp.status == 400, extra
        assert expected in body["description"], extra
    assert standin.violations == []


async def test_unchecked_calls_run_and_are_recorded_without_a_violation(
    http: aiohttp.ClientSession,
) -> None:
    """The benchmarks' fast path (``check_calls=False``): the description is not consulted,
    but the call still changes the chat and is recorded."""
    async with BotApiStandIn(token="7:FAST", check_calls=False) as fast:
        chat = fast.private_chat(4101)
        async with http.post(
            _url(fast, "sendMessage"), json={"chat_id": chat.id, "text": "hi", "reply_to": 3}
        ) as response:
            body = await response.json()
        assert response.status == 200
        assert body["ok"] is True
        assert [m.get("text") for m in chat.messages()] == ["hi"]
        assert fast.violations == []
        call = fast.calls[-1]
        assert (call.method, call.ok, call.params["text"]) == ("sendMessage", True, "hi")
