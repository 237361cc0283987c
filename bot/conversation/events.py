"""What happened in the chat, as the conversation layer sees it (framework-neutral)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class ChatKind(StrEnum):
    PRIVATE = "private"
    GROUP = "group"
    SUPERGROUP = "supergroup"
    CHANNEL = "channel"

    @property
    def is_group(self) -> bool:
        return self in (ChatKind.GROUP, ChatKind.SUPERGROUP)


class MessageKind(StrEnum):
    """What the message under a pressed button is: decides how a card can be edited."""

    TEXT = "text"
    VIDEO = "video"
    PHOTO = "photo"
    OTHER = "other"


@dataclass(frozen=True, slots=True)
class Person:
    id: int
    first_name: str = ""
    username: str | None = None
    language_code: str | None = None


@dataclass(frozen=True, slots=True)
class Chat:
    id: int
    kind: ChatKind


@dataclass(frozen=True, slots=True)
class Command:
    """``/name args`` (``/name@ourbot`` arrives here without the suffix)."""

    update_id: int
    person: Person
    chat: Chat
    name: str
    args: str = ""


@dataclass(frozen=True, slots=True)
class Text:
    update_id: int
    person: Person
    chat: Chat
    text: str
    #: True when the message replies to one of the bot's own messages (matters in groups).
    replies_to_bot: bool = False


@dataclass(frozen=True, slots=True)
class Unsupported:
    """A sticker, a voice note, a location...: something the shop cannot read yet."""

    update_id: int
    person: Person
    chat: Chat
    what: str


@dataclass(frozen=True, slots=True)
class ButtonPress:
    update_id: int
    person: Person
    chat: Chat | None
    callback_id: str
    data: str
    message_id: int | None
    message_kind: MessageKind | None


Event = Command | Text | Unsupported | ButtonPress
