"""Methods that put a new message into a chat: sendMessage, the media sends, copies, forwards.

Every one of them answers with a complete Message as Telegram would (ids, date, chat, sender,
content, inline keyboard), because both frameworks parse the result into their own objects and
bots keep ``message_id`` and file_ids from it.
"""

from __future__ import annotations

import random
import secrets

from bot.standin.errors import bad_request
from bot.standin.message_content import (
    caption_fields,
    copied_content,
    markup_fields,
    media_fields,
    message_caption,
    message_text,
    reply_fields,
    text_fields,
)
from bot.standin.param_values import opt_dict, opt_int, opt_list, opt_str, req_int, req_str
from bot.standin.state import Handler, StandInState

CHAT_ACTIONS = frozenset(
    {
        "typing",
        "upload_photo",
        "record_video",
        "upload_video",
        "record_voice",
        "upload_voice",
        "upload_document",
        "choose_sticker",
        "find_location",
        "record_video_note",
        "upload_video_note",
    }
)
DICE_RANGES = {"🎲": 6, "🎯": 6, "🎳": 6, "🏀": 5, "⚽": 5, "🎰": 64}


def send_message(state: StandInState, params: dict[str, object]) -> object:
    """sendMessage: text with parse_mode/entities, keyboard, reply."""
    record = state.chats.resolve(params.get("chat_id"))
    parsed = message_text(params)
    content = {**reply_fields(record, params), **text_fields(parsed), **markup_fields(params)}
    stored = state.send_as_bot(record, content, raw_text=parsed.raw, parse_mode=parsed.parse_mode)
    return stored.message


def _media_sender(kind: str) -> Handler:
    """A handler for sendPhoto/sendVideo/...: the file, the caption, the keyboard."""

    def send_media(state: StandInState, params: dict[str, object]) -> object:
        record = state.chats.resolve(params.get("chat_id"))
        caption = message_caption(params)
        content = {
            **reply_fields(record, params),
            **media_fields(state.files, params, kind, params.get(kind)),
            **caption_fields(caption, params),
            **markup_fields(params),
        }
        stored = state.send_as_bot(
            record,
            content,
            raw_text=caption.raw if caption else None,
            parse_mode=caption.parse_mode if caption else None,
        )
        return stored.message

    send_media.__name__ = f"send_{kind}"
    send_media.__doc__ = f"send{kind.title().replace('_', '')}: upload, URL or reused file_id."
    return send_media


def send_media_group(state: StandInState, params: dict[str, object]) -> object:
    """sendMediaGroup: 2-10 InputMedia items, answered with one Message per item."""
    record = state.chats.resolve(params.get("chat_id"))
    items = opt_list(params, "media") or []
    if not 2 <= len(items) <= 10:
        raise bad_request("wrong number of media in the group, must be 2-10")
    group_id = str(secrets.randbits(60))
    prepared: list[tuple[dict[str, object], str | None]] = []
    for item in items:
        if not isinstance(item, dict) or item.get("type") not in (
            "photo",
            "video",
            "document",
            "audio",
        ):
            raise bad_request("can't parse InputMedia JSON object")
        kind = str(item["type"])
        caption = message_caption(item)
        content = {
            **media_fields(state.files, item, kind, item.get("media")),
            **caption_fields(caption, item),
            "media_group_id": group_id,
        }
        prepared.append((content, caption.raw if caption else None))
    reply = reply_fields(record, params)
    messages = []
    for index, (content, raw) in enumerate(prepared):
        extra = reply if index == 0 else {}
        messages.append(state.send_as_bot(record, {**extra, **content}, raw_text=raw).message)
    return messages


def send_chat_action(state: StandInState, params: dict[str, object]) -> object:
    """sendChatAction: only Telegram's documented actions are accepted."""
    state.chats.resolve(params.get("chat_id"))
    if opt_str(params, "action") not in CHAT_ACTIONS:
        raise bad_request("wrong parameter action in request")
    return True


def send_location(state: StandInState, params: dict[str, object]) -> object:
    """sendLocation: a plain location message."""
    record = state.chats.resolve(params.get("chat_id"))
    location = {"latitude": params.get("latitude"), "longitude": params.get("longitude")}
    content = {**reply_fields(record, params), "location": location, **markup_fields(params)}
    return state.send_as_bot(record, content).message


def send_contact(state: StandInState, params: dict[str, object]) -> object:
    """sendContact: a contact card."""
    record = state.chats.resolve(params.get("chat_id"))
    contact: dict[str, object] = {
        "phone_number": req_str(params, "phone_number"),
        "first_name": req_str(params, "first_name"),
    }
    last_name = opt_str(params, "last_name")
    if last_name:
        contact["last_name"] = last_name
    content = {**reply_fields(record, params), "contact": contact, **markup_fields(params)}
    return state.send_as_bot(record, content).message


def send_dice(state: StandInState, params: dict[str, object]) -> object:
    """sendDice: a random value in the emoji's documented range."""
    record = state.chats.resolve(params.get("chat_id"))
    emoji = opt_str(params, "emoji") or "🎲"
    if emoji not in DICE_RANGES:
        raise bad_request("DICE_EMOJI_INVALID")
    dice = {"emoji": emoji, "value": random.randint(1, DICE_RANGES[emoji])}  # noqa: S311
    content = {**reply_fields(record, params), "dice": dice, **markup_fields(params)}
    return state.send_as_bot(record, content).message


def copy_message(state: StandInState, params: dict[str, object]) -> object:
    """copyMessage: the same content in another chat, answered with a MessageId only."""
    target = state.chats.resolve(params.get("chat_id"))
    source_chat = state.chats.resolve(params.get("from_chat_id"))
    source = source_chat.messages.get(req_int(params, "message_id"))
    if source is None:
        raise bad_request("message to copy not found")
    content = copied_content(source.message)
    caption = message_caption(params)
    if caption is not None:
        content.pop("caption", None)
        content.pop("caption_entities", None)
        content.update(caption_fields(caption, params))
    content.update(reply_fields(target, params))
    content.update(markup_fields(params))
    stored = state.send_as_bot(
        target, content, raw_text=source.raw_text, parse_mode=source.parse_mode
    )
    return {"message_id": stored.message_id}


def forward_message(state: StandInState, params: dict[str, object]) -> object:
    """forwardMessage: the same content with ``forward_origin`` naming the original sender."""
    target = state.chats.resolve(params.get("chat_id"))
    source_chat = state.chats.resolve(params.get("from_chat_id"))
    source = source_chat.messages.get(req_int(params, "message_id"))
    if source is None:
        raise bad_request("message to forward not found")
    original = source.message
    origin: dict[str, object]
    if source_chat.chat_type == "channel":
        origin = {
            "type": "channel",
            "chat": source_chat.chat,
            "message_id": source.message_id,
            "date": original["date"],
        }
    elif isinstance(original.get("from"), dict):
        origin = {"type": "user", "sender_user": original["from"], "date": original["date"]}
    else:
        origin = {"type": "hidden_user", "sender_user_name": "Unknown", "date": original["date"]}
    content = {"forward_origin": origin, **copied_content(original)}
    return state.send_as_bot(target, content).message


def _check_thread(params: dict[str, object]) -> None:
    """Telegram refuses a thread id in chats that have no topics; accept any positive one."""
    thread = opt_int(params, "message_thread_id")
    if thread is not None and thread <= 0:
        raise bad_request("message thread not found")


def _with_common_checks(handler: Handler) -> Handler:
    """Checks every send shares (thread id, reply_parameters shape), applied once here."""

    def checked(state: StandInState, params: dict[str, object]) -> object:
        _check_thread(params)
        opt_dict(params, "reply_parameters")
        return handler(state, params)

    checked.__name__ = handler.__name__
    checked.__doc__ = handler.__doc__
    return checked


HANDLERS: dict[str, Handler] = {
    name: _with_common_checks(handler)
    for name, handler in {
        "sendMessage": send_message,
        "sendPhoto": _media_sender("photo"),
        "sendVideo": _media_sender("video"),
        "sendDocument": _media_sender("document"),
        "sendAnimation": _media_sender("animation"),
        "sendAudio": _media_sender("audio"),
        "sendVoice": _media_sender("voice"),
        "sendVideoNote": _media_sender("video_note"),
        "sendSticker": _media_sender("sticker"),
        "sendMediaGroup": send_media_group,
        "sendChatAction": send_chat_action,
        "sendLocation": send_location,
        "sendContact": send_contact,
        "sendDice": send_dice,
        "copyMessage": copy_message,
        "forwardMessage": forward_message,
    }.items()
}
