"""Turning a Telegram message into a conversation event, for both frameworks.

aiogram's and python-telegram-bot's ``Message`` objects share the Bot API's field names
(``text``, ``chat.type``, ``from_user``, ``sticker``...), so one duck-typed reader serves both.
"""

from __future__ import annotations

from typing import Any

from bot.conversation.delivery import Sent
from bot.conversation.events import (
    ButtonPress,
    Chat,
    ChatKind,
    ChosenInline,
    Command,
    Event,
    InlineQuery,
    MessageKind,
    PaymentDone,
    Person,
    PreCheckout,
    ShippingQuery,
    Text,
    Unsupported,
)
from bot.telegram.commands import split_command

#: Message fields we recognise but cannot act on yet, in the order we look for them.
_UNSUPPORTED = (
    "sticker",
    "photo",
    "video",
    "animation",
    "voice",
    "video_note",
    "audio",
    "document",
    "location",
    "contact",
    "poll",
    "dice",
)


def person_of(user: Any) -> Person:
    return Person(user.id, user.first_name or "", user.username, user.language_code)


def chat_of(chat: Any) -> Chat | None:
    try:
        kind = ChatKind(str(chat.type))
    except ValueError:
        return None
    return Chat(chat.id, kind)


def message_event(update_id: int, message: Any, bot_username: str | None) -> Event | None:
    """The event a new message stands for; None for what the shop ignores (service messages,
    channel posts, commands addressed to another bot)."""
    user = message.from_user
    chat = chat_of(message.chat)
    if user is None or user.is_bot or chat is None or chat.kind is ChatKind.CHANNEL:
        return None
    person = person_of(user)
    paid = getattr(message, "successful_payment", None)
    if paid is not None:
        return PaymentDone(
            update_id,
            person,
            chat,
            payload=paid.invoice_payload,
            currency=paid.currency,
            total_amount=paid.total_amount,
            telegram_charge_id=paid.telegram_payment_charge_id,
            provider_charge_id=paid.provider_payment_charge_id or "",
            shipping_option_id=paid.shipping_option_id,
            order_info=_plain(paid.order_info),
        )
    text = message.text
    if text is not None:
        if text.startswith("/"):
            command = split_command(text, bot_username)
            if command is None:
                return None
            return Command(update_id, person, chat, command[0], command[1])
        reply = message.reply_to_message
        to_bot = bool(
            reply is not None
            and reply.from_user is not None
            and bot_username
            and (reply.from_user.username or "").lower() == bot_username.lower()
        )
        reply_to = int(reply.message_id) if to_bot and reply is not None else None
        return Text(update_id, person, chat, text, replies_to_bot=to_bot, reply_to=reply_to)
    if getattr(message, "photo", None):  # the largest size; a review may be a photo
        file_id = str(message.photo[-1].file_id)
        return Unsupported(update_id, person, chat, "photo", file_id, message.caption or "")
    if getattr(message, "video", None):  # a merchant's teaser for a new product
        file_id = str(message.video.file_id)
        return Unsupported(update_id, person, chat, "video", file_id, message.caption or "")
    for field in _UNSUPPORTED:
        if getattr(message, field, None):
            return Unsupported(update_id, person, chat, field)
    return None


def message_kind_of(message: Any) -> MessageKind | None:
    """What the message under a button is; None when Telegram no longer shows it to bots."""
    if message is None:
        return None
    if getattr(message, "video", None):
        return MessageKind.VIDEO
    if getattr(message, "photo", None):
        return MessageKind.PHOTO
    if getattr(message, "text", None) is not None:
        return MessageKind.TEXT
    return MessageKind.OTHER


def press_event(update_id: int, query: Any) -> ButtonPress:
    message = query.message
    return ButtonPress(
        update_id=update_id,
        person=person_of(query.from_user),
        chat=chat_of(message.chat) if message is not None else None,
        callback_id=str(query.id),
        data=query.data or "",
        message_id=message.message_id if message is not None else None,
        message_kind=message_kind_of(message),
    )


def sent_of(message: Any) -> Sent | None:
    """What delivery needs from a sent or edited message: its id and its media's file_id.

    Edits of messages sent via inline mode return ``True`` instead of a message: None then.
    """
    if isinstance(message, bool) or message is None:
        return None
    file_id = None
    if getattr(message, "video", None):
        file_id = message.video.file_id
    elif getattr(message, "photo", None):
        file_id = message.photo[-1].file_id
    return Sent(message.message_id, file_id)


def _plain(value: Any) -> dict[str, object]:
    """A framework object (OrderInfo, ShippingAddress) as a plain dict of its Bot API fields."""
    if value is None:
        return {}
    if hasattr(value, "model_dump"):  # aiogram (pydantic)
        dumped: dict[str, object] = value.model_dump(exclude_none=True)
        return dumped
    return dict(value.to_dict())  # python-telegram-bot


def shipping_event(update_id: int, query: Any) -> ShippingQuery:
    return ShippingQuery(
        update_id,
        person_of(query.from_user),
        str(query.id),
        query.invoice_payload,
        str(query.shipping_address.country_code or ""),
    )


def inline_event(update_id: int, query: Any) -> InlineQuery:
    return InlineQuery(
        update_id,
        person_of(query.from_user),
        str(query.id),
        (query.query or "")[:256],
        query.offset or "",
    )


def chosen_event(update_id: int, chosen: Any) -> ChosenInline:
    """``chosen_inline_result``: the person posted one of the bot's inline results."""
    return ChosenInline(
        update_id,
        person_of(chosen.from_user),
        str(chosen.result_id),
        (chosen.query or "")[:256],
        chosen.inline_message_id,
    )


def pre_checkout_event(update_id: int, query: Any) -> PreCheckout:
    return PreCheckout(
        update_id,
        person_of(query.from_user),
        str(query.id),
        query.invoice_payload,
        query.currency,
        query.total_amount,
        query.shipping_option_id,
        _plain(query.order_info),
    )
