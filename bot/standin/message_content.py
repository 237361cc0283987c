"""Building the parts of a Message from send/edit parameters, with Telegram's limits.

Shared by the send and edit handlers so that a text is parsed, measured and echoed the same way
whether it is sent or edited (which is what makes "message is not modified" comparisons fair).
"""

from __future__ import annotations

from collections.abc import Mapping

from bot.standin.chat_store import ChatRecord
from bot.standin.errors import CAPTION_TOO_LONG, MESSAGE_TEXT_EMPTY, MESSAGE_TOO_LONG, bad_request
from bot.standin.file_store import FileStore
from bot.standin.html_markup import format_text
from bot.standin.keyboards import check_reply_markup, inline_markup_of
from bot.standin.param_values import opt_bool, opt_dict, opt_int, opt_str

MAX_TEXT_LENGTH = 4096
MAX_CAPTION_LENGTH = 1024
MEDIA_KINDS = (
    "photo",
    "video",
    "animation",
    "document",
    "audio",
    "voice",
    "video_note",
    "sticker",
)
# Metadata a send call may give about its file, kept with the minted file.
_FILE_META = ("width", "height", "duration", "performer", "title", "emoji", "length")
# Message fields that are about delivery, not content: dropped when a message is copied.
_ENVELOPE = frozenset(
    {
        "message_id",
        "date",
        "chat",
        "from",
        "sender_chat",
        "reply_markup",
        "edit_date",
        "reply_to_message",
        "forward_origin",
        "media_group_id",
        "is_automatic_forward",
    }
)


class TextContent:
    """Parsed text (or caption): plain text, entities, and the raw source it came from."""

    __slots__ = ("entities", "parse_mode", "plain", "raw")

    def __init__(self, raw: str, parse_mode: str | None, entities: object) -> None:
        self.raw = raw
        self.parse_mode = parse_mode
        self.plain, self.entities = format_text(raw, parse_mode, entities)


def message_text(params: Mapping[str, object]) -> TextContent:
    """``text`` + ``parse_mode``/``entities`` for sendMessage and editMessageText."""
    raw = opt_str(params, "text")
    if raw is None:
        raise bad_request(MESSAGE_TEXT_EMPTY)
    parsed = TextContent(raw, opt_str(params, "parse_mode"), params.get("entities"))
    if not parsed.plain.strip():
        raise bad_request(MESSAGE_TEXT_EMPTY)
    if len(parsed.plain) > MAX_TEXT_LENGTH:
        raise bad_request(MESSAGE_TOO_LONG)
    return parsed


def text_fields(parsed: TextContent) -> dict[str, object]:
    """The Message fields for a text."""
    fields: dict[str, object] = {"text": parsed.plain}
    if parsed.entities:
        fields["entities"] = parsed.entities
    return fields


def message_caption(params: Mapping[str, object]) -> TextContent | None:
    """``caption`` + ``parse_mode``/``caption_entities``; None when there is no caption."""
    raw = opt_str(params, "caption")
    if raw is None:
        return None
    parsed = TextContent(raw, opt_str(params, "parse_mode"), params.get("caption_entities"))
    if len(parsed.plain) > MAX_CAPTION_LENGTH:
        raise bad_request(CAPTION_TOO_LONG)
    return parsed


def caption_fields(parsed: TextContent | None, params: Mapping[str, object]) -> dict[str, object]:
    """The Message fields for a caption (empty captions are not echoed, as in Telegram)."""
    fields: dict[str, object] = {}
    if parsed is not None and parsed.plain:
        fields["caption"] = parsed.plain
        if parsed.entities:
            fields["caption_entities"] = parsed.entities
    if opt_bool(params, "show_caption_above_media"):
        fields["show_caption_above_media"] = True
    return fields


def markup_fields(params: Mapping[str, object]) -> dict[str, object]:
    """``reply_markup`` as echoed in a Message: inline keyboards only, after validation."""
    markup = inline_markup_of(check_reply_markup(params.get("reply_markup")))
    return {"reply_markup": markup} if markup is not None else {}


def media_fields(
    files: FileStore, params: Mapping[str, object], kind: str, value: object
) -> dict[str, object]:
    """Resolve a media parameter to a file and return the Message field describing it."""
    meta = {key: params[key] for key in _FILE_META if params.get(key) is not None}
    stored = files.resolve(value, kind, meta)
    described = files.describe(stored, kind)
    fields: dict[str, object] = {kind: [described] if kind == "photo" else described}
    if opt_bool(params, "has_spoiler"):
        fields["has_media_spoiler"] = True
    return fields


def media_kind_of(message: Mapping[str, object]) -> str | None:
    """Which media field a message carries, if any."""
    for kind in MEDIA_KINDS:
        if kind in message:
            return kind
    return None


def media_file_id(message: Mapping[str, object]) -> str | None:
    """The file_id of a message's media (largest photo size for photos)."""
    kind = media_kind_of(message)
    if kind is None:
        return None
    value = message[kind]
    if isinstance(value, list) and value:
        value = value[-1]
    return str(value.get("file_id")) if isinstance(value, dict) else None


def reply_fields(record: ChatRecord, params: Mapping[str, object]) -> dict[str, object]:
    """``reply_to_message`` for ``reply_parameters``; a missing target is a 400 unless the bot
    allowed sending without it."""
    reply = opt_dict(params, "reply_parameters")
    if reply is None:
        return {}
    target_id = opt_int(reply, "message_id")
    other_chat = reply.get("chat_id")
    if target_id is None or (other_chat is not None and str(other_chat) != str(record.chat_id)):
        return {}
    target = record.messages.get(target_id)
    if target is None:
        if opt_bool(reply, "allow_sending_without_reply"):
            return {}
        raise bad_request("message to be replied not found")
    nested = {key: value for key, value in target.message.items() if key != "reply_to_message"}
    return {"reply_to_message": nested}


def copied_content(message: Mapping[str, object]) -> dict[str, object]:
    """The content of a message without its envelope, for copyMessage/forwardMessage."""
    return {key: value for key, value in message.items() if key not in _ENVELOPE}
