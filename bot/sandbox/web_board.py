"""What the web sandbox's page shows: one column per demo person (and one for their group), each
the chat as it is now, kept up to date from the stand-in as the bot sends, edits and deletes.

A column is a list of items in the order they arrived: the bot's messages and the person's own
(an edit replaces its message in place, a deletion removes it) and the sandbox's notes (a toast,
the payment sheet, a hint). Every change bumps the column's ``version`` and wakes whoever waits
in ``changed`` (the page's event stream).
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Mapping
from dataclasses import dataclass, field

from bot.sandbox.people import GROUP_TITLE, People
from bot.sandbox.web_render import (
    WebAppLink,
    invoice_of,
    keyboard_of,
    media_of,
    menu_web_app,
    reply_keyboard_of,
    service_text,
    text_html,
)
from bot.standin import BotApiStandIn, ChatEvent

#: The page's route for a file the stand-in keeps.
MEDIA_ROUTE = "/media/"
#: The group's column is called this (the people's are their keys: ana, ben...).
GROUP_KEY = "group"
#: Methods whose ``reply_markup`` may set or remove the chat's reply keyboard.
_SENDING = ("send",)


@dataclass(slots=True)
class Column:
    """One chat on the page."""

    key: str
    title: str
    part: str
    chat_id: int
    link: WebAppLink | None
    items: dict[str, dict[str, object]] = field(default_factory=dict)
    reply_keyboard: list[list[str]] = field(default_factory=list)
    #: The Mini App of the chat's menu button (``setChatMenuButton``): its text and URL.
    menu: tuple[str, str] | None = None
    version: int = 0

    def view(self) -> dict[str, object]:
        return {
            "key": self.key,
            "title": self.title,
            "part": self.part,
            "version": self.version,
            "items": list(self.items.values()),
            "reply_keyboard": self.reply_keyboard,
            "menu": self._menu_view(),
        }

    def _menu_view(self) -> dict[str, str] | None:
        if self.menu is None or self.link is None:
            return None
        text, url = self.menu
        signed = self.link.url(url)
        return {"text": text, "url": signed} if signed else None


class Board:
    """Every column, fed by the stand-in's chat events and by the session's notes."""

    def __init__(self, standin: BotApiStandIn, people: People, bot_username: str) -> None:
        self.standin = standin
        self.bot_username = bot_username
        token = standin.token
        self.columns: dict[str, Column] = {}
        for person in people.people.values():
            user = person.chat.default_user
            link = WebAppLink(token, user.as_dict()) if user is not None else None
            self.columns[person.key] = Column(
                person.key, person.role.first_name, person.role.part, person.chat.id, link
            )
        group = people.group.chat
        self.columns[GROUP_KEY] = Column(
            GROUP_KEY, GROUP_TITLE, "the demo group: everyone is in it", group.id, None
        )
        self._by_chat = {column.chat_id: column for column in self.columns.values()}
        self._notes = itertools.count(1)
        self._revisions = itertools.count(1)
        self._call_cursor = len(standin.calls)
        #: Invoices whose price lines were not recorded yet when their message arrived.
        self._pending_invoices: set[tuple[str, int]] = set()
        self._changed = asyncio.Event()
        #: Goes up with every change in any column.
        self.version = 0
        standin.add_listener(self._event)

    def views(self) -> list[dict[str, object]]:
        return [column.view() for column in self.columns.values()]

    async def changed(self, seen: int, timeout: float) -> bool:
        """Wait until ``version`` differs from ``seen`` (True) or ``timeout`` passes (False)."""
        if self.version != seen:
            return True
        event = self._changed
        try:
            await asyncio.wait_for(event.wait(), timeout)
        except TimeoutError:
            return False
        return True

    def note(self, key: str, lines: list[str]) -> None:
        """A note in ``key``'s column: a toast or alert, the payment sheet, a hint, an error."""
        column = self.columns.get(key)
        text = "\n".join(line.strip() for line in lines if line.strip())
        if column is None or not text:
            return
        tone, text = _tone(text)
        number = next(self._notes)
        column.items[f"n{number}"] = {
            "key": f"n{number}",
            "rev": next(self._revisions),
            "from": "note",
            "tone": tone,
            "text": text,
        }
        self._touch(column)

    def scan_calls(self) -> None:
        """Follow reply keyboards: Telegram does not echo them in the message, so they are
        read from the bot's send calls."""
        self._complete_invoices()
        calls = self.standin.calls[self._call_cursor :]
        self._call_cursor += len(calls)
        for call in calls:
            if call.ok and call.method == "setChatMenuButton":
                self._menu_button(call.params)
            if not call.ok or not call.method.startswith(_SENDING):
                continue
            column = self._by_chat.get(_int(call.params.get("chat_id")))
            keyboard = reply_keyboard_of(call.params.get("reply_markup"))
            if column is not None and keyboard is not None and keyboard != column.reply_keyboard:
                column.reply_keyboard = keyboard
                self._touch(column)

    def _menu_button(self, params: Mapping[str, object]) -> None:
        """A menu button for one chat, or (without ``chat_id``) every private chat's default:
        a Mini App's is shown beside the text box."""
        menu = menu_web_app(params.get("menu_button"))
        chat = params.get("chat_id")
        if chat is not None:
            targets = [c for c in [self._by_chat.get(_int(chat))] if c is not None]
        else:
            targets = [c for c in self.columns.values() if c.key != GROUP_KEY]
        for column in targets:
            if column.menu != menu:
                column.menu = menu
                self._touch(column)

    def _complete_invoices(self) -> None:
        """The stand-in records an invoice's price lines just after its message is stored:
        add them to the invoices that came without."""
        for key, message_id in list(self._pending_invoices):
            column = self.columns[key]
            item = column.items.get(f"m{message_id}")
            record = self.standin.state.invoices.get((column.chat_id, message_id))
            if item is None:
                self._pending_invoices.discard((key, message_id))
            elif record is not None:
                self._pending_invoices.discard((key, message_id))
                stored = column_message(self.standin, column.chat_id, message_id)
                if stored is not None:
                    item["invoice"] = invoice_of(stored, record.prices, record.is_flexible)
                    item["rev"] = next(self._revisions)
                    self._touch(column)

    def _event(self, event: ChatEvent) -> None:
        column = self._by_chat.get(event.chat_id)
        if column is None:
            return
        key = f"m{event.message_id}"
        if event.kind == "deleted" or event.message is None:
            if column.items.pop(key, None) is None:
                return
        else:
            column.items[key] = self._message_item(column, event)
        self._touch(column)

    def _message_item(self, column: Column, event: ChatEvent) -> dict[str, object]:
        message = event.message or {}
        mine = event.kind == "incoming"
        service = service_text(message)
        if service is not None:
            return {
                "key": f"m{event.message_id}",
                "rev": next(self._revisions),
                "from": "note",
                "tone": "service",
                "text": service,
            }
        text = message.get("text")
        entities = message.get("entities")
        if not isinstance(text, str):
            text = message.get("caption")
            entities = message.get("caption_entities")
        record = self.standin.state.invoices.get((column.chat_id, event.message_id))
        invoice = invoice_of(
            message,
            record.prices if record else [],
            record.is_flexible if record else False,
        )
        if invoice is not None and record is None:
            self._pending_invoices.add((column.key, event.message_id))
        sender = message.get("from")
        return {
            "key": f"m{event.message_id}",
            "rev": next(self._revisions),
            "from": "me" if mine else "bot",
            "sender": _first_name(sender) if mine and column.key == GROUP_KEY else "",
            "message_id": event.message_id,
            "edited": event.kind == "edited",
            "html": text_html(text, entities) if isinstance(text, str) else "",
            "media": media_of(message, MEDIA_ROUTE),
            "keyboard": keyboard_of(message, self.bot_username, column.link),
            "invoice": invoice,
        }

    def wake(self) -> None:
        """Wake whoever waits in ``changed`` (the sandbox is stopping)."""
        event, self._changed = self._changed, asyncio.Event()
        event.set()

    def _touch(self, column: Column) -> None:
        column.version += 1
        self.version += 1
        self.wake()


def column_message(
    standin: BotApiStandIn, chat_id: int, message_id: int
) -> dict[str, object] | None:
    """The message as the stand-in keeps it now."""
    record = standin.state.chats.get(chat_id)
    stored = record.messages.get(message_id) if record is not None else None
    return stored.message if stored is not None else None


def _tone(text: str) -> tuple[str, str]:
    """What kind of note ``text`` is, from how the terminal words it, and the text to show."""
    for prefix, tone in (("bot (toast) ", "toast"), ("bot (alert) ", "alert")):
        if text.startswith(prefix):
            return tone, text[len(prefix) :]
    if text.startswith("bot ("):
        return "info", text[len("bot (") :].replace(")", ":", 1)
    if text.startswith("!"):
        return "error", text.lstrip("! ")
    return "hint", text.lstrip("\u00bb ").strip("() ")


def _first_name(user: object) -> str:
    return str(user.get("first_name", "")) if isinstance(user, Mapping) else ""


def _int(value: object) -> int:
    try:
        return int(str(value))
    except ValueError:
        return 0
