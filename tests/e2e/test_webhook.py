"""Webhook mode end to end, on aiogram and on python-telegram-bot: the Bot API stand-in posts
each update over HTTP to the real webhook server (``storefront webhook``'s), with the secret
header, and redelivers while the answer is not 2xx."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from bot.telegram.webhook import SECRET_HEADER
from tests.e2e.harness import (
    US,
    WEBHOOK_PATH,
    WEBHOOK_SECRET,
    RunningShop,
    ShopClock,
    keyboard_texts,
    metric,
    only,
    start_shop,
    stop_shop,
)


@pytest.fixture(params=["aiogram", "ptb"])
async def hook_shop(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[RunningShop]:
    running = await start_shop(request.param, tmp_path, clock=ShopClock(), webhook=True)
    try:
        yield running
    finally:
        await stop_shop(running)
    assert running.standin.violations == [], running.standin.violations


def _url(shop: RunningShop, path: str = WEBHOOK_PATH) -> str:
    assert shop.server is not None
    return shop.server.local_url + path


async def _post(shop: RunningShop, body: bytes, headers: dict[str, str]) -> tuple[int, Any]:
    async with (
        aiohttp.ClientSession() as http,
        http.post(_url(shop), data=body, headers=headers) as response,
    ):
        return response.status, await response.text()


async def _get(shop: RunningShop, path: str) -> tuple[int, str]:
    async with aiohttp.ClientSession() as http, http.get(_url(shop, path)) as response:
        return response.status, await response.text()


async def test_setwebhook_with_the_secret_and_the_updates_the_shop_handles(
    hook_shop: RunningShop,
) -> None:
    [call] = [c for c in hook_shop.standin.calls if c.method == "setWebhook"]
    assert call.params["secret_token"] == WEBHOOK_SECRET
    assert call.params["url"] == _url(hook_shop)
    assert call.params["allowed_updates"] == [
        "message",
        "callback_query",
        "shipping_query",
        "pre_checkout_query",
        "inline_query",
        "chosen_inline_result",
    ]
    assert call.params.get("drop_pending_updates") in (None, False)
    assert not [c for c in hook_shop.standin.calls if c.method in ("deleteWebhook", "getUpdates")]


async def test_browse_and_add_to_cart_through_the_webhook(hook_shop: RunningShop) -> None:
    shop = hook_shop
    ann = shop.standin.private_chat(1001, "Ann", language_code="en")
    [welcome] = only(await shop.send(ann, "/start"), "sendMessage")
    assert "Welcome to" in welcome.params["text"]
    await shop.send(ann, "/catalog")
    listing = ann.last_message()
    assert listing is not None
    await shop.press(ann, listing, "Snacks (2)")
    card = ann.last_message()
    assert card is not None and keyboard_texts(card)[0] == "🛒 Add to cart"
    [answer] = only(await shop.press(ann, card, "🛒 Add to cart"), "answerCallbackQuery")
    assert "Added: Spicy Konjac Jelly (10 pack) × 1" in answer.params["text"]
    await shop.send(ann, "/cart")
    cart = ann.last_message()
    assert cart is not None and "Total: $4.99" in cart["text"]
    await shop.standin.wait_until_confirmed(shop._pushed[-1])
    assert shop.standin.pending_updates == 0


async def test_a_wrong_or_missing_secret_is_refused_and_nothing_is_handled(
    hook_shop: RunningShop,
) -> None:
    shop = hook_shop
    update = {
        "update_id": 777001,
        "message": {
            "message_id": 1,
            "date": 1,
            "chat": {"id": 4242, "type": "private", "first_name": "Eve"},
            "from": {"id": 4242, "is_bot": False, "first_name": "Eve"},
            "text": "/start",
        },
    }
    body = json.dumps(update).encode()
    calls = len(shop.standin.calls)
    for headers in ({}, {SECRET_HEADER: "wrong"}, {SECRET_HEADER: WEBHOOK_SECRET + "x"}):
        status, _ = await _post(shop, body, {"Content-Type": "application/json", **headers})
        assert status == 401
    assert len(shop.standin.calls) == calls  # no reply sent
    async with shop.uows() as uow:
        assert await uow.buyers.profile(4242) is None  # nobody was even remembered
    _, metrics = await _get(shop, "/metrics")
    assert metric(metrics, "storefront_webhook_refused_total", reason="unauthorized") == 3


async def test_garbage_gets_400_and_an_oversized_body_413(hook_shop: RunningShop) -> None:
    headers = {SECRET_HEADER: WEBHOOK_SECRET, "Content-Type": "application/json"}
    for garbage in (b"not json", b"[1, 2]", b'{"no": "update_id"}', b"\xff\xfe"):
        status, _ = await _post(hook_shop, garbage, headers)
        assert status == 400, garbage
    status, _ = await _post(hook_shop, b"{" + b" " * (2 * 1024 * 1024) + b"}", headers)
    assert status == 413


async def test_healthz_and_metrics_count_updates_and_a_payment(hook_shop: RunningShop) -> None:
    shop = hook_shop
    status, text = await _get(shop, "/healthz")
    assert status == 200
    health = json.loads(text)
    assert health["ok"] is True and health["database"] == "ok"
    assert health["refunds_due"] == 0 and health["notices_pending"] == 0

    ann = shop.standin.private_chat(3001, "Ann")
    async with shop.uows() as uow:
        [pid] = await uow.catalog.search_ids(["konjac"], 5)
    await shop.send(ann, f"/start p_{pid}")
    await shop.press(ann, ann.last_message(), "⚡ Buy now")  # type: ignore[arg-type]
    await shop.press(ann, ann.last_message(), "🚚 Deliver to my address")  # type: ignore[arg-type]
    invoice = ann.last_message()
    assert invoice is not None and "invoice" in invoice
    calls = await shop.pay(ann, invoice, order_info=US, shipping_option_id="us-express")
    assert "Payment received" in only(calls, "sendMessage")[-1].params["text"]

    status, text = await _get(shop, "/metrics")
    assert status == 200
    assert metric(text, "storefront_updates_total", type="message", outcome="ok") == 2
    assert metric(text, "storefront_updates_total", type="callback_query", outcome="ok") == 2
    assert metric(text, "storefront_updates_total", type="shipping_query", outcome="ok") == 1
    assert metric(text, "storefront_updates_total", type="pre_checkout_query", outcome="ok") == 1
    assert metric(text, "storefront_payments_total", currency="USD") == 1
    assert metric(text, "storefront_payment_amount_minor_total", currency="USD") == 1998
    assert metric(text, "storefront_update_seconds_count", type="callback_query") == 2
    assert "storefront_refunds_total" in text and "storefront_broadcast_messages_total" in text


@pytest.mark.postgres
@pytest.mark.parametrize("framework", ["aiogram", "ptb"])
async def test_the_database_goes_away_mid_update_500_then_redelivered_and_counted_once(
    framework: str, postgres_demo_url: str, tmp_path: Path
) -> None:
    from sqlalchemy import func, select
    from sqlalchemy.engine import make_url

    from storage.engine import make_engine
    from storage.tables import CartLineRow, ProcessedUpdateRow
    from tests.e2e.db_proxy import DbProxy

    url = make_url(postgres_demo_url)
    direct = make_engine(postgres_demo_url)
    proxy = DbProxy(url.host or "127.0.0.1", url.port or 5432)
    port = await proxy.start()
    through_proxy = url.set(host="127.0.0.1", port=port).render_as_string(hide_password=False)
    shop = await start_shop(
        framework,  # type: ignore[arg-type]
        tmp_path,
        database_url=through_proxy,
        fresh=False,
        webhook=True,
    )
    try:
        ann = shop.standin.private_chat(5001, "Ann")
        async with shop.uows() as uow:
            [pid] = await uow.catalog.search_ids(["konjac"], 5)
        await shop.send(ann, f"/start p_{pid}")
        card = ann.last_message()
        assert card is not None
        calls = len(shop.standin.calls)

        proxy.arm(b"INSERT INTO cart_line")
        update = ann.press(card, "🛒 Add to cart")
        await asyncio.wait_for(proxy.went_down.wait(), 10)
        webhook = shop.standin.state.webhook
        assert webhook is not None
        while webhook.failures < 3:  # Telegram keeps trying while the database is away
            await asyncio.sleep(0.02)
        assert "500" in (shop.standin.webhook_info().get("last_error_message") or "")
        status, _ = await _get(shop, "/healthz")
        assert status == 503
        proxy.up()
        await shop.standin.wait_until_confirmed(int(update["update_id"]), timeout=15)
        await shop.settle()

        replies = [c for c in shop.standin.calls[calls:] if c.method != "getUpdates"]
        [answer] = only(replies, "answerCallbackQuery")  # no apology, one answer
        assert "Added: Spicy Konjac Jelly (10 pack) × 1" in answer.params["text"]
        async with direct.connect() as conn:
            lines = (
                await conn.execute(
                    select(CartLineRow.quantity).where(CartLineRow.user_id == 5001)  # type: ignore[arg-type]
                )
            ).all()
            claims = await conn.scalar(
                select(func.count()).where(
                    ProcessedUpdateRow.update_id == int(update["update_id"])  # type: ignore[arg-type]
                )
            )
        assert [tuple(r) for r in lines] == [(1,)] and claims == 1
        _, metrics = await _get(shop, "/metrics")
        assert (
            metric(
                metrics, "storefront_updates_total", type="callback_query", outcome="unavailable"
            )
            >= 3
        )
        assert (
            metric(metrics, "storefront_updates_total", type="callback_query", outcome="ok") == 1
        )
        status, _ = await _get(shop, "/healthz")
        assert status == 200
    finally:
        await stop_shop(shop)
        await proxy.stop()
        await direct.dispose()
    assert shop.standin.violations == []


async def test_json_logs_name_the_update_and_chat_and_never_the_buyers_phone_or_address(
    hook_shop: RunningShop, capsys: pytest.CaptureFixture[str]
) -> None:
    import logging

    from bot.logs import configure_logging

    shop = hook_shop
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    configure_logging("DEBUG", "json")  # as LOG_LEVEL=DEBUG LOG_FORMAT=json would
    try:
        ann = shop.standin.private_chat(3002, "Ann")
        async with shop.uows() as uow:
            [pid] = await uow.catalog.search_ids(["konjac"], 5)
        await shop.send(ann, f"/start p_{pid}")
        await shop.press(ann, ann.last_message(), "⚡ Buy now")  # type: ignore[arg-type]
        await shop.press(ann, ann.last_message(), "🚚 Deliver to my address")  # type: ignore[arg-type]
        invoice = ann.last_message()
        assert invoice is not None
        await shop.pay(ann, invoice, order_info=US, shipping_option_id="us-express")
        logging.getLogger("bot.test").info(
            "a careless line: %s", {"phone_number": "+15550100", "street_line1": "1 Market St"}
        )
    finally:
        root.handlers[:], _ = saved[0], root.setLevel(saved[1])
    lines = [json.loads(line) for line in capsys.readouterr().err.splitlines() if line.strip()]
    assert lines, "nothing was logged"
    text = json.dumps(lines, ensure_ascii=False)
    for personal in ("+15550100", "15550100", "1 Market St", "94105", "Ann Lee"):
        assert personal not in text, [x for x in lines if personal in json.dumps(x)]
    handled = [line for line in lines if line.get("chat_id") == 3002 and "update_id" in line]
    assert handled, lines
    ordered = [line for line in lines if "order_id" in line]
    assert ordered, "the payment's lines name its order"
