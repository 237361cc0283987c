"""Webhook mode under a flood, on aiogram and on python-telegram-bot: the stand-in delivers 40
updates at a time (Telegram's default ``max_connections``) to the real webhook server with the
flood gate (``Throttle.admit``, 20 updates per 10 s per chat) in front of the chat lanes.

Behaviour only, no timing: a quiet buyer is answered through someone else's flood, the flooder
is told once and loses its excess (counted), what a payment needs is never dropped, one chat's
updates are handled in order, and an update that can never be handled is answered 200."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from bot.domain.flood import FloodRule
from bot.standin import SimChat
from bot.telegram.throttle import LocalFloodCounts, Throttle
from bot.telegram.webhook import SECRET_HEADER
from tests.e2e.harness import (
    US,
    WEBHOOK_PATH,
    WEBHOOK_SECRET,
    RunningShop,
    ShopClock,
    metric,
    only,
    start_shop,
    stop_shop,
)

SLOW_DOWN = {"en": "wait 10 seconds", "zh": "请等待 10 秒"}
HELP = "How to shop here"


@pytest.fixture(params=["aiogram", "ptb"])
async def flood_shop(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[RunningShop]:
    shop = await start_shop(request.param, tmp_path, clock=ShopClock(), webhook=True)
    assert shop.server is not None and shop.metrics is not None
    throttle = Throttle(
        LocalFloodCounts(FloodRule(20, 10.0)), shop.storefront, shop.bot.sender(), shop.metrics
    )
    shop.server.admit = throttle.admit  # what `storefront webhook` plugs in (FLOOD_RATE)
    # Deliver as Telegram does by default: up to 40 updates in flight at once.
    webhook = shop.standin.state.webhook
    assert webhook is not None
    await webhook.clear()
    webhook.parallel = 40
    await shop.bot.set_webhook(shop.server.local_url + WEBHOOK_PATH, WEBHOOK_SECRET)
    try:
        yield shop
    finally:
        await throttle.close()
        await stop_shop(shop)
    assert shop.standin.violations == [], shop.standin.violations


async def _all_confirmed(shop: RunningShop, timeout: float = 60.0) -> None:
    """Until the stand-in has a 2xx for every update, and the shop finished each one."""

    async def confirmed() -> None:
        while shop.standin.pending_updates:
            await asyncio.sleep(0.02)

    await asyncio.wait_for(confirmed(), timeout)
    await shop.settle(timeout)


def _texts(chat: SimChat) -> list[str]:
    return [str(m.get("text", "")) for m in chat.messages()]


async def _metrics(shop: RunningShop) -> str:
    assert shop.server is not None
    async with (
        aiohttp.ClientSession() as http,
        http.get(shop.server.local_url + "/metrics") as response,
    ):
        return await response.text()


async def test_a_quiet_buyer_is_answered_while_another_floods_and_the_flooder_is_told_once(
    flood_shop: RunningShop,
) -> None:
    shop = flood_shop
    flooder = shop.standin.private_chat(2001, "Flo", language_code="zh-hans")
    quiet = shop.standin.private_chat(2002, "Quinn")
    for i in range(300):
        flooder.send_text(f"zzq {i}")
    for _ in range(5):
        quiet.send_text("/help")
        await asyncio.sleep(0.05)
    await _all_confirmed(shop)

    assert sum(HELP in t for t in _texts(quiet)) == 5  # every quiet command answered
    told = [t for t in _texts(flooder) if SLOW_DOWN["zh"] in t]
    assert len(told) == 1  # once, in their language, not once per dropped update
    handled = [t for t in _texts(flooder) if "zzq" in t]  # "Nothing found for “zzq 7”"
    assert 20 <= len(handled) < 300
    metrics = await _metrics(shop)
    dropped = metric(metrics, "storefront_updates_total", type="message", outcome="dropped")
    assert dropped == 300 - len(handled)
    assert (
        metric(metrics, "storefront_updates_total", type="message", outcome="ok")
        == len(handled) + 5
    )
    assert metric(metrics, "storefront_flood_notices_total") == 1


async def test_a_flooding_buyer_still_pays_and_every_payment_step_is_handled(
    flood_shop: RunningShop,
) -> None:
    shop = flood_shop
    assert shop.server is not None
    # A bucket that does not refill during the test: only the exemption lets a payment through.
    hour = FloodRule(20, 3600.0)
    throttle = Throttle(LocalFloodCounts(hour), shop.storefront, shop.bot.sender(), shop.metrics)
    shop.server.admit = throttle.admit
    ann = shop.standin.private_chat(3001, "Ann")
    async with shop.uows() as uow:
        [pid] = await uow.catalog.search_ids(["konjac"], 5)
    await shop.send(ann, f"/start p_{pid}")
    await shop.press(ann, ann.last_message(), "⚡ Buy now")  # type: ignore[arg-type]
    await shop.press(ann, ann.last_message(), "🚚 Deliver to my address")  # type: ignore[arg-type]
    invoice = ann.last_message()
    assert invoice is not None and "invoice" in invoice
    for i in range(100):  # far over the rate: the chat's bucket is empty from here on
        ann.send_text(f"zzq {i}")
    await _all_confirmed(shop)
    mark = len(shop.standin.calls)
    ann.pay(invoice, order_info=US, shipping_option_id="us-express")
    await _all_confirmed(shop)
    calls = shop.standin.calls[mark:]
    [shipping] = only(calls, "answerShippingQuery")
    [pre_checkout] = only(calls, "answerPreCheckoutQuery")
    assert shipping.params["ok"] is True and pre_checkout.params["ok"] is True
    assert any("Payment received" in c.params["text"] for c in only(calls, "sendMessage"))
    charge = shop.last_payment()["successful_payment"]["telegram_payment_charge_id"]
    async with shop.uows() as uow:
        order = await uow.orders.by_charge(charge)
    assert order is not None and order.status.value == "paid" and order.user_id == 3001
    await throttle.close()
    metrics = await _metrics(shop)
    for kind in ("shipping_query", "pre_checkout_query"):
        assert metric(metrics, "storefront_updates_total", type=kind, outcome="ok") == 1
        assert metric(metrics, "storefront_updates_total", type=kind, outcome="dropped") == 0
    assert metric(metrics, "storefront_payments_total", currency="USD") == 1


async def test_one_chats_updates_are_handled_in_order_even_when_they_arrive_out_of_order(
    flood_shop: RunningShop,
) -> None:
    shop = flood_shop
    assert shop.server is not None
    bea = shop.standin.private_chat(4001, "Bea")
    person = {"id": 4001, "is_bot": False, "first_name": "Bea", "language_code": "en"}

    def update(update_id: int) -> dict[str, Any]:
        text = f"zzq {update_id}"
        message = {"message_id": update_id, "date": 1, "chat": bea.chat, "from": person}
        return {"update_id": update_id, "message": {**message, "text": text}}

    async def post(body: dict[str, Any]) -> int:
        headers = {SECRET_HEADER: WEBHOOK_SECRET, "Content-Type": "application/json"}
        async with (
            aiohttp.ClientSession() as http,
            http.post(
                shop.server.local_url + WEBHOOK_PATH, data=json.dumps(body), headers=headers
            ) as response,  # type: ignore[union-attr]
        ):
            return response.status

    lock = shop.uows.writer_lock  # SQLite's one writer: holding it holds every update
    assert lock is not None
    await lock.acquire()
    lane = ("chat", 4001)
    requests = []
    try:
        # 900001 is being handled (waiting for the database); the rest arrive out of order.
        for update_id in (900001, 900005, 900003, 900002, 900006, 900004):
            requests.append(asyncio.create_task(post(update(update_id))))
            while shop.server.lanes.waiting_in(lane) < len(requests):
                await asyncio.sleep(0.005)
    finally:
        lock.release()
    assert await asyncio.gather(*requests) == [200] * 6
    searched = [t.split("zzq ")[1][:6] for t in _texts(bea) if "zzq" in t]
    assert searched == ["900001", "900002", "900003", "900004", "900005", "900006"]


async def test_an_update_that_can_never_be_handled_gets_200_and_is_counted(
    flood_shop: RunningShop, caplog: pytest.LogCaptureFixture
) -> None:
    shop = flood_shop
    assert shop.server is not None
    person = {"id": 4101, "is_bot": False, "first_name": "Eve"}
    no_chat = {
        "update_id": 910001,
        "message": {"message_id": 1, "date": 1, "from": person, "text": "/start"},
    }
    bad_press = {"update_id": 910002, "callback_query": {"id": 5, "from": "nobody"}}
    headers = {SECRET_HEADER: WEBHOOK_SECRET, "Content-Type": "application/json"}
    async with aiohttp.ClientSession() as http:
        for body in (no_chat, bad_press):
            url = shop.server.local_url + WEBHOOK_PATH
            async with http.post(url, data=json.dumps(body), headers=headers) as response:
                assert response.status == 200, body
    metrics = await _metrics(shop)
    assert metric(metrics, "storefront_updates_total", type="message", outcome="poison") == 1
    assert (
        metric(metrics, "storefront_updates_total", type="callback_query", outcome="poison") == 1
    )
    assert "update 910001 can never be handled" in caplog.text
    assert "update 910002 can never be handled" in caplog.text
    # The shop goes on: the next update is handled as usual.
    ann = shop.standin.private_chat(4102, "Ann")
    assert HELP in only(await shop.send(ann, "/help"), "sendMessage")[0].params["text"]
