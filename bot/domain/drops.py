"""Drops: a merchant's broadcast (a teaser or photo, a text, a few buttons) to an audience.

A drop is fanned out into one delivery per chat (the outbox); each delivery is sent once.
What "once" can mean over Telegram is spelled out in ``DeliveryStatus``: a send that was in
flight when the process died cannot be known to have arrived, so it is never sent again
(nobody gets a drop twice) and is reported as unconfirmed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

#: Telegram's limits: 4,096 characters of text, 1,024 of caption.
MAX_TEXT = 4096
MAX_CAPTION = 1024
MAX_BUTTONS = 3
_CHAT_ID = re.compile(r"^-?[1-9][0-9]{0,18}$")
_LANG = re.compile(r"^[a-z]{2}$")
_TAG = re.compile(r"^[\w-]{1,32}$")
_CATEGORY = re.compile(r"^[\w-]{1,64}$")  # a category's slug or id


class DropError(ValueError):
    """A drop the merchant described makes no sense (said back to them as is)."""


class AudienceKind(StrEnum):
    ALL = "all"  # every buyer who has not stopped drops
    LANG = "lang"  # buyers whose language is one of these
    TAG = "tag"  # buyers who bought or carted a product with one of these tags
    CHATS = "chats"  # these groups and channels
    INTEREST = "interest"  # buyers whose recent interactions show interest in a category


@dataclass(frozen=True, slots=True)
class Audience:
    kind: AudienceKind
    values: tuple[str, ...] = ()

    @classmethod
    def parse(cls, text: str) -> Audience:
        """``all``, ``lang:zh,en``, ``tag:spicy``, ``chats:-1001234,-1005678``,
        ``interest:snacks`` (a category's slug or id)."""
        head, _, rest = text.strip().partition(":")
        try:
            kind = AudienceKind(head.lower())
        except ValueError:
            raise DropError(
                "an audience is all, lang:xx, tag:name, chats:id,id or interest:category"
            ) from None
        values = tuple(v.strip() for v in rest.split(",") if v.strip())
        if kind is AudienceKind.ALL:
            if values:
                raise DropError("'all' takes no values")
            return cls(kind)
        pattern = {
            AudienceKind.LANG: _LANG,
            AudienceKind.TAG: _TAG,
            AudienceKind.CHATS: _CHAT_ID,
            AudienceKind.INTEREST: _CATEGORY,
        }
        if not values or not all(pattern[kind].match(v) for v in values):
            raise DropError(f"'{kind.value}' needs values like {_EXAMPLES[kind]}")
        return cls(kind, values)

    def __str__(self) -> str:
        return self.kind.value + (":" + ",".join(self.values) if self.values else "")


_EXAMPLES = {
    AudienceKind.LANG: "lang:zh",
    AudienceKind.TAG: "tag:spicy",
    AudienceKind.CHATS: "chats:-1001234567890",
    AudienceKind.INTEREST: "interest:snacks",
}


class ButtonKind(StrEnum):
    BUY = "buy"  # a variant: Buy now
    SALE = "sale"  # a flash sale: Grab it / Notify me
    COUPON = "coupon"  # a coupon: apply it


@dataclass(frozen=True, slots=True)
class DropButton:
    kind: ButtonKind
    target: int


class MediaKind(StrEnum):
    NONE = "none"
    PHOTO = "photo"
    VIDEO = "video"


@dataclass(frozen=True, slots=True)
class DropContent:
    text: str
    media: MediaKind = MediaKind.NONE
    #: A URL, a local file, or a Telegram file_id (reused once Telegram assigned one).
    source: str | None = None
    buttons: tuple[DropButton, ...] = ()

    def __post_init__(self) -> None:
        limit = MAX_TEXT if self.media is MediaKind.NONE else MAX_CAPTION
        if not self.text.strip():
            raise DropError("a drop needs some text")
        if len(self.text) > limit:
            raise DropError(f"the text is {len(self.text)} characters; at most {limit} here")
        if self.media is not MediaKind.NONE and not self.source:
            raise DropError("a photo or video drop needs its file")
        if len(self.buttons) > MAX_BUTTONS:
            raise DropError(f"at most {MAX_BUTTONS} buttons")


class DropStatus(StrEnum):
    DRAFT = "draft"
    SENDING = "sending"
    DONE = "done"
    HALTED = "halted"  # Telegram refused the content itself (a video it cannot take)
    CANCELLED = "cancelled"


class DeliveryStatus(StrEnum):
    PENDING = "pending"
    SENDING = "sending"  # claimed by a sender for one attempt (a lease)
    SENT = "sent"
    BLOCKED = "blocked"  # 403: the person blocked the bot or the bot left the chat
    FAILED = "failed"  # refused for good (bad chat id) or too many retries
    CAPPED = "capped"  # the person already had the day's drops (or marketing messages)
    OPTED_OUT = "optout"  # the person turned drops (or the drop's category) off in /alerts
    HELD = "held"  # the person's quiet hours: sent when they end (``next_at``) if still relevant
    STALE = "stale"  # held, and no longer relevant when quiet hours ended: skipped
    UNCONFIRMED = "unconfirmed"  # in flight when a sender died: never sent again


@dataclass(frozen=True, slots=True)
class Progress:
    total: int
    sent: int = 0
    failed: int = 0  # failed, blocked, capped, opted out, stale and unconfirmed
    pending: int = 0
    #: Of ``failed``: in flight when a sender died, so maybe arrived (never sent again).
    unconfirmed: int = 0
    #: Held by the recipients' quiet hours (neither done nor pending: sent when they end).
    held: int = 0
    #: Of ``failed``: skipped by the recipients' choices (opted out, capped, stale when held).
    skipped: int = 0

    @property
    def done(self) -> int:
        return self.sent + self.failed

    def bar(self, width: int = 10) -> str:
        filled = round(width * self.done / self.total) if self.total else width
        return "▓" * filled + "░" * (width - filled)

    def eta_seconds(self, rate: float) -> int | None:
        """Seconds left at ``rate`` sends a second (None before anything was sent)."""
        if rate <= 0:
            return None
        return round(self.pending / rate)
