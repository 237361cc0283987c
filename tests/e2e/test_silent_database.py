"""A real ``storefront webhook`` process whose PostgreSQL stops answering, and starts again.

Between the process and PostgreSQL, a TCP proxy goes silent (``DbProxy.blackhole``: connections
accepted, nothing answered, the open ones silent for good), as a frozen server or a firewall
dropping packets would. Each delivery of an update then fails within the configured bounds
(``DB_CONNECT_TIMEOUT``, ``DB_STATEMENT_TIMEOUT``: 2 s here) with a 500, so Telegram sends it
again; nothing of it is handled; ``/healthz`` answers 503 within 2 s. Once the proxy lets
connections through again, the same process handles the update, once, without a restart.

The seconds are printed. The bounds asserted are generous ones that tell a bounded wait from a
hang (the driver's defaults: a minute to connect, for ever for a statement): 3x the configured
time per delivery, and 2.5 s for ``/healthz``, whose answer within 2 s is the behaviour asked.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url

from bot.standin import BotApiStandIn
from bot.standin.stripe_standin import StripeStandIn
from storage.engine import make_engine
from storage.unit_of_work import SqlUnitOfWorkFactory
from tests.e2e.db_proxy import DbProxy
from tests.e2e.harness import TOKEN, load_spec
from tests.e2e.webhook_fleet import BotProcess, Fleet, step, wait_for

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

CONNECT = STATEMENT = 2.0
BOUNDS = {"DB_CONNECT_TIMEOUT": str(CONNECT), "DB_STATEMENT_TIMEOUT": str(STATEMENT)}
#: A statement gets the server's time and a second more from the driver (storage.engine).
LONGEST_WAIT = max(CONNECT, STATEMENT + 1.0)


@pytest.fixture
async def shop_db(postgres_demo_url: str) -> AsyncIterator[SqlUnitOfWorkFactory]:
    """This test's own PostgreSQL database, migrated, with the demo catalog."""
    uows = SqlUnitOfWorkFactory(make_engine(postgres_demo_url))
    yield uows
    await uows.dispose()


async def _healthz(bot: BotProcess) -> tuple[int, float]:
    started = time.perf_counter()
    async with (
        aiohttp.ClientSession() as http,
        http.get(f"http://127.0.0.1:{bot.port}/healthz") as response,
    ):
        await response.read()
        return response.status, time.perf_counter() - started


@pytest.mark.parametrize("framework", ["aiogram", "ptb"])
async def test_a_silent_database_fails_each_update_in_time_and_the_same_process_recovers(
    framework: str, postgres_demo_url: str, shop_db: SqlUnitOfWorkFactory, tmp_path: Path
) -> None:
    url = make_url(postgres_demo_url)
    proxy = DbProxy(url.host or "127.0.0.1", url.port or 5432)
    port = await proxy.start()
    through = url.set(host="127.0.0.1", port=port).render_as_string(hide_password=False)
    standin = BotApiStandIn(load_spec(), token=TOKEN, bot_username="shop_e2e_bot")
    await standin.start()
    stripe = StripeStandIn()
    await stripe.start()
    fleet = Fleet(framework, postgres_demo_url, tmp_path, standin, stripe)
    try:
        bot = await fleet.spawn(database_url=through, env=BOUNDS)
        webhook = standin.state.webhook
        assert webhook is not None
        webhook.timeout = 120.0  # Telegram waits about a minute: let a hang show as one
        ann = standin.private_chat(7001, "Ann")
        await step(standin, ann.send_text("/start"))
        await step(standin, ann.send_text("/catalog"))
        await step(standin, ann.press(ann.last_keyboard_message(), "Snacks (2)"))  # type: ignore[arg-type]
        card = ann.last_keyboard_message()
        assert card is not None
        assert (await _healthz(bot))[0] == 200
        calls = len(standin.calls)

        proxy.blackhole()
        webhook.timings = []
        update = ann.press(card, "🛒 Add to cart")
        update_id = int(update["update_id"])
        await wait_for(lambda: len(webhook.timings or []) >= 1, 60, "a first delivery")
        health_status, health_seconds = await _healthz(bot)
        await wait_for(lambda: len(webhook.timings or []) >= 4, 60, "four deliveries")
        deliveries = list(webhook.timings or [])
        print(
            f"\n{framework}: database silent; each delivery of the update answered "
            + ", ".join(f"{status} in {seconds:.2f} s" for _, seconds, status in deliveries)
            + f"; /healthz {health_status} in {health_seconds:.2f} s"
        )
        assert {(uid, status) for uid, _, status in deliveries} == {(update_id, 500)}
        assert max(seconds for _, seconds, _ in deliveries) < 3 * LONGEST_WAIT
        assert health_status == 503
        assert health_seconds < 2.5
        replies = [c for c in standin.calls[calls:] if c.method != "getUpdates"]
        assert replies == []  # not handled: no answer, no apology

        await asyncio.sleep(CONNECT / 2)  # a delivery in flight, waiting on a connection
        proxy.up()
        up_at = time.perf_counter()
        await step(standin, update, timeout=60)
        recovered = time.perf_counter() - up_at
        health_status, health_seconds = await _healthz(bot)
        healthy_at = time.perf_counter()
        while health_status != 200 and time.perf_counter() - healthy_at < 30:
            await asyncio.sleep(0.2)  # a check begun while silent may still be waiting
            health_status, health_seconds = await _healthz(bot)
        print(
            f"{framework}: database back; the update handled {recovered:.2f} s later, "
            f"/healthz {health_status} {time.perf_counter() - up_at:.2f} s later"
        )
        assert health_status == 200
        assert bot.process.returncode is None and fleet.processes == [bot]  # no restart
        await step(standin, ann.send_text("/cart"))
        replies = [c for c in standin.calls[calls:] if c.method != "getUpdates"]
        answers = [c for c in replies if c.method == "answerCallbackQuery"]
        assert len(answers) == 1, answers
        assert "Added: Spicy Konjac Jelly (10 pack) × 1" in answers[0].params["text"]
        async with shop_db.engine.connect() as conn:
            lines = (
                await conn.execute(
                    text("SELECT quantity FROM cart_line WHERE user_id = :id"), {"id": ann.id}
                )
            ).all()
            claims = await conn.scalar(
                text("SELECT count(*) FROM processed_update WHERE update_id = :id"),
                {"id": update_id},
            )
        assert [tuple(r) for r in lines] == [(1,)] and claims == 1
        await fleet.stop(bot)
    finally:
        await fleet.close()
        await standin.stop()
        await stripe.stop()
        await proxy.stop()
    assert standin.violations == []
