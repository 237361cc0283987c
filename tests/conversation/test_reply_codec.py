"""Replies kept with an update's transaction come back exactly as they were."""

from __future__ import annotations

import pytest

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
from bot.conversation.reply_codec import KeptReplies, dump_replies, load_replies
from bot.domain.catalog import MediaKind

KEYBOARD = (
    (Button("🛒 Add to cart", callback="ad:7"), Button("Share", share="p_7")),
    (Button("Pay 4.99", pay=True), Button("Site", url="https://example.com")),
)
TEASER = MediaRef(MediaKind.VIDEO, 3, "media/konjac-jelly.mp4", file_id="BAAC")
QR = MediaRef(MediaKind.PHOTO, 0, "", data=b"\x89PNG\x00\xff", filename="invite.png")

EVERY_REPLY: list[Reply] = [
    SendText(7_123_456_789, "<b>Payment received</b> 付款 \x00", KEYBOARD),
    SendMedia(1, TEASER, "caption", KEYBOARD),
    SendMedia(1, QR, "your invite"),
    SendDocument(1, b"a,b\n1,2\n", "orders.csv", "Orders"),
    EditText(1, 5, "text"),
    EditCaption(1, 5, "caption", KEYBOARD),
    EditMedia(1, 5, TEASER, "caption"),
    EditKeyboard(1, 5, None),
    DeleteMessage(1, 5),
    AnswerCallback("cb1", "Added", alert=True),
    SendInvoice(1, "Order #4", "2 items", "o:4", "USD", (("Jelly", 499), ("Shipping", 500))),
    AnswerShipping("sq", (("us-standard", "Standard", (("Standard", 500),)),)),
    AnswerPreCheckout("pq", "sold out"),
    AnswerInline(
        "iq",
        (
            InlineArticle("a", "Title", "desc", "text", KEYBOARD),
            InlineProduct("p", "Jelly", "desc", "caption", TEASER, KEYBOARD),
        ),
        next_offset="20",
    ),
]


def test_every_kind_of_reply_comes_back_equal() -> None:
    kept = load_replies(dump_replies(KeptReplies(EVERY_REPLY, (7_123_456_789, 42))))
    assert kept.replies == EVERY_REPLY
    assert kept.receipt == (7_123_456_789, 42)
    assert isinstance(kept.replies[1], SendMedia) and kept.replies[1].media.kind is MediaKind.VIDEO
    assert load_replies(dump_replies(KeptReplies([]))) == KeptReplies([])


def test_stored_text_is_ascii_json() -> None:
    assert dump_replies(KeptReplies(EVERY_REPLY)).isascii()


@pytest.mark.parametrize(
    "text",
    [
        "not json",
        "[]",
        '{"replies": [{"@": "Nope"}]}',
        '{"replies": [{"@": "SendText", "chat_id": 1}]}',
        '{"replies": [{"@": "Button", "text": "x"}]}',
    ],
)
def test_anything_else_is_refused(text: str) -> None:
    with pytest.raises(ValueError):
        load_replies(text)
