"""``storefront sandbox``: chat with the whole shop in a terminal, no token, no internet.

The shop runs exactly as ``storefront run`` runs it (real framework, long polling over HTTP,
real database, the outbox, drop sender and scheduler beside it) against the local Bot API
stand-in; the person at the keyboard plays the demo people in turn (``:as ben``). Each line
becomes a message, a file or a button press, and after each one the sandbox waits until the bot
has finished with that update before it prints what changed, so the transcript reads in order.
What the bot sends on its own (a drop, a notice) is printed as it arrives: in full for the
current person, as a one-line count for the others.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import sys
import time
from collections.abc import Awaitable, Iterator
from pathlib import Path
from typing import TypeVar

from bot.config import Settings
from bot.sandbox.commands import (
    HELP_TEXT,
    KEYS,
    Nothing,
    Press,
    PressTarget,
    Quit,
    SandboxKey,
    Send,
    parse_line,
    resolve_press,
    start_payload,
)
from bot.sandbox.console import Console
from bot.sandbox.media import (
    DEFAULT_FOLDER,
    MediaFolder,
    Outgoing,
    private_folder,
    read_outgoing,
)
from bot.sandbox.people import CAST, FIRST, GROUP_TITLE, People, Person
from bot.sandbox.render import message_lines
from bot.sandbox.shop import SANDBOX_BOT_USERNAME, SandboxShop, database_label, open_shop
from bot.standin import RecordedCall, SimChat
from bot.standin.json_types import JsonObject
from bot.telegram.runner import Framework

T = TypeVar("T")

#: How long one update may take before the prompt comes back anyway (a bug must not hang us).
UPDATE_TIMEOUT = 15.0
#: How often to look for changes that arrive late, while the person is typing.
WATCH_INTERVAL = 0.25
#: ``:wait`` without a number waits at most this long for the background to finish.
WAIT_SECONDS = 10.0
#: How long ``:as`` waits for the outbox's run under way before switching.
SWITCH_PATIENCE = 2.0
#: ``:wait`` is over once the bot has made no call for this long.
QUIET_SECONDS = 0.4
FRAMEWORKS: tuple[Framework, ...] = ("aiogram", "ptb")
FRAMEWORK_NAMES: dict[Framework, str] = {"aiogram": "aiogram", "ptb": "python-telegram-bot"}


def language_from_env() -> str:
    """``zh`` for a Chinese ``LANG`` (zh_CN.UTF-8, zh_TW...), otherwise ``en``: the shop's two."""
    return "zh" if os.environ.get("LANG", "").lower().startswith("zh") else "en"


def banner(framework: Framework, language: str, files: Path) -> list[str]:
    """What this is, who is here, and how to talk, press buttons, send files and leave."""
    people = ", ".join(f"{role.key} ({role.part.split(':')[0]})" for role in CAST)
    return [
        f"Storefront sandbox: the whole shop on {FRAMEWORK_NAMES[framework]}, with a local "
        "stand-in for Telegram",
        f"(no token, no internet). People: {people}; language: {language}.",
        f"You are {FIRST.key}. :as NAME switches (:as max for the merchant's /admin), "
        f":who lists everyone; :group TEXT talks in their group chat, {GROUP_TITLE}.",
        "Anything you type is sent as a message, numbers too (/start, /catalog, sneakers, 5).",
        "Press a button by its number in brackets: [3] = button 3 of the latest message with "
        "buttons, [5.2] = button 2 of #5.",
        f"Media the bot sends is saved under {files}/; :photo, :video, :file PATH (or demo) "
        "send one.",
        ":help lists the sandbox's keys. /quit, :q or Ctrl-D leaves.",
    ]


async def run_sandbox(
    settings: Settings,
    *,
    framework: str,
    database_url: str | None = None,
    files: Path | None = None,
    console: Console | None = None,
) -> int:
    """Run the sandbox until the person leaves; 0 then, 1 if the shop could not run.

    ``console`` defaults to this process's stdin and stdout; tests pass their own streams.
    """
    if framework not in FRAMEWORKS:
        print(
            f"storefront sandbox: the framework must be aiogram or ptb, not {framework!r}",
            file=sys.stderr,
        )
        return 2
    chosen: Framework = "ptb" if framework == "ptb" else "aiogram"
    console = console or Console()
    folder = files if files is not None else Path(DEFAULT_FOLDER)
    try:
        private_folder(folder)
    except OSError as exc:
        print(
            f"storefront sandbox: cannot use {folder} for the bot's files "
            f"({exc.strerror or exc}); choose another with --files DIR",
            file=sys.stderr,
        )
        return 1
    stop = asyncio.Event()
    language = language_from_env()
    started = False
    with _quiet_logging(), _signals_set(stop):
        console.say(*banner(chosen, language, folder), "", "Starting the shop...")
        try:
            async with open_shop(settings, chosen, database_url) as shop:
                started = True
                media = MediaFolder(shop.standin, folder)
                if not stop.is_set():  # Ctrl-C while starting: straight to the clean stop
                    console.say(f"Database: {database_label(shop)}.", "Ready. Try /start.", "")
                    session = Session(shop, console, stop, language, media)
                    await session.run()
        except Exception as exc:
            stage = "stopping" if started else "starting"
            print(f"storefront sandbox: failed while {stage} the shop: {exc}", file=sys.stderr)
            return 1
    console.say("Sandbox closed.")
    return 0


class Session:
    """The demo people's chats with the bot: read a line, act on it, wait, show what changed."""

    def __init__(
        self,
        shop: SandboxShop,
        console: Console,
        stop: asyncio.Event,
        language: str,
        media: MediaFolder,
    ) -> None:
        self.shop = shop
        self.console = console
        self.stop = stop
        self.media = media
        self.people = People.create(shop.standin, language, media)
        console.who = self.person.key
        self._done: dict[int, asyncio.Event] = {}
        shop.app.storefront.on_update_done.append(self._update_done)
        shop.on_dropped.append(self._dropped)
        #: True while an update is in flight: its changes are shown when it is done, not before.
        self._busy = False
        #: How many of the stand-in's rule violations were shown.
        self._violations = len(shop.standin.violations)

    @property
    def person(self) -> Person:
        return self.people.current

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
        self._show_changes()  # whatever a slow update delivered after its timeout

    async def _act(self, line: str, action: Send | Press | SandboxKey | Nothing) -> None:
        """Do one thing the person asked for; a hint instead of an exception when it is wrong."""
        try:
            if isinstance(action, Send):
                self.console.echo(line)
                await self._settle(self.person.chat.send_text(action.text))
            elif isinstance(action, Press):
                await self._press(line, action)
            elif isinstance(action, SandboxKey):
                await self._sandbox_key(line, action)
        except Exception as exc:  # the sandbox must survive whatever the bot or the stand-in do
            self.console.say(f"! {type(exc).__name__}: {exc}", "")

    async def _press(self, line: str, press: Press, *, in_group: bool = False) -> None:
        """Press a button in the person's chat with the bot, or (``in_group``) in the group."""
        chat = self.people.group.chat if in_group else self.person.chat
        user = self.person.chat.default_user
        own = {m for m, stored in chat.record.messages.items() if not stored.from_bot}
        target = resolve_press(press, chat.messages(), own, SANDBOX_BOT_USERNAME)
        if isinstance(target, str):
            self.console.echo(line)
            self.console.say(f"\u00bb {target}", "")
            return
        url = target.button.get("url")
        if isinstance(url, str):
            await self._follow(line, url)
            return
        self.console.echo(line, note=_pressed(target))
        if target.button.get("pay") is True:
            await self._pay(target.message_id)
            return
        await self._settle(chat.press(target.message_id, target.index, from_user=user))

    async def _follow(self, line: str, url: str) -> None:
        """A link to the bot, as Telegram follows it: ``start`` opens the person's chat with the
        bot and sends ``/start PAYLOAD``; ``startgroup`` adds the bot to a group (the demo
        group) and sends ``/start@bot PAYLOAD`` there."""
        payload = start_payload(url, SANDBOX_BOT_USERNAME)
        if payload is not None:
            self.console.echo(line, note=f"opened the link: sends /start {payload}")
            await self._settle(self.person.chat.send_text(f"/start {payload}"))
            return
        payload = start_payload(url, SANDBOX_BOT_USERNAME, "startgroup") or ""
        command = f"/start@{SANDBOX_BOT_USERNAME} {payload}"
        self.console.echo(line, note=f"picked the group {GROUP_TITLE}: sends {command} there")
        group = self.people.group.chat
        await self._settle(group.send_text(command, from_user=self.person.chat.default_user))

    async def _group(self, line: str, argument: str) -> None:
        """``:group TEXT`` says TEXT in the demo group; ``:group [3]`` presses a button there."""
        action = parse_line(argument)
        if isinstance(action, Press):
            await self._press(line, action, in_group=True)
        elif isinstance(action, Send) and not argument.strip().startswith(":"):
            self.console.echo(line)
            group = self.people.group.chat
            user = self.person.chat.default_user
            await self._settle(group.send_text(action.text, from_user=user))
        else:
            self.console.echo(line)
            self.console.say(
                f"\u00bb :group TEXT says TEXT in {GROUP_TITLE} as {self.person.key}; "
                ":group [3] presses button 3 of its latest message with buttons.",
                "",
            )

    async def _sandbox_key(self, line: str, key: SandboxKey) -> None:
        name = key.name
        if name == "group":
            await self._group(line, key.argument)
            return
        self.console.echo(line)
        if name not in KEYS:
            self.console.say(
                f"\u00bb :{name} is not a sandbox key (:help lists them). To "
                f"send it to the bot, type :say {line.strip()}",
                "",
            )
        elif name == "help":
            self.console.say(*HELP_TEXT.splitlines(), f"The media folder: {self.media.root}", "")
        elif name in ("who", "people"):
            self.console.say(*self.people.listing(), "")
        elif name == "as":
            await self._switch(key.argument)
        elif name in ("photo", "video", "file"):
            await self._send_file("document" if name == "file" else name, key.argument)
        elif name == "sticker":
            await self._settle(self.person.chat.send_sticker())
        elif name == "pay":
            await self._pay()
        elif name == "wait":
            await self._wait(key.argument)
        elif name == "show":
            message = self.person.chat.last_keyboard_message()
            shown = message_lines(message) if message else ["\u00bb No message has buttons yet."]
            self.console.say(*shown, "")

    async def _switch(self, name: str) -> None:
        if not name:
            self.console.say("\u00bb Say who: :as ana, :as ben, :as lea or :as max.", "")
            return
        person = self.people.find(name)
        if person is None:
            known = ", ".join(role.key for role in CAST)
            self.console.say(f"\u00bb There is nobody called {name!r} here; try {known}.", "")
            return
        # A notice the last update queued (a shipped order, a filled group) is on its way
        # through the outbox: let it arrive, so the new person's chat is complete.
        self._busy = True
        try:
            await self._bounded(self.shop.app.worker.idle(), time.monotonic() + SWITCH_PATIENCE)
        finally:
            self._busy = False
        previous = self.person.feed.drain()  # what the previous person still had coming
        if previous:
            self.console.show([*previous, ""])
        self.people.switch(person)
        self.console.who = person.key
        self.console.say(
            f"You are now {person.key} ({person.role.first_name}, {person.role.part}).",
        )
        lines = person.feed.drain()
        if lines:
            self.console.show(["What arrived for you:", *lines])
        else:
            self.console.say("Nothing new in your chat.")
        self.console.say("")

    async def _send_file(self, kind: str, argument: str) -> None:
        path, _, caption = argument.strip().partition(" ")
        found = read_outgoing(kind, path)
        if isinstance(found, str):
            self.console.say(f"\u00bb {found}", "")
            return
        self.console.say(f"  (sent {_kind_name(kind)}: {found.file_name})")
        await self._settle(_file_update(self.person.chat, kind, found, caption.strip() or None))

    async def _pay(self, message_id: int | None = None) -> None:
        """Play Telegram's payment sheet for the invoice ``message_id`` (the latest one by
        default): a test address in the US, the first shipping option, confirm."""
        chat = self.person.chat
        invoices = [m for m in chat.messages() if "invoice" in m]
        if message_id is not None:
            invoices = [m for m in invoices if m.get("message_id") == message_id]
        invoice = invoices[-1] if invoices else None
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
        self.console.say(
            "  (the payment sheet: a test card, a US address, the first shipping option)"
        )
        info: dict[str, object] = {
            "name": f"{self.person.role.first_name} Sandbox",
            "phone_number": "+15550100",
            "shipping_address": address,
        }
        # The shipping query, the pre-checkout and the payment follow as their own updates:
        # each is pushed by the stand-in while the bot answers the one before.
        self._busy = True
        try:
            update = chat.pay(invoice, order_info=info)
            await self._settle(update, blank=False)
            seen = int(str(update["update_id"]))
            updates = self.shop.standin.state.updates
            while updates.last_id > seen and not self.stop.is_set():
                seen += 1
                await self._settle({"update_id": seen}, blank=False)
        finally:
            self._busy = False
        self.console.say("")

    async def _wait(self, argument: str) -> None:
        """Let the background catch up: the outbox and due drops run now (as their jobs would
        within seconds), then the sandbox waits until the bot has been quiet for a moment."""
        try:
            limit = float(argument) if argument else WAIT_SECONDS
        except ValueError:
            self.console.say(f"\u00bb :wait takes a number of seconds, not {argument!r}.", "")
            return
        limit = min(max(limit, 0.0), 120.0)
        deadline = time.monotonic() + limit
        app = self.shop.app
        self._busy = True  # all of it at the end, in order, rather than piecemeal
        try:
            for _ in range(3):  # a drop's last batch queues notices: they go in the next round
                app.worker.kick()
                await app.drops.resume_all()
                await self._bounded(app.drops.idle(), deadline)
                await self._bounded(app.worker.idle(), deadline)
                await self._quiet(max(0.0, deadline - time.monotonic()))
        finally:
            self._busy = False
        self._show_changes(blank=False)
        self.console.say("")

    async def _bounded(self, awaitable: Awaitable[None], deadline: float) -> None:
        left = deadline - time.monotonic()
        if left <= 0:
            return
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(awaitable, left)

    async def _quiet(self, limit: float) -> None:
        """Return once no Bot API call came for ``QUIET_SECONDS`` (or after ``limit``)."""
        end = time.monotonic() + limit
        calls = self.shop.standin.calls
        count, since = len(calls), time.monotonic()
        while time.monotonic() < end:
            await asyncio.sleep(0.05)
            now_count = len(self.shop.standin.calls)
            if _busy_calls(self.shop.standin.calls[count:now_count]):
                since = time.monotonic()
            count = now_count
            if time.monotonic() - since >= QUIET_SECONDS:
                return

    async def _settle(self, update: JsonObject, *, blank: bool = True) -> None:
        """Wait until the bot is done with ``update`` (or the timeout), then show the changes
        (and a blank line after them, unless more is to come)."""
        update_id = int(str(update["update_id"]))
        busy, self._busy = self._busy, True
        try:
            finished = self._done.setdefault(update_id, asyncio.Event())
            done = await self._unless_stopped(finished.wait(), timeout=UPDATE_TIMEOUT)
            self._done.pop(update_id, None)
            if done is None and not self.stop.is_set():
                self.console.say(
                    f"! The bot has not finished after {UPDATE_TIMEOUT:g} s; "
                    "here is what it did so far."
                )
            self._show_changes(blank=False)
        finally:
            self._busy = busy
        if blank:
            self.console.say("")

    def _show_changes(self, *, blank: bool = True) -> None:
        """The current person's new lines in full, a count for each of the others, and any
        Bot API rule the bot broke."""
        violations = self.shop.standin.violations[self._violations :]
        self._violations += len(violations)
        items = [*self.person.feed.drain_items(), *self.people.group.feed.drain_items()]
        items.sort(key=lambda item: (item[0], item[1]))
        lines = [
            *(line for _, _, chunk in items for line in chunk),
            *self.people.notifications(),
            *(f"! the stand-in says the bot broke a Bot API rule: {v}" for v in violations),
        ]
        if lines:
            self.console.show([*lines, ""] if blank else lines)

    def _update_done(self, update_id: int) -> None:
        self._done.setdefault(update_id, asyncio.Event()).set()

    def _dropped(self, update_id: int) -> None:
        """The flood gate dropped an update, as it would in production: say so, and stop
        waiting for replies that will not come."""
        self.console.say(
            "\u00bb The shop's flood gate dropped that: more than FLOOD_RATE updates from one "
            "chat within FLOOD_WINDOW_SECONDS (FLOOD_RATE=0 turns it off)."
        )
        self._update_done(update_id)

    async def _watch(self) -> None:
        """Show what arrives between updates (a drop, a notice, a timed-out update finishing)."""
        while True:
            await asyncio.sleep(WATCH_INTERVAL)
            if not self._busy:
                self._show_changes()

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


def _file_update(chat: SimChat, kind: str, found: Outgoing, caption: str | None) -> JsonObject:
    if kind == "photo":
        return chat.send_photo(caption=caption, content=found.content, file_name=found.file_name)
    if kind == "video":
        return chat.send_video(caption=caption, content=found.content, file_name=found.file_name)
    return chat.send_document(found.content, found.file_name, caption=caption)


def _kind_name(kind: str) -> str:
    return {"photo": "a photo", "video": "a video"}.get(kind, "a file")


def _busy_calls(calls: list[RecordedCall]) -> bool:
    """Whether any of ``calls`` is the bot doing something (a long poll is just waiting)."""
    return any(call.method != "getUpdates" for call in calls)


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
