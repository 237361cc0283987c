"""``storefront sandbox``: chat with the whole shop in a terminal, no token, no internet.

The shop runs exactly as in production (real framework, long polling over HTTP, real database)
against the local Bot API stand-in; the person at the keyboard plays a Telegram user. Each line
becomes a message or a button press, and after each one the sandbox waits until the bot has
finished with that update before it prints what changed, so the transcript reads in order.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import sys
from collections.abc import Awaitable, Iterator
from typing import TypeVar

from bot.config import Settings
from bot.sandbox.commands import (
    HELP_TEXT,
    Nothing,
    Press,
    PressTarget,
    Quit,
    SandboxKey,
    Send,
    parse_line,
    resolve_press,
)
from bot.sandbox.console import Console
from bot.sandbox.feed import ChatFeed
from bot.sandbox.render import message_lines
from bot.sandbox.shop import SandboxShop, database_label, open_shop
from bot.telegram.runner import Framework

T = TypeVar("T")

USER_ID = 1000
FIRST_NAME = "You"
#: How long one update may take before the prompt comes back anyway (a bug must not hang us).
UPDATE_TIMEOUT = 15.0
#: How often to look for changes that arrive late, while the person is typing.
WATCH_INTERVAL = 0.25
FRAMEWORKS: tuple[Framework, ...] = ("aiogram", "ptb")
FRAMEWORK_NAMES: dict[Framework, str] = {"aiogram": "aiogram", "ptb": "python-telegram-bot"}


def language_from_env() -> str:
    """``zh`` for a Chinese ``LANG`` (zh_CN.UTF-8, zh_TW...), otherwise ``en``: the shop's two."""
    return "zh" if os.environ.get("LANG", "").lower().startswith("zh") else "en"


def banner(framework: Framework, language: str) -> list[str]:
    """What this is and the three things to know: how to talk, press buttons and leave."""
    return [
        f"Storefront sandbox: the whole shop on {FRAMEWORK_NAMES[framework]}, with a local "
        "stand-in for Telegram",
        f"(no token, no internet). You are \u201c{FIRST_NAME}\u201d, a Telegram user "
        f"(language: {language}).",
        "Type a message or a command (/start, /catalog, /cart, sneakers) and press Enter.",
        "Press buttons by number: 1 = button 1 of the latest message with buttons, "
        "3.2 = button 2 of #3.",
        ":help lists the sandbox's keys. /quit, :q or Ctrl-D leaves.",
    ]


async def run_sandbox(
    settings: Settings, *, framework: str, database_url: str | None = None
) -> int:
    """Run the sandbox until the person leaves; 0 then, 1 if the shop could not run."""
    if framework not in FRAMEWORKS:
        print(
            f"storefront sandbox: the framework must be aiogram or ptb, not {framework!r}",
            file=sys.stderr,
        )
        return 2
    chosen: Framework = "ptb" if framework == "ptb" else "aiogram"
    console = Console()
    stop = asyncio.Event()
    language = language_from_env()
    started = False
    with _quiet_logging(), _signals_set(stop):
        console.say(*banner(chosen, language), "", "Starting the shop...")
        try:
            async with open_shop(settings, chosen, database_url) as shop:
                started = True
                if not stop.is_set():  # Ctrl-C while starting: straight to the clean stop
                    console.say(f"Database: {database_label(shop)}.", "Ready. Try /start.", "")
                    await Session(shop, console, stop, language).run()
        except Exception as exc:
            stage = "stopping" if started else "starting"
            print(f"storefront sandbox: failed while {stage} the shop: {exc}", file=sys.stderr)
            return 1
    console.say("Sandbox closed.")
    return 0


class Session:
    """One person's chat with the bot: read a line, act on it, wait, show what changed."""

    def __init__(
        self, shop: SandboxShop, console: Console, stop: asyncio.Event, language: str
    ) -> None:
        self.shop = shop
        self.console = console
        self.stop = stop
        self.chat = shop.standin.private_chat(USER_ID, FIRST_NAME, language_code=language)
        self.feed = ChatFeed(shop.standin, self.chat.id)
        shop.standin.add_listener(self.feed.listen)
        self._done: dict[int, asyncio.Event] = {}
        shop.app.storefront.on_update_done.append(self._update_done)
        #: True while an update is in flight: its changes are shown when it is done, not before.
        self._busy = False

    async def run(self) -> None:
        """The read-act loop, until /quit, end of input or Ctrl-C."""
        self.console.start_reading()
        watcher = asyncio.create_task(self._watch())
        try:
            while not self.stop.is_set():
                self.console.prompt()
                line = await self._unless_stopped(self.console.next_line())
                if line is None:  # end of input, or Ctrl-C
                    self.console.end_prompt_line()
                    break
                action = parse_line(line)
                if isinstance(action, Quit):
                    self.console.echo(line)
                    break
                await self._act(line, action)
        finally:
            watcher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await watcher
        last = self.feed.drain()  # whatever a slow update delivered after its timeout
        if last:
            self.console.show([*last, ""])

    async def _act(self, line: str, action: Send | Press | SandboxKey | Nothing) -> None:
        """Do one thing the person asked for; a hint instead of an exception when it is wrong."""
        try:
            if isinstance(action, Send):
                self.console.echo(line)
                await self._settle(self.chat.send_text(action.text))
            elif isinstance(action, Press):
                await self._press(line, action)
            elif isinstance(action, SandboxKey):
                await self._sandbox_key(line, action)
        except Exception as exc:  # the sandbox must survive whatever the bot or the stand-in do
            self.console.say(f"! {type(exc).__name__}: {exc}", "")

    async def _press(self, line: str, press: Press) -> None:
        own = {m for m, stored in self.chat.record.messages.items() if not stored.from_bot}
        target = resolve_press(press, self.chat.messages(), own)
        if isinstance(target, str):
            self.console.echo(line)
            self.console.say(f"\u00bb {target}", "")
            return
        self.console.echo(line, note=_pressed(target))
        await self._settle(self.chat.press(target.message_id, target.index))

    async def _sandbox_key(self, line: str, key: SandboxKey) -> None:
        if key.name != "sticker":
            self.console.echo(line)
        if key.name == "help":
            self.console.say(*HELP_TEXT.splitlines(), "")
        elif key.name == "sticker":
            self.console.echo(line, note="sent a sticker")
            await self._settle(self.chat.send_sticker())
        elif key.name == "pay":
            await self._pay()
        elif key.name == "show":
            message = self.chat.last_keyboard_message()
            shown = message_lines(message) if message else ["\u00bb No message has buttons yet."]
            self.console.say(*shown, "")
        else:
            self.console.say(
                f"\u00bb :{key.name} is not a sandbox key (:help lists them). To "
                f"send it to the bot, type :say {line.strip()}",
                "",
            )

    async def _pay(self) -> None:
        """Play Telegram's payment sheet for the latest invoice: a test address in the US,
        the first shipping option, confirm."""
        invoice = next((m for m in reversed(self.chat.messages()) if "invoice" in m), None)
        if invoice is None:
            self.console.say("\u00bb No invoice yet: press Buy now or Checkout first.", "")
            return
        address = {
            "country_code": "US",
            "state": "CA",
            "city": "San Francisco",
            "street_line1": "1 Market St",
            "street_line2": "",
            "post_code": "94105",
        }
        info: dict[str, object] = {
            "name": "Sandbox Buyer",
            "phone_number": "+15550100",
            "shipping_address": address,
        }
        await self._settle(self.chat.pay(invoice, order_info=info))
        for _ in range(20):  # the pre-checkout and the payment follow as their own updates
            await asyncio.sleep(0.1)
            more = self.feed.drain()
            if more:
                self.console.show([*more, ""])

    async def _settle(self, update: dict[str, object]) -> None:
        """Wait until the bot is done with ``update`` (or the timeout), then show the changes."""
        update_id = int(str(update["update_id"]))
        self._busy = True
        try:
            finished = self._done.setdefault(update_id, asyncio.Event())
            done = await self._unless_stopped(finished.wait(), timeout=UPDATE_TIMEOUT)
            self._done.pop(update_id, None)
            if done is None and not self.stop.is_set():
                self.console.say(
                    f"! The bot has not finished after {UPDATE_TIMEOUT:g} s; "
                    "here is what it did so far."
                )
            self.console.show(self.feed.drain())
        finally:
            self._busy = False
        self.console.say("")

    def _update_done(self, update_id: int) -> None:
        self._done.setdefault(update_id, asyncio.Event()).set()

    async def _watch(self) -> None:
        """Show what arrives between updates (a late reply, a timed-out update finishing)."""
        while True:
            await asyncio.sleep(WATCH_INTERVAL)
            if not self._busy:
                lines = self.feed.drain()
                if lines:
                    self.console.show([*lines, ""])

    async def _unless_stopped(
        self, awaitable: Awaitable[T], timeout: float | None = None
    ) -> T | None:
        """``awaitable``'s result, or None when Ctrl-C (or the timeout) comes first."""
        task = asyncio.ensure_future(awaitable)
        stopper = asyncio.ensure_future(self.stop.wait())
        try:
            done, _ = await asyncio.wait(
                {task, stopper}, timeout=timeout, return_when=asyncio.FIRST_COMPLETED
            )
        finally:
            stopper.cancel()
        if task in done:
            return task.result()
        task.cancel()
        return None


def _pressed(target: PressTarget) -> str:
    return f"pressed \u201c{target.text}\u201d on #{target.message_id}"


@contextlib.contextmanager
def _quiet_logging() -> Iterator[None]:
    """WARNING and above only while the chat is on screen: INFO lines would break it up."""
    root = logging.getLogger()
    previous = root.level
    root.setLevel(max(previous, logging.WARNING))
    try:
        yield
    finally:
        root.setLevel(previous)


@contextlib.contextmanager
def _signals_set(stop: asyncio.Event) -> Iterator[None]:
    """Ctrl-C (and SIGTERM) end the session through ``stop``, so the shop shuts down cleanly
    instead of a KeyboardInterrupt tearing through the middle of a request."""
    loop = asyncio.get_running_loop()
    installed: list[signal.Signals] = []
    for sig in (signal.SIGINT, signal.SIGTERM):
        try:
            loop.add_signal_handler(sig, stop.set)
        except (NotImplementedError, RuntimeError, ValueError):  # Windows, or not main thread
            continue
        installed.append(sig)
    try:
        yield
    finally:
        for sig in installed:
            loop.remove_signal_handler(sig)
