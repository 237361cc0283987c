"""The sandbox session: read a line, act on it (a message, a button, a file, a sandbox key such
as ``:as`` or ``:wait``), wait until the bot has finished, show what changed. The waiting and
the showing are ``Settling``'s (``bot/sandbox/settling.py``).
"""

from __future__ import annotations

import asyncio
import contextlib
import time

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
from bot.sandbox.media import Outgoing, read_outgoing
from bot.sandbox.people import CAST, GROUP_TITLE
from bot.sandbox.render import message_lines
from bot.sandbox.settling import Settling
from bot.sandbox.shop import SANDBOX_BOT_USERNAME
from bot.standin import SimChat, SimUser
from bot.standin.json_types import JsonObject

#: ``:wait`` without a number waits at most this long for the background to finish.
WAIT_SECONDS = 10.0
#: How long ``:as`` waits for the outbox's run under way before switching.
SWITCH_PATIENCE = 2.0


class Session(Settling):
    """The demo people's chats with the bot: read a line, act on it, wait, show what changed."""

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
        web_app = target.button.get("web_app")
        if isinstance(web_app, dict):  # a Mini App: a terminal cannot show it, a browser can
            self.console.echo(line, note=_pressed(target))
            self.console.say(f"\u00bb a Mini App: open {self._mini_app(str(web_app['url']))}", "")
            return
        self.console.echo(line, note=_pressed(target))
        if target.button.get("pay") is True:
            await self._pay(target.message_id)
            return
        await self._settle(chat.press(target.message_id, target.index, from_user=user))

    def _mini_app(self, url: str) -> str:
        """The dashboard's link signed in as the person (as Telegram opens it); another URL as
        it is."""
        person = self.person.chat.default_user
        if url != self.shop.dashboard_url or person is None:
            return url
        name, language = str(person.user["first_name"]), str(person.user.get("language_code"))
        return self.shop.dashboard_link(person.id, name, language) or url

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
        await self._settle(file_update(self.person.chat, kind, found, caption.strip() or None))

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


def file_update(
    chat: SimChat,
    kind: str,
    found: Outgoing,
    caption: str | None,
    from_user: SimUser | None = None,
) -> JsonObject:
    """The update for a person sending ``found`` as a photo, a video or a document."""
    if kind == "photo":
        return chat.send_photo(
            caption=caption, content=found.content, file_name=found.file_name, from_user=from_user
        )
    if kind == "video":
        return chat.send_video(
            caption=caption, content=found.content, file_name=found.file_name, from_user=from_user
        )
    return chat.send_document(found.content, found.file_name, caption=caption, from_user=from_user)


def _kind_name(kind: str) -> str:
    return {"photo": "a photo", "video": "a video"}.get(kind, "a file")


def _pressed(target: PressTarget) -> str:
    return f"pressed \u201c{target.text}\u201d on #{target.message_id}"
