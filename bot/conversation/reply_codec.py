"""Replies as JSON text, so an update's replies can be kept with its transaction.

The polling inbox stores the replies of an update whose transaction committed, in that
transaction; a process that dies before they reached Telegram sends them at its next start
instead of losing them (the update itself must not be handled twice). Every value in a
``Reply`` is a frozen dataclass of strings, numbers, tuples, a ``MediaKind`` or bytes (a QR
code, a CSV export), so the encoding is generic: ``{"@": class name, fields...}``, tuples as
lists, bytes as base64, the media kind by its value.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass, fields, is_dataclass
from typing import Any

from bot.conversation.replies import (
    AnswerCallback,
    AnswerInline,
    AnswerPreCheckout,
    AnswerShipping,
    Button,
    DeleteMessage,
    EditCaption,
    EditKeyboard,
    EditMedia,
    EditText,
    InlineArticle,
    InlineProduct,
    MediaRef,
    Reply,
    SendDocument,
    SendInvoice,
    SendMedia,
    SendText,
)
from bot.domain.catalog import MediaKind

_CLASSES: dict[str, type] = {
    cls.__name__: cls
    for cls in (
        SendText,
        SendMedia,
        SendDocument,
        EditText,
        EditCaption,
        EditMedia,
        EditKeyboard,
        DeleteMessage,
        AnswerCallback,
        SendInvoice,
        AnswerShipping,
        AnswerPreCheckout,
        AnswerInline,
        InlineArticle,
        InlineProduct,
        Button,
        MediaRef,
    )
}


@dataclass(frozen=True, slots=True)
class KeptReplies:
    """An update's replies, and the paid order whose receipt is among them (its backup is
    cancelled once they are delivered: ``Storefront.finish_update``)."""

    replies: list[Reply]
    #: (chat id, order id) of the receipt, if any.
    receipt: tuple[int, int] | None = None


def dump_replies(kept: KeptReplies) -> str:
    return json.dumps(
        {"replies": [_encode(r) for r in kept.replies], "receipt": kept.receipt},
        # ASCII: a NUL typed by someone stays text (PostgreSQL refuses it in a TEXT column).
        separators=(",", ":"),
    )


def load_replies(text: str) -> KeptReplies:
    """The replies ``dump_replies`` wrote; ValueError if the text is not such a thing."""
    try:
        data = json.loads(text)
        replies = [_decode(r) for r in data["replies"]]
        receipt = data.get("receipt")
        kept_receipt = (int(receipt[0]), int(receipt[1])) if receipt else None
    except (KeyError, TypeError, IndexError, AttributeError) as exc:
        raise ValueError(f"not stored replies: {exc}") from exc
    for reply in replies:
        if type(reply).__name__ not in _CLASSES or isinstance(
            reply, Button | MediaRef | InlineArticle | InlineProduct
        ):
            raise ValueError(f"not a reply: {reply!r}")
    return KeptReplies(replies, kept_receipt)


def _encode(value: Any) -> Any:
    if isinstance(value, MediaKind):
        return {"@kind": value.value}
    if is_dataclass(value) and not isinstance(value, type):
        encoded = {"@": type(value).__name__}
        encoded.update({f.name: _encode(getattr(value, f.name)) for f in fields(value)})
        return encoded
    if isinstance(value, bytes):
        return {"@bytes": base64.b64encode(value).decode("ascii")}
    if isinstance(value, tuple | list):
        return [_encode(v) for v in value]
    return value


def _decode(value: Any) -> Any:
    if isinstance(value, list):
        return tuple(_decode(v) for v in value)
    if not isinstance(value, dict):
        return value
    if "@kind" in value:
        return MediaKind(value["@kind"])
    if "@bytes" in value:
        return base64.b64decode(value["@bytes"])
    cls = _CLASSES.get(str(value.get("@")))
    if cls is None:
        raise ValueError(f"unknown reply type {value.get('@')!r}")
    return cls(**{k: _decode(v) for k, v in value.items() if k != "@"})
