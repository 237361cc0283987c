"""Chats the stand-in knows and the messages in each, as Telegram keeps them.

Message ids are per chat and shared by both sides of a conversation (a person's message and the
bot's answer get consecutive ids), and a stored message is replaced, never mutated, on edit: the
dicts already handed out in responses and recorded calls keep showing what was true then.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Literal

from bot.standin.errors import CHAT_NOT_FOUND, bad_request

ChatType = Literal["private", "group", "supergroup", "channel"]
ChatEventKind = Literal["sent", "edited", "deleted", "incoming"]


@dataclass(slots=True)
class StoredMessage:
    """A message plus what Telegram does not echo back: the raw text before HTML parsing."""

    message: dict[str, object]
    from_bot: bool
    raw_text: str | None = None
    parse_mode: str | None = None

    @property
    def message_id(self) -> int:
        """The id inside the chat."""
        return int(str(self.message["message_id"]))


@dataclass(frozen=True, slots=True)
class ChatEvent:
    """Something that happened to a message, for listeners such as the sandbox terminal."""

    kind: ChatEventKind
    chat_id: int
    message_id: int
    message: dict[str, object] | None


@dataclass(slots=True)
class ChatRecord:
    """One chat: its Chat object, its messages in order, and the pins."""

    chat: dict[str, object]
    chat_type: ChatType
    messages: dict[int, StoredMessage] = field(default_factory=dict)
    next_message_id: int = 1
    pinned: list[int] = field(default_factory=list)
    #: False when the bot is not an admin allowed to pin (``deny_pins``): pins answer 400.
    bot_can_pin: bool = True
    #: People who administer the group or channel (getChatMember says "administrator").
    admins: set[int] = field(default_factory=set)
    chat_instance: str = field(default_factory=lambda: str(secrets.randbits(62)))

    @property
    def chat_id(self) -> int:
        """The chat's numeric id (a user's id for private chats, negative for groups)."""
        return int(str(self.chat["id"]))

    def allocate_id(self) -> int:
        """The next message id in this chat."""
        message_id = self.next_message_id
        self.next_message_id += 1
        return message_id

    def bot_messages(self) -> Iterator[StoredMessage]:
        """The bot's messages still present, oldest first."""
        return (stored for stored in self.messages.values() if stored.from_bot)


class ChatRegistry:
    """Chats by id and @username, plus the listeners told about message changes."""

    def __init__(self) -> None:
        self._by_id: dict[int, ChatRecord] = {}
        self._by_username: dict[str, ChatRecord] = {}
        self._listeners: list[Callable[[ChatEvent], None]] = []

    def __iter__(self) -> Iterator[ChatRecord]:
        return iter(self._by_id.values())

    def add(self, chat: dict[str, object], chat_type: ChatType) -> ChatRecord:
        """Register a chat (or return the existing one with the same id)."""
        chat_id = int(str(chat["id"]))
        existing = self._by_id.get(chat_id)
        if existing is not None:
            return existing
        record = ChatRecord(chat=chat, chat_type=chat_type)
        self._by_id[chat_id] = record
        username = chat.get("username")
        if isinstance(username, str):
            self._by_username[username.lower()] = record
        return record

    def get(self, chat_id: int) -> ChatRecord | None:
        """The chat with this id, if known."""
        return self._by_id.get(chat_id)

    def resolve(self, chat_ref: object) -> ChatRecord:
        """The chat a ``chat_id`` parameter designates (an id or ``@username``), else a 400."""
        record: ChatRecord | None = None
        if isinstance(chat_ref, bool):
            record = None
        elif isinstance(chat_ref, int):
            record = self._by_id.get(chat_ref)
        elif isinstance(chat_ref, str):
            if chat_ref.startswith("@"):
                record = self._by_username.get(chat_ref[1:].lower())
            elif chat_ref.lstrip("-").isdigit():
                record = self._by_id.get(int(chat_ref))
        if record is None:
            raise bad_request(CHAT_NOT_FOUND)
        return record

    def add_listener(self, listener: Callable[[ChatEvent], None]) -> None:
        """Call ``listener`` for every message sent, edited, deleted or received."""
        self._listeners.append(listener)

    def remove_listener(self, listener: Callable[[ChatEvent], None]) -> None:
        """Stop calling ``listener``."""
        self._listeners.remove(listener)

    def store(
        self,
        record: ChatRecord,
        content: dict[str, object],
        *,
        sender: dict[str, object] | None,
        from_bot: bool,
        raw_text: str | None = None,
        parse_mode: str | None = None,
    ) -> StoredMessage:
        """Append a new message; a channel post carries ``sender_chat`` instead of ``from``."""
        message: dict[str, object] = {
            "message_id": record.allocate_id(),
            "date": int(time.time()),
            "chat": record.chat,
        }
        if record.chat_type == "channel":
            message["sender_chat"] = record.chat
        elif sender is not None:
            message["from"] = sender
        message.update(content)
        stored = StoredMessage(message, from_bot, raw_text, parse_mode)
        record.messages[stored.message_id] = stored
        self._notify("sent" if from_bot else "incoming", record, stored)
        return stored

    def replace(
        self,
        record: ChatRecord,
        previous: StoredMessage,
        message: dict[str, object],
        *,
        raw_text: str | None = None,
        parse_mode: str | None = None,
    ) -> StoredMessage:
        """Swap in the edited version of a message (a new dict, see the module docstring)."""
        stored = StoredMessage(message, previous.from_bot, raw_text, parse_mode)
        record.messages[previous.message_id] = stored
        self._notify("edited", record, stored)
        return stored

    def delete(self, record: ChatRecord, message_id: int) -> bool:
        """Remove a message; False when it was not there."""
        stored = record.messages.pop(message_id, None)
        if stored is None:
            return False
        if message_id in record.pinned:
            record.pinned.remove(message_id)
        for listener in self._listeners:
            listener(ChatEvent("deleted", record.chat_id, message_id, None))
        return True

    def _notify(self, kind: ChatEventKind, record: ChatRecord, stored: StoredMessage) -> None:
        for listener in self._listeners:
            listener(ChatEvent(kind, record.chat_id, stored.message_id, stored.message))
