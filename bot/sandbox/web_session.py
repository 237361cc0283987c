"""The web sandbox's session: what people do on the page (a message, a button, a payment, a
file) goes through the terminal session's own machinery (``Session``: pressing, following links
to the bot, the payment sheet, sending files, waiting until the bot has finished), one action
at a time, as whoever acted. What the terminal would print becomes the page's columns
(``Board``) instead: messages from the stand-in as they change, toasts and hints as notes.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
from dataclasses import dataclass

from bot.sandbox.commands import Press, start_payload
from bot.sandbox.console import Console
from bot.sandbox.media import MediaFolder, Outgoing, read_outgoing
from bot.sandbox.session import Session, file_update
from bot.sandbox.shop import SANDBOX_BOT_USERNAME, SandboxShop
from bot.sandbox.web_board import GROUP_KEY, Board

#: Kinds of file a person can send from the page.
FILE_KINDS = ("photo", "video", "document")
_LINKS = ("start", "startgroup")


class WebConsole(Console):
    """The session's voice on the page: what the terminal would say (a hint, the payment sheet,
    an error) becomes a note in the column of whoever acted; nothing is printed."""

    def __init__(self) -> None:
        super().__init__(io.StringIO(), io.StringIO())
        self.board: Board | None = None

    def show(self, lines: list[str]) -> None:
        if self.board is not None:
            self.board.note(self.who, lines)

    def echo(self, line: str, note: str = "") -> None:
        """The page shows the person's own message; a press leaves no trace."""

    def prompt(self) -> None:
        """The page has a text box per person."""


@dataclass(frozen=True, slots=True)
class Act:
    """One thing a person did on the page.

    ``kind`` is ``text``, ``press``, ``pay``, ``file`` or ``link`` (a link to the bot in a
    message's text, followed as Telegram follows it); ``chat`` is ``private`` (the
    person's chat with the bot) or ``group``.
    """

    who: str
    kind: str
    chat: str = "private"
    text: str = ""
    message_id: int | None = None
    index: int = 0
    file_kind: str = "photo"
    file: Outgoing | None = None


class WebSession(Session):
    """The demo people's chats, driven from the page instead of the keyboard."""

    def __init__(
        self,
        shop: SandboxShop,
        console: WebConsole,
        stop: asyncio.Event,
        language: str,
        media: MediaFolder,
    ) -> None:
        super().__init__(shop, console, stop, language, media)
        self.board = Board(shop.standin, self.people, SANDBOX_BOT_USERNAME)
        console.board = self.board
        self._turn = asyncio.Lock()

    async def serve(self) -> None:
        """Keep the page's columns up to date until the sandbox stops."""
        watcher = asyncio.create_task(self._watch())
        try:
            await self.stop.wait()
        finally:
            self.board.wake()
            watcher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await watcher
        self._show_changes()

    async def act(self, act: Act) -> str | None:
        """Do ``act`` as its person and wait until the bot has finished with it; a reason
        instead when it cannot be done (nobody of that name, an empty message)."""
        person = self.people.find(act.who)
        if person is None:
            return f"There is nobody called {act.who!r} here."
        async with self._turn:
            self.people.switch(person)
            self.console.who = person.key
            try:
                return await self._do(act)
            except Exception as exc:  # the page must survive whatever the bot does
                self.console.say(f"! {type(exc).__name__}: {exc}")
                return None

    async def _do(self, act: Act) -> str | None:
        in_group = act.chat == GROUP_KEY
        chat = self.people.group.chat if in_group else self.person.chat
        user = self.person.chat.default_user
        if act.kind == "text":
            text = act.text.strip()
            if not text:
                return "Telegram does not send empty messages."
            await self._settle(chat.send_text(text, from_user=user), blank=False)
        elif act.kind == "press":
            if act.message_id is None:
                return "Say which message the button is on."
            press = Press(act.index + 1, message_id=act.message_id)
            await self._press("", press, in_group=in_group)
        elif act.kind == "link":
            if not any(start_payload(act.text, SANDBOX_BOT_USERNAME, p) for p in _LINKS):
                return "Only links to this shop's bot (t.me/…?start=…) are followed here."
            await self._follow("", act.text)
        elif act.kind == "pay":
            await self._pay(act.message_id)
        elif act.kind == "file":
            found = act.file or read_outgoing(act.file_kind, "demo")
            if isinstance(found, str):
                return found
            caption = act.text.strip() or None
            update = file_update(chat, act.file_kind, found, caption, user)
            await self._settle(update, blank=False)
        else:
            return f"Unknown action {act.kind!r}."
        return None

    def _show_changes(self, *, blank: bool = True) -> None:
        """Toasts, shipping options and refused payments (which the terminal reads from the
        call log) as notes in their column; messages reach the board from the stand-in."""
        violations = self.shop.standin.violations[self._violations :]
        self._violations += len(violations)
        for violation in violations:
            self.board.note(self.person.key, [f"! the bot broke a Bot API rule: {violation}"])
        chats = [(p.key, p.feed) for p in self.people.people.values()]
        chats.append((GROUP_KEY, self.people.group.feed))
        for key, feed in chats:
            for _, source, lines in feed.drain_items():
                if source == 1:  # from the call log; 0 is a message, already on the board
                    self.board.note(key, lines)
        self.board.scan_calls()
