"""Real ``storefront webhook`` processes on one database, fed by one Bot API stand-in.

The stand-in's webhook delivery is pointed at the processes (``targets``): round robin as a load
balancer would, every update to every process (``all``, at once; ``in_turn``, one after the
other), so duplicates reach different processes. Each process logs to its own file (a pipe
would fill up and stall it) and is stopped with SIGTERM, or killed.
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from bot.standin import BotApiStandIn, SimChat
from bot.standin.stripe_standin import StripeStandIn
from tests.e2e.harness import ADMIN_ID, PROVIDER_TOKEN, TOKEN, US, WEBHOOK_SECRET, load_spec

REPO = Path(__file__).resolve().parents[2]
STOREFRONT = str(Path(sys.executable).with_name("storefront"))
#: Calls that put something new in a chat (edits and answers are harmless when repeated).
SENDS = ("sendMessage", "sendVideo", "sendPhoto", "sendInvoice", "sendMediaGroup")
_KEEP_ENV = ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "VIRTUAL_ENV")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def wait_for(predicate: Any, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        await asyncio.sleep(0.02)


@dataclass
class BotProcess:
    process: asyncio.subprocess.Process
    port: int
    log: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"

    def output(self) -> str:
        return self.log.read_text(errors="replace")[-4000:]


@dataclass
class Fleet:
    framework: str
    database_url: str
    folder: Path
    standin: BotApiStandIn
    stripe: StripeStandIn
    processes: list[BotProcess] = field(default_factory=list)

    def env(
        self, port: int, database_url: str | None = None, extra: dict[str, str] | None = None
    ) -> dict[str, str]:
        return {
            **{k: v for k, v in os.environ.items() if k in _KEEP_ENV},
            "PYTHONPATH": str(REPO),
            "BOT_TOKEN": TOKEN,
            "BOT_FRAMEWORK": self.framework,
            "TELEGRAM_API_BASE": self.standin.base_url,
            "DATABASE_URL": database_url or self.database_url,
            "WEBHOOK_URL": f"http://127.0.0.1:{port}/hook",
            "WEBHOOK_SECRET": WEBHOOK_SECRET,
            "WEBHOOK_HOST": "127.0.0.1",
            "WEBHOOK_PORT": str(port),
            "PAYMENT_PROVIDER_TOKEN": PROVIDER_TOKEN,
            "STRIPE_API_KEY": self.stripe.api_key,
            "STRIPE_API_BASE": self.stripe.base_url,
            "ADMIN_IDS": str(ADMIN_ID),
            "SHOP_NAME": "E2E Shop",
            "QUIET_HOURS": "off",  # drops go out whatever the time of day
            "CART_REMINDER_HOURS": "0",
            # The scripted buyers press as fast as the bot answers (26 updates in seconds):
            # over the flood rate by design. These tests are about exactly-once, not floods.
            "FLOOD_RATE": "0",
            "LOG_LEVEL": "WARNING",
            **(extra or {}),
        }

    async def spawn(
        self,
        port: int | None = None,
        database_url: str | None = None,
        env: dict[str, str] | None = None,
    ) -> BotProcess:
        """Start one more process and wait until it has set the webhook (it serves by then);
        ``env``: settings of its own (``DB_STATEMENT_TIMEOUT``...)."""
        port = port or free_port()
        log = self.folder / f"webhook-{port}-{len(self.processes)}.log"
        before = len(self.standin.calls_named("setWebhook"))
        with log.open("wb") as out:
            process = await asyncio.create_subprocess_exec(
                STOREFRONT,
                "webhook",
                env=self.env(port, database_url, env),
                cwd=self.folder,
                stdout=out,
                stderr=out,
            )
        bot = BotProcess(process, port, log)
        self.processes.append(bot)
        deadline = time.monotonic() + 60
        while len(self.standin.calls_named("setWebhook")) <= before:
            if process.returncode is not None:
                pytest.fail(f"storefront webhook exited {process.returncode}: {bot.output()}")
            if time.monotonic() > deadline:
                pytest.fail(f"storefront webhook never set the webhook: {bot.output()}")
            await asyncio.sleep(0.05)
        return bot

    def deliver_to(self, bots: list[BotProcess], fan_out: str = "round_robin") -> None:
        webhook = self.standin.state.webhook
        assert webhook is not None
        webhook.targets = [bot.url for bot in bots]
        webhook.fan_out = fan_out  # type: ignore[assignment]

    async def stop(self, bot: BotProcess) -> None:
        if bot.process.returncode is None:
            bot.process.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(bot.process.wait(), 40)
            except TimeoutError:
                bot.process.kill()
                await bot.process.wait()
                pytest.fail(f"storefront webhook did not stop on SIGTERM: {bot.output()}")
        assert bot.process.returncode == 0, bot.output()

    async def kill(self, bot: BotProcess) -> None:
        bot.process.kill()
        await bot.process.wait()

    async def close(self) -> None:
        for bot in self.processes:
            if bot.process.returncode is None:
                bot.process.kill()
                await bot.process.wait()


async def start_fleet(framework: str, url: str, folder: Path) -> Fleet:
    """A fleet of no process yet on the database at ``url``, with a Bot API stand-in and a
    Stripe stand-in of its own (Telegram's Stripe provider tells the latter of each charge)."""
    standin = BotApiStandIn(load_spec(), token=TOKEN, bot_username="shop_e2e_bot")
    await standin.start()
    stripe = StripeStandIn()
    await stripe.start()
    standin.state.provider_charge_listeners.append(
        lambda charge, amount, currency: stripe.register_charge(charge, amount, currency)
    )
    return Fleet(framework, url, folder, standin, stripe)


async def close_fleet(fleet: Fleet) -> None:
    """Kill what still runs of the fleet and stop its stand-ins."""
    await fleet.close()
    await fleet.standin.stop()
    await fleet.stripe.stop()


async def step(standin: BotApiStandIn, update: dict[str, Any], timeout: float = 30) -> None:
    """Until the webhook answered 2xx for ``update`` (and, in order, for all before it)."""
    await standin.wait_until_confirmed(int(update["update_id"]), timeout=timeout)


def receipts(chat: SimChat) -> int:
    return sum("Payment received" in str(m.get("text", "")) for m in chat.messages())


async def to_invoice(standin: BotApiStandIn, chat: SimChat, presses: int = 0) -> dict[str, Any]:
    """/start, /catalog, a category, ``presses`` ▶ presses (even: back on the first card), add
    to cart, /cart, checkout with delivery: the invoice."""
    await step(standin, chat.send_text("/start"))
    await step(standin, chat.send_text("/catalog"))
    await step(standin, chat.press(chat.last_keyboard_message(), "Snacks (2)"))  # type: ignore[arg-type]
    card = chat.last_keyboard_message()
    assert card is not None
    for _ in range(presses):
        await step(standin, chat.press(card, "▶"))
    await step(standin, chat.press(card, "🛒 Add to cart"))
    await step(standin, chat.send_text("/cart"))
    await step(standin, chat.press(chat.last_keyboard_message(), "💳 Checkout"))  # type: ignore[arg-type]
    await step(standin, chat.press(chat.last_keyboard_message(), "🚚 Deliver to my address"))  # type: ignore[arg-type]
    invoice = chat.last_message()
    assert invoice is not None and "invoice" in invoice, invoice
    return invoice


async def browse_and_pay(standin: BotApiStandIn, chat: SimChat, presses: int = 0) -> None:
    """``to_invoice``, then pay (shipping query, pre-checkout, payment) and get the receipt."""
    invoice = await to_invoice(standin, chat, presses)
    chat.pay(invoice, order_info=US, shipping_option_id="us-express")
    await wait_for(lambda: receipts(chat) >= 1, 60, f"the receipt in chat {chat.id}")


def sends(standin: BotApiStandIn) -> Counter[tuple[int, str, str]]:
    """How often each (chat, method, text) was sent: more than once is a duplicate."""
    counted: Counter[tuple[int, str, str]] = Counter()
    for call in standin.calls:
        if call.method in SENDS and call.ok:
            p = call.params
            text = str(p.get("text") or p.get("caption") or p.get("title") or "")
            counted[(int(str(p.get("chat_id"))), call.method, text)] += 1
    return counted


def duplicates(standin: BotApiStandIn) -> list[tuple[tuple[int, str, str], int]]:
    return [(key, n) for key, n in sends(standin).items() if n > 1]
