"""Real ``storefront run`` processes polling the Bot API stand-in (which runs in the test
process), for the polling inbox's tests: start one, kill it or stop it, count what the people
were answered.

Each process logs to a file of its own (a pipe would fill up and stall it).
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import time
from collections import Counter
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from bot.standin import BotApiStandIn, SimChat
from bot.standin.stripe_standin import StripeStandIn
from storage.engine import make_engine
from storage.inbox_tables import InboxUpdateRow
from storage.unit_of_work import SqlUnitOfWorkFactory
from tests.e2e.harness import (
    ADMIN_ID,
    PROVIDER_TOKEN,
    TOKEN,
    US,
    last_invoice,
    product_card,
    start_shop,
    stop_shop,
)

REPO = Path(__file__).resolve().parents[2]
STOREFRONT = str(Path(sys.executable).with_name("storefront"))
_KEEP_ENV = ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "VIRTUAL_ENV")
RECEIPT = "Payment received"


@dataclass
class BotRun:
    process: asyncio.subprocess.Process
    log: Path
    started: float = field(default_factory=time.monotonic)

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    @property
    def running(self) -> bool:
        return self.process.returncode is None

    async def ready(self, timeout: float = 60) -> None:
        """Until it says it is running (polling, signal handlers set)."""
        await wait_until(lambda: "Storefront is running" in self.output(), timeout, "start", self)

    async def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        await self.process.wait()

    async def terminate(self, timeout: float = 30) -> int:
        """SIGTERM; the exit code (the test fails if it takes longer than ``timeout``)."""
        self.process.send_signal(signal.SIGTERM)
        try:
            return await asyncio.wait_for(self.process.wait(), timeout)
        except TimeoutError:
            self.process.kill()
            await self.process.wait()
            pytest.fail(f"storefront run did not stop within {timeout} s: {self.output()[-3000:]}")


async def start_run(
    framework: str, database_url: str, standin: BotApiStandIn, folder: Path, name: str
) -> BotRun:
    """``storefront run`` on ``framework``, polling ``standin``."""
    env = {
        **{k: v for k, v in os.environ.items() if k in _KEEP_ENV},
        "PYTHONPATH": str(REPO),
        "BOT_TOKEN": TOKEN,
        "BOT_FRAMEWORK": framework,
        "TELEGRAM_API_BASE": standin.base_url,
        "DATABASE_URL": database_url,
        "PAYMENT_PROVIDER_TOKEN": PROVIDER_TOKEN,
        "ADMIN_IDS": str(ADMIN_ID),
        "SHOP_NAME": "E2E Shop",
        "CART_REMINDER_HOURS": "0",
        "LOG_LEVEL": "WARNING",
    }
    log = folder / f"run-{framework}-{name}.log"
    with log.open("wb") as out:
        process = await asyncio.create_subprocess_exec(
            STOREFRONT, "run", env=env, cwd=folder, stdout=out, stderr=out
        )
    return BotRun(process, log)


async def wait_until(
    condition: Callable[[], bool], timeout: float, what: str, run: BotRun | None = None
) -> float:
    """Poll ``condition``; the seconds it took. Fails (with the bot's log) after ``timeout``."""
    started = time.monotonic()
    while not condition():
        if run is not None and not run.running:
            code = run.process.returncode
            pytest.fail(f"storefront run exited ({code}): {run.output()[-3000:]}")
        if time.monotonic() - started > timeout:
            tail = run.output()[-3000:] if run is not None else ""
            pytest.fail(f"timed out waiting for {what}\n{tail}")
        await asyncio.sleep(0.02)
    return time.monotonic() - started


class Replies:
    """The bot's ``sendMessage`` calls per chat from now on, counted as they come (only the
    new calls are read each time)."""

    def __init__(self, standin: BotApiStandIn) -> None:
        self.standin = standin
        self._seen = len(standin.calls)  # from now on
        self.messages: Counter[int] = Counter()
        self.receipts: Counter[int] = Counter()

    def count(self) -> Replies:
        calls = self.standin.calls
        for call in calls[self._seen :]:
            if call.method == "sendMessage" and call.ok:
                chat = int(str(call.params.get("chat_id")))
                self.messages[chat] += 1
                if RECEIPT in str(call.params.get("text", "")):
                    self.receipts[chat] += 1
        self._seen = len(calls)
        return self

    def answered(self, chats: list[int]) -> int:
        """How many of ``chats`` got at least one message."""
        return sum(1 for chat in chats if self.messages[chat] > 0)

    def paid(self, chats: list[int]) -> int:
        return sum(1 for chat in chats if self.receipts[chat] > 0)

    def extra(self, chats: list[int], counter: Counter[int]) -> int:
        """Messages beyond the first, over ``chats``."""
        return sum(max(counter[chat] - 1, 0) for chat in chats)


@dataclass
class PreparedShop:
    """A shop whose buyers are past pre-checkout: their ``successful_payment`` updates held
    back (not yet given to any bot)."""

    standin: BotApiStandIn
    stripe: StripeStandIn
    uows: SqlUnitOfWorkFactory
    buyers: list[SimChat]
    payments: list[dict[str, Any]]

    async def close(self) -> None:
        await self.uows.dispose()
        await self.stripe.stop()
        await self.standin.stop()


async def fresh_database(database_url: str) -> None:
    """Nothing to do: the ``database_url`` fixture gives each test a migrated, empty database
    of its own (a copy of the session's template)."""


@asynccontextmanager
async def prepared_shop(
    framework: str, folder: Path, database_url: str, buyers: int
) -> AsyncIterator[PreparedShop]:
    """The demo shop on ``database_url``; ``buyers`` people have each asked for Spicy Konjac
    Jelly, chosen delivery, paid, and had the pre-checkout approved (stock held) by a shop run
    in this process, which then stopped. Telegram holds their payments back until the test
    releases them (``PreparedShop.payments``)."""
    await fresh_database(database_url)
    shop = await start_shop(framework, folder, database_url=database_url)  # type: ignore[arg-type]
    queue = shop.standin.state.updates
    push = queue.push
    held: list[dict[str, Any]] = []

    def hold_payments(update: dict[str, object]) -> dict[str, object]:
        message = update.get("message")
        if isinstance(message, dict) and "successful_payment" in message:
            held.append(update)  # type: ignore[arg-type]
            return update
        return push(update)

    queue.push = hold_payments  # type: ignore[method-assign]
    chats = [shop.standin.private_chat(40_000 + i, f"Buyer {i}") for i in range(buyers)]

    async def to_pre_checkout(chat: SimChat) -> None:
        card = await product_card(shop, chat, "konjac")
        await shop.press(chat, card, "⚡ Buy now")
        await shop.press(chat, chat.last_message(), "🚚 Deliver to my address")  # type: ignore[arg-type]
        chat.pay(last_invoice(chat), order_info=US, shipping_option_id="us-standard")  # type: ignore[arg-type]

    began = time.monotonic()
    try:
        await asyncio.gather(*(to_pre_checkout(chat) for chat in chats))
        await shop.settle(timeout=120)
        await wait_until(lambda: len(held) == buyers, 30, "every pre-checkout approved")
    finally:
        queue.push = push  # type: ignore[method-assign]
        await stop_shop(shop, keep_servers=True)
    print(f"\n{buyers} buyers past pre-checkout in {time.monotonic() - began:.1f} s")
    uows = SqlUnitOfWorkFactory(make_engine(database_url))
    prepared = PreparedShop(shop.standin, shop.stripe, uows, chats, held)
    try:
        yield prepared
    finally:
        await prepared.close()


async def inbox_counts(uows: SqlUnitOfWorkFactory) -> tuple[int, int]:
    """(rows not done, of which handled: their replies are sent again at the next start)."""
    table = InboxUpdateRow.__table__  # type: ignore[attr-defined]
    async with uows.engine.connect() as conn:
        left = await conn.scalar(
            select(func.count()).select_from(table).where(table.c.done_at.is_(None))
        )
        handled = await conn.scalar(
            select(func.count())
            .select_from(table)
            .where(table.c.done_at.is_(None), table.c.handled_at.is_not(None))
        )
    return int(left or 0), int(handled or 0)
