"""Verified reviews: only a buyer whose order of the product was delivered may rate it, once.

Review texts are plain text: markup (HTML tags, Markdown emphasis, links) is stripped and the
length is limited, so a review can neither format nor inject anything into a card, and a
10 kB paste is refused with a reason instead of being cut silently.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

MIN_RATING = 1
MAX_RATING = 5
MAX_TEXT = 500
#: A paste longer than this is not read at all (it is refused as too long).
MAX_RAW_TEXT = 4096
MAX_REPLY = 500

_TAG = re.compile(r"<[^>]{0,200}>")
_MD_LINK = re.compile(r"\[([^\]]{0,200})\]\([^)]{0,500}\)")
_MD_MARKS = re.compile(r"[*_`~|\\]+")
_SPACES = re.compile(r"[ \t]+")
_LINES = re.compile(r"\n{3,}")


class ReviewStatus(StrEnum):
    VISIBLE = "visible"
    HIDDEN = "hidden"  # the merchant hid it (abusive); it no longer counts or shows


class ReviewRefusal(StrEnum):
    NOT_BOUGHT = "not_bought"  # no delivered order of this product by this person
    ALREADY = "already"  # one review per buyer and product
    BAD_RATING = "bad_rating"  # not 1..5
    TOO_LONG = "too_long"
    EMPTY = "empty"  # nothing left once markup is stripped


def clean_text(raw: str, limit: int = MAX_TEXT) -> str | ReviewRefusal:
    """Plain text to store: markup stripped, control characters removed, spaces tidied."""
    if len(raw) > MAX_RAW_TEXT:
        return ReviewRefusal.TOO_LONG
    text = _MD_LINK.sub(r"\1", raw)
    text = _TAG.sub("", text)
    text = _MD_MARKS.sub("", text).replace("\t", " ").replace("\r", "")
    text = "".join(ch for ch in text if ch == "\n" or unicodedata.category(ch)[0] != "C")
    text = _LINES.sub("\n\n", _SPACES.sub(" ", text)).strip()
    if not text:
        return ReviewRefusal.EMPTY
    if len(text) > limit:
        return ReviewRefusal.TOO_LONG
    return text


def rating_refusal(rating: int) -> ReviewRefusal | None:
    return None if MIN_RATING <= rating <= MAX_RATING else ReviewRefusal.BAD_RATING


@dataclass(frozen=True, slots=True)
class Review:
    id: int
    product_id: int
    user_id: int
    order_id: int
    rating: int
    text: str
    status: ReviewStatus
    created_at: datetime
    author: str = ""
    reply: str | None = None
    #: Telegram's ``file_id`` of the buyer's photo.
    photo: str | None = None


@dataclass(frozen=True, slots=True)
class ProductStanding:
    """What a card says about trust: the average visible rating and the units sold."""

    reviews: int
    rating_sum: int
    sold: int
    #: The newest visible review with text, for the card.
    latest: Review | None = None

    @property
    def average(self) -> float | None:
        return self.rating_sum / self.reviews if self.reviews else None

    @property
    def shown_average(self) -> str | None:
        """ "4.8": one decimal, rounded half up (4.75 shows as 4.8)."""
        if not self.reviews:
            return None
        tenths = (self.rating_sum * 20 + self.reviews) // (2 * self.reviews)
        return f"{tenths // 10}.{tenths % 10}"
