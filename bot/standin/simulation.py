"""Simulated people and chats: the Telegram side that tests and the sandbox type into.

Updates are built exactly as Telegram builds them (a ``bot_command`` entity for ``/start``,
``/buy@shop_bot`` addressed commands, a callback query carrying the message as it is *now*, a
fresh query id, the chat's ``chat_instance``), so handlers see what production sends them.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Mapping

from bot.standin.chat_store import ChatRecord, StoredMessage
from bot.standin.html_markup import utf16_length
from bot.standin.json_types import JsonObject
from bot.standin.keyboards import ButtonSelector, inline_rows, pick_button
from bot.standin.payment_methods import start_payment
from bot.standin.state import StandInState

_COMMAND = re.compile(r"(?<!\S)/[A-Za-z0-9_]{1,32}(?:@[A-Za-z0-9_]{3,32})?")

# A message given by id, as a dict, or as an aiogram/PTB Message object (anything with
# a ``message_id`` attribute).
MessageRef = Mapping[str, object] | int | object


def message_id_of(message: MessageRef) -> int:
    """The message id of any of the accepted message references."""
    if isinstance(message, bool):
        msg = "a message reference cannot be a bool"
        raise TypeError(msg)
    if isinstance(message, int):
        return message
    if isinstance(message, Mapping):
        return int(str(message["message_id"]))
    found = getattr(message, "message_id", None)
    if not isinstance(found, int):
        msg = f"cannot tell the message id of {message!r}"
        raise TypeError(msg)
    return found


def command_entities(text: str) -> list[dict[str, object]]:
    """``bot_command`` entities for every ``/command`` (optionally ``@botname``) in a text."""
    return [
        {
            "type": "bot_command",
            "offset": utf16_length(text[: match.start()]),
            "length": utf16_length(match.group(0)),
        }
        for match in _COMMAND.finditer(text)
    ]


class SimUser:
    """A Telegram user who can write to the bot, use inline mode and pay."""

    def __init__(self, state: StandInState, user: dict[str, object]) -> None:
        self._state = state
        self.user = user

    @property
    def id(self) -> int:
        """The user's id."""
        return int(str(self.user["id"]))

    def as_dict(self) -> JsonObject:
        """The User object as it appears in updates."""
        return self.user

    def inline_query(
        self, query: str, *, offset: str = "", chat_type: str | None = "sender"
    ) -> JsonObject:
        """Type ``@bot query`` in some chat: an ``inline_query`` update."""
        record = self._state.new_query("inline_query", self.user)
        body: dict[str, object] = {
            "id": record.query_id,
            "from": self.user,
            "query": query,
            "offset": offset,
        }
        if chat_type:
            body["chat_type"] = chat_type
        return self._state.updates.push({"inline_query": body})

    def choose_inline_result(
        self, result_id: str, query: str, *, inline_message_id: str | None = None
    ) -> JsonObject:
        """Post one of the bot's inline results: a ``chosen_inline_result`` update (Telegram
        sends it only to bots with inline feedback on; ``inline_message_id`` only when the
        result had an inline keyboard)."""
        body: dict[str, object] = {"result_id": result_id, "from": self.user, "query": query}
        if inline_message_id is not None:
            body["inline_message_id"] = inline_message_id
        return self._state.updates.push({"chosen_inline_result": body})


class SimChat:
    """One chat as seen from Telegram's side: people write and press, the bot's messages pile
    up (and change) in it."""

    def __init__(self, state: StandInState, record: ChatRecord, default_user: SimUser | None):
        self._state = state
        self.record = record
        self.default_user = default_user

    @property
    def id(self) -> int:
        """The chat id (the user's id for private chats)."""
        return self.record.chat_id

    @property
    def chat(self) -> JsonObject:
        """The Chat object."""
        return self.record.chat

    # People act -----------------------------------------------------------------------

    def send_text(
        self, text: str, *, from_user: SimUser | None = None, reply_to: MessageRef | None = None
    ) -> JsonObject:
        """A person writes ``text``; commands get their ``bot_command`` entities."""
        content: dict[str, object] = {"text": text}
        entities = command_entities(text)
        if entities:
            content["entities"] = entities
        return self._incoming(content, from_user, reply_to)

    def send_sticker(
        self, *, emoji: str = "\N{THUMBS UP SIGN}", from_user: SimUser | None = None
    ) -> JsonObject:
        """A person sends a sticker."""
        stored = self._state.files.mint(
            "sticker", content=b"RIFF", file_name="sticker.webp", meta={"emoji": emoji}
        )
        return self._incoming({"sticker": self._state.files.describe(stored)}, from_user)

    def send_photo(
        self,
        *,
        caption: str | None = None,
        content: bytes = b"\xff\xd8\xff",
        from_user: SimUser | None = None,
        file_name: str = "photo.jpg",
    ) -> JsonObject:
        """A person sends a photo (one size)."""
        stored = self._state.files.mint(
            "photo", content=content, file_name=file_name, meta={"width": 800, "height": 600}
        )
        return self._incoming(
            self._with_caption({"photo": [self._state.files.describe(stored)]}, caption), from_user
        )

    def send_video(
        self,
        *,
        caption: str | None = None,
        content: bytes = b"\x00\x00\x00\x18ftyp",
        from_user: SimUser | None = None,
        file_name: str = "video.mp4",
    ) -> JsonObject:
        """A person sends a video with a freshly minted file_id."""
        stored = self._state.files.mint(
            "video",
            content=content,
            file_name=file_name,
            meta={"width": 640, "height": 360, "duration": 5},
        )
        return self._incoming(
            self._with_caption({"video": self._state.files.describe(stored)}, caption), from_user
        )

    def send_document(
        self,
        content: bytes,
        file_name: str,
        *,
        caption: str | None = None,
        from_user: SimUser | None = None,
    ) -> JsonObject:
        """A person sends a file as a document."""
        stored = self._state.files.mint("document", content=content, file_name=file_name)
        return self._incoming(
            self._with_caption({"document": self._state.files.describe(stored)}, caption),
            from_user,
        )

    def press(
        self, message: MessageRef, button: ButtonSelector, *, from_user: SimUser | None = None
    ) -> JsonObject:
        """A person presses an inline button (by text, flat index or (row, column))."""
        stored = self._stored(message)
        chosen = pick_button(stored.message, button)
        data = chosen.get("callback_data")
        if not isinstance(data, str):
            msg = (
                f"button {chosen.get('text')!r} has no callback_data "
                f"(it is {sorted(set(chosen) - {'text'})})"
            )
            raise LookupError(msg)
        return self._callback(stored, data, from_user)

    def press_data(
        self, message_id: MessageRef, data: str, *, from_user: SimUser | None = None
    ) -> JsonObject:
        """A callback query with arbitrary (possibly forged or stale) data."""
        return self._callback(self._stored(message_id), data, from_user)

    def pay(
        self,
        message: MessageRef,
        *,
        from_user: SimUser | None = None,
        order_info: dict[str, object] | None = None,
        shipping_option_id: str | None = None,
    ) -> JsonObject:
        """A person pays an invoice message: the shipping or pre-checkout query update."""
        stored = self._stored(message)
        invoice = self._state.invoices.get((self.id, stored.message_id))
        if invoice is None:
            msg = f"message {stored.message_id} in chat {self.id} is not an invoice"
            raise LookupError(msg)
        user = self._user(from_user)
        return start_payment(
            self._state,
            self.record,
            invoice,
            user.as_dict(),
            order_info=order_info,
            shipping_option_id=shipping_option_id,
        )

    # What the bot left in the chat -------------------------------------------------------

    def messages(self) -> list[JsonObject]:
        """The bot's messages as they are now (after edits, without deleted ones), in order."""
        return [stored.message for stored in self.record.bot_messages()]

    def last_message(self) -> JsonObject | None:
        """The bot's most recent message still present."""
        found = self.messages()
        return found[-1] if found else None

    def last_keyboard_message(self) -> JsonObject | None:
        """The bot's most recent message that has an inline keyboard."""
        for message in reversed(self.messages()):
            if inline_rows(message):
                return message
        return None

    def stored(self, message_id: int) -> StoredMessage:
        """A message with its raw (pre-HTML-parsing) text."""
        return self._stored(message_id)

    # Internals --------------------------------------------------------------------------

    def _user(self, from_user: SimUser | None) -> SimUser:
        user = from_user or self.default_user
        if user is None:
            msg = f"chat {self.id} has no default user; pass from_user="
            raise ValueError(msg)
        return user

    @staticmethod
    def _with_caption(content: dict[str, object], caption: str | None) -> JsonObject:
        if caption:
            content["caption"] = caption
        return content

    def _stored(self, message: MessageRef) -> StoredMessage:
        message_id = message_id_of(message)
        stored = self.record.messages.get(message_id)
        if stored is None:
            msg = f"message {message_id} is not (or no longer) in chat {self.id}"
            raise LookupError(msg)
        return stored

    def _incoming(
        self,
        content: dict[str, object],
        from_user: SimUser | None,
        reply_to: MessageRef | None = None,
    ) -> JsonObject:
        if reply_to is not None:
            target = self._stored(reply_to).message
            content = {"reply_to_message": target, **content}
        if self.record.chat_type == "channel":
            stored = self._state.chats.store(self.record, content, sender=None, from_bot=False)
            return self._state.updates.push({"channel_post": stored.message})
        user = self._user(from_user)
        stored = self._state.chats.store(
            self.record, content, sender=user.as_dict(), from_bot=False
        )
        return self._state.updates.push({"message": stored.message})

    def _callback(self, stored: StoredMessage, data: str, from_user: SimUser | None) -> JsonObject:
        user = self._user(from_user)
        query = self._state.new_query(
            "callback_query", user.as_dict(), chat_id=self.id, message_id=stored.message_id
        )
        return self._state.updates.push(
            {
                "callback_query": {
                    "id": query.query_id,
                    "from": user.as_dict(),
                    "message": stored.message,
                    "chat_instance": self.record.chat_instance,
                    "data": data,
                }
            }
        )


def new_user(
    state: StandInState,
    user_id: int,
    first_name: str,
    *,
    username: str | None = None,
    language_code: str | None = "en",
    last_name: str | None = None,
) -> SimUser:
    """Create (or return) a simulated user and remember it for getChatMember."""
    user: dict[str, object] = {"id": user_id, "is_bot": False, "first_name": first_name}
    if last_name:
        user["last_name"] = last_name
    if username:
        user["username"] = username
    if language_code:
        user["language_code"] = language_code
    state.users[user_id] = user
    return SimUser(state, user)


def random_user_id() -> int:
    """A plausible user id for members created implicitly."""
    return 10**9 + secrets.randbelow(10**9)
