"""What happened in the chat, as the conversation layer sees it (framework-neutral)."""

from __future__ import annotations

from dataclasses import dataclass, field
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
    #: The id of that message of the bot's (a staff member answering a buyer's question).
    reply_to: int | None = None


@dataclass(frozen=True, slots=True)
class Unsupported:
    """A sticker, a voice note, a location...: something the shop cannot read yet (except a
    photo for a review, which carries its ``file_id`` and caption)."""

    update_id: int
    person: Person
    chat: Chat
    what: str
    file_id: str | None = None
    caption: str = ""


@dataclass(frozen=True, slots=True)
class ButtonPress:
    update_id: int
    person: Person
    chat: Chat | None
    callback_id: str
    data: str
    message_id: int | None
    message_kind: MessageKind | None


@dataclass(frozen=True, slots=True)
class ShippingQuery:
    """Telegram asks for shipping options for the address a buyer entered (flexible invoices)."""

    update_id: int
    person: Person
    query_id: str
    payload: str
    country_code: str
    chat: Chat | None = None


@dataclass(frozen=True, slots=True)
class PreCheckout:
    """The buyer confirmed the payment sheet; the bot has 10 seconds to say yes or no."""

    update_id: int
    person: Person
    query_id: str
    payload: str
    currency: str
    total_amount: int
    shipping_option_id: str | None = None
    #: Telegram's OrderInfo as a plain dict (name, phone_number, email, shipping_address).
    order_info: dict[str, object] = field(default_factory=dict)
    chat: Chat | None = None


@dataclass(frozen=True, slots=True)
class PaymentDone:
    """A ``successful_payment`` message: the money is taken."""

    update_id: int
    person: Person
    chat: Chat
    payload: str
    currency: str
    total_amount: int
    telegram_charge_id: str
    provider_charge_id: str = ""
    shipping_option_id: str | None = None
    order_info: dict[str, object] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class InlineQuery:
    """``@bot words`` typed in any chat (or a Share button that typed it)."""

    update_id: int
    person: Person
    query_id: str
    query: str
    offset: str = ""
    chat: Chat | None = None


@dataclass(frozen=True, slots=True)
class ChosenInline:
    """A person posted one of the bot's inline results (``chosen_inline_result``; Telegram
    sends these only when inline feedback is on in @BotFather)."""

    update_id: int
    person: Person
    result_id: str
    query: str
    inline_message_id: str | None = None
    chat: Chat | None = None


Event = (
    Command
    | Text
    | Unsupported
    | ButtonPress
    | ShippingQuery
    | PreCheckout
    | PaymentDone
    | InlineQuery
    | ChosenInline
)
