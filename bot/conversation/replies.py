"""What the bot says back, as neutral values; each adapter turns them into Bot API calls.

Texts and captions are HTML (``parse_mode="HTML"``) and already escaped by the screens.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.domain.catalog import MediaKind


@dataclass(frozen=True, slots=True)
class Button:
    text: str
    callback: str | None = None
    url: str | None = None
    #: The Pay button of an invoice (must be the first button of an invoice's keyboard).
    pay: bool = False
    #: Share: Telegram lets the person pick a chat and types ``@bot <share>`` there
    #: (``switch_inline_query``), which the bot answers with a card to post.
    share: str | None = None
    #: Opens this HTTPS page as a Telegram Mini App (the merchant dashboard); private chats only.
    web_app: str | None = None


Keyboard = tuple[tuple[Button, ...], ...]


@dataclass(frozen=True, slots=True)
class MediaRef:
    """A video or photo to send: by Telegram ``file_id`` when known, else its URL or path.

    ``media_id`` lets the delivery code store the ``file_id`` Telegram returns after the first
    upload, so the next send of the same teaser costs no upload.
    """

    kind: MediaKind
    media_id: int
    source: str
    file_id: str | None = None
    #: Bytes made on the fly (a QR code): uploaded as ``filename``; nothing to remember.
    data: bytes | None = None
    filename: str = "image.png"


@dataclass(frozen=True, slots=True)
class SendText:
    chat_id: int
    text: str
    keyboard: Keyboard | None = None


@dataclass(frozen=True, slots=True)
class SendMedia:
    chat_id: int
    media: MediaRef
    caption: str
    keyboard: Keyboard | None = None


@dataclass(frozen=True, slots=True)
class SendDocument:
    """A file made on the fly (a CSV export), uploaded as ``filename``."""

    chat_id: int
    data: bytes
    filename: str
    caption: str = ""
    keyboard: Keyboard | None = None


@dataclass(frozen=True, slots=True)
class EditText:
    chat_id: int
    message_id: int
    text: str
    keyboard: Keyboard | None = None


@dataclass(frozen=True, slots=True)
class EditCaption:
    chat_id: int
    message_id: int
    caption: str
    keyboard: Keyboard | None = None


@dataclass(frozen=True, slots=True)
class EditMedia:
    chat_id: int
    message_id: int
    media: MediaRef
    caption: str
    keyboard: Keyboard | None = None


@dataclass(frozen=True, slots=True)
class EditKeyboard:
    chat_id: int
    message_id: int
    keyboard: Keyboard | None


@dataclass(frozen=True, slots=True)
class DeleteMessage:
    chat_id: int
    message_id: int


@dataclass(frozen=True, slots=True)
class AnswerCallback:
    """Every button press is answered (Telegram shows a spinner until it is)."""

    callback_id: str
    text: str | None = None
    alert: bool = False


@dataclass(frozen=True, slots=True)
class SendInvoice:
    """``sendInvoice``: amounts in minor units; an empty provider token means Telegram Stars."""

    chat_id: int
    title: str
    description: str
    payload: str
    currency: str
    prices: tuple[tuple[str, int], ...]
    provider_token: str = ""
    is_flexible: bool = False
    need_name: bool = False
    need_phone_number: bool = False
    need_shipping_address: bool = False
    photo_url: str | None = None
    keyboard: Keyboard | None = None


@dataclass(frozen=True, slots=True)
class AnswerShipping:
    """``answerShippingQuery``: options (id, title, prices) or an error for the buyer."""

    query_id: str
    options: tuple[tuple[str, str, tuple[tuple[str, int], ...]], ...] = ()
    error: str | None = None


@dataclass(frozen=True, slots=True)
class AnswerPreCheckout:
    query_id: str
    error: str | None = None  # None: go ahead


@dataclass(frozen=True, slots=True)
class InlineArticle:
    """One inline result: a text card posted into the chat the person picked."""

    id: str
    title: str
    description: str
    text: str
    keyboard: Keyboard | None = None


@dataclass(frozen=True, slots=True)
class InlineProduct:
    """One inline result showing a product, posted with its caption and keyboard.

    ``media`` is what Telegram can show without an upload (inline results cannot upload): a
    video or photo by its Telegram ``file_id``, or a photo by its https URL; None posts the
    caption as a text card.
    """

    id: str
    title: str
    description: str
    caption: str
    media: MediaRef | None = None
    keyboard: Keyboard | None = None


@dataclass(frozen=True, slots=True)
class AnswerInline:
    """``answerInlineQuery``: every inline query is answered, with no results if need be."""

    query_id: str
    results: tuple[InlineArticle | InlineProduct, ...] = ()
    #: Seconds Telegram may cache the answer; live progress wants it short.
    cache_time: int = 5
    personal: bool = False
    #: What the client sends as ``offset`` for the next page; empty: no more results.
    next_offset: str = ""


Reply = (
    SendText
    | SendMedia
    | SendDocument
    | EditText
    | EditCaption
    | EditMedia
    | EditKeyboard
    | DeleteMessage
    | AnswerCallback
    | SendInvoice
    | AnswerShipping
    | AnswerPreCheckout
    | AnswerInline
)
