"""Editing, deleting and pinning the bot's messages, with the errors bots must handle.

Two Telegram behaviours shape shop UIs and are reproduced here: an edit that changes nothing is
a 400 ("message is not modified"), and an edit without ``reply_markup`` removes the inline
keyboard. Edits of messages sent via inline mode (``inline_message_id``) succeed with ``true``.
"""

from __future__ import annotations

import time
from collections.abc import Mapping

from bot.standin.chat_store import ChatRecord, StoredMessage
from bot.standin.errors import (
    MESSAGE_CANT_BE_EDITED,
    MESSAGE_NOT_MODIFIED,
    MESSAGE_TO_DELETE_NOT_FOUND,
    MESSAGE_TO_EDIT_NOT_FOUND,
    NO_CAPTION_TO_EDIT,
    NO_MEDIA_TO_EDIT,
    NO_PIN_RIGHTS,
    NO_TEXT_TO_EDIT,
    bad_request,
)
from bot.standin.message_content import (
    MEDIA_KINDS,
    caption_fields,
    markup_fields,
    media_fields,
    media_file_id,
    media_kind_of,
    message_caption,
    message_text,
    text_fields,
)
from bot.standin.param_values import opt_dict, opt_int, opt_list, req_int
from bot.standin.state import Handler, StandInState

_TEXT_FIELDS = ("text", "entities", "reply_markup", "link_preview_options")
_CAPTION_FIELDS = ("caption", "caption_entities", "show_caption_above_media", "reply_markup")
EDITABLE_MEDIA = ("photo", "video", "animation", "document", "audio")


def _target(
    state: StandInState, params: Mapping[str, object]
) -> tuple[ChatRecord, StoredMessage] | None:
    """The chat message an edit designates; None for inline messages (nothing to check)."""
    if params.get("inline_message_id") is not None:
        return None
    message_id = opt_int(params, "message_id")
    if params.get("chat_id") is None or message_id is None:
        raise bad_request("message identifier is not specified")
    record = state.chats.resolve(params.get("chat_id"))
    stored = record.messages.get(message_id)
    if stored is None:
        raise bad_request(MESSAGE_TO_EDIT_NOT_FOUND)
    if not stored.from_bot:
        raise bad_request(MESSAGE_CANT_BE_EDITED)
    return record, stored


def _unchanged(
    old: Mapping[str, object], new: Mapping[str, object], keys: tuple[str, ...]
) -> bool:
    return all(old.get(key) == new.get(key) for key in keys)


def _replace(
    state: StandInState,
    record: ChatRecord,
    stored: StoredMessage,
    drop: tuple[str, ...],
    content: dict[str, object],
    *,
    raw_text: str | None,
    parse_mode: str | None,
) -> dict[str, object]:
    message = {key: value for key, value in stored.message.items() if key not in drop}
    message.update(content)
    message["edit_date"] = int(time.time())
    return state.chats.replace(
        record, stored, message, raw_text=raw_text, parse_mode=parse_mode
    ).message


def edit_message_text(state: StandInState, params: dict[str, object]) -> object:
    """editMessageText: only on text messages; the keyboard goes unless sent again."""
    target = _target(state, params)
    parsed = message_text(params)
    content = {**text_fields(parsed), **markup_fields(params)}
    if target is None:
        return True
    record, stored = target
    if "text" not in stored.message:
        raise bad_request(NO_TEXT_TO_EDIT)
    if _unchanged(stored.message, content, ("text", "entities", "reply_markup")):
        raise bad_request(MESSAGE_NOT_MODIFIED)
    return _replace(
        state,
        record,
        stored,
        _TEXT_FIELDS,
        content,
        raw_text=parsed.raw,
        parse_mode=parsed.parse_mode,
    )


def edit_message_caption(state: StandInState, params: dict[str, object]) -> object:
    """editMessageCaption: only on media messages; an absent caption removes it."""
    target = _target(state, params)
    caption = message_caption(params)
    content = {**caption_fields(caption, params), **markup_fields(params)}
    if target is None:
        return True
    record, stored = target
    if media_kind_of(stored.message) is None:
        raise bad_request(NO_CAPTION_TO_EDIT)
    if _unchanged(stored.message, content, _CAPTION_FIELDS):
        raise bad_request(MESSAGE_NOT_MODIFIED)
    return _replace(
        state,
        record,
        stored,
        _CAPTION_FIELDS,
        content,
        raw_text=caption.raw if caption else None,
        parse_mode=caption.parse_mode if caption else None,
    )


def edit_message_media(state: StandInState, params: dict[str, object]) -> object:
    """editMessageMedia: new file (upload, URL or file_id) and caption in one go."""
    target = _target(state, params)
    media = opt_dict(params, "media")
    if media is None or media.get("type") not in EDITABLE_MEDIA:
        raise bad_request("can't parse InputMedia JSON object")
    kind = str(media["type"])
    if target is not None and media_kind_of(target[1].message) is None:
        raise bad_request(NO_MEDIA_TO_EDIT)
    caption = message_caption(media)
    content = {
        **media_fields(state.files, media, kind, media.get("media")),
        **caption_fields(caption, media),
        **markup_fields(params),
    }
    if target is None:
        return True
    record, stored = target
    same_file = media_file_id(stored.message) == media_file_id(content)
    if same_file and _unchanged(stored.message, content, _CAPTION_FIELDS):
        raise bad_request(MESSAGE_NOT_MODIFIED)
    drop = (*MEDIA_KINDS, *_CAPTION_FIELDS, "has_media_spoiler")
    return _replace(
        state,
        record,
        stored,
        drop,
        content,
        raw_text=caption.raw if caption else None,
        parse_mode=caption.parse_mode if caption else None,
    )


def edit_message_reply_markup(state: StandInState, params: dict[str, object]) -> object:
    """editMessageReplyMarkup: new (or no) inline keyboard."""
    target = _target(state, params)
    content = markup_fields(params)
    if target is None:
        return True
    record, stored = target
    if _unchanged(stored.message, content, ("reply_markup",)):
        raise bad_request(MESSAGE_NOT_MODIFIED)
    return _replace(
        state,
        record,
        stored,
        ("reply_markup",),
        content,
        raw_text=stored.raw_text,
        parse_mode=stored.parse_mode,
    )


def delete_message(state: StandInState, params: dict[str, object]) -> object:
    """deleteMessage: a message that is not there is a 400."""
    record = state.chats.resolve(params.get("chat_id"))
    if not state.chats.delete(record, req_int(params, "message_id")):
        raise bad_request(MESSAGE_TO_DELETE_NOT_FOUND)
    return True


def delete_messages(state: StandInState, params: dict[str, object]) -> object:
    """deleteMessages: missing ones are skipped silently, as documented."""
    record = state.chats.resolve(params.get("chat_id"))
    ids = opt_list(params, "message_ids") or []
    if not 1 <= len(ids) <= 100:
        raise bad_request("message_ids must contain 1-100 identifiers")
    for message_id in ids:
        if isinstance(message_id, int):
            state.chats.delete(record, message_id)
    return True


def pin_chat_message(state: StandInState, params: dict[str, object]) -> object:
    """pinChatMessage: the message must exist, and the bot must have the right to pin."""
    record = state.chats.resolve(params.get("chat_id"))
    if not record.bot_can_pin:
        raise bad_request(NO_PIN_RIGHTS)
    message_id = req_int(params, "message_id")
    if message_id not in record.messages:
        raise bad_request("message to pin not found")
    if message_id in record.pinned:
        record.pinned.remove(message_id)
    record.pinned.append(message_id)
    return True


def unpin_chat_message(state: StandInState, params: dict[str, object]) -> object:
    """unpinChatMessage: a given message, or the most recent pin."""
    record = state.chats.resolve(params.get("chat_id"))
    if not record.bot_can_pin:
        raise bad_request(NO_PIN_RIGHTS)
    message_id = opt_int(params, "message_id")
    if message_id is None:
        if record.pinned:
            record.pinned.pop()
    elif message_id in record.pinned:
        record.pinned.remove(message_id)
    elif message_id not in record.messages:
        raise bad_request("message to unpin not found")
    return True


def unpin_all_chat_messages(state: StandInState, params: dict[str, object]) -> object:
    """unpinAllChatMessages."""
    state.chats.resolve(params.get("chat_id")).pinned.clear()
    return True


HANDLERS: dict[str, Handler] = {
    "editMessageText": edit_message_text,
    "editMessageCaption": edit_message_caption,
    "editMessageMedia": edit_message_media,
    "editMessageReplyMarkup": edit_message_reply_markup,
    "deleteMessage": delete_message,
    "deleteMessages": delete_messages,
    "pinChatMessage": pin_chat_message,
    "unpinChatMessage": unpin_chat_message,
    "unpinAllChatMessages": unpin_all_chat_messages,
}
