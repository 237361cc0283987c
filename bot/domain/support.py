"""Talking to the shop: a buyer's question goes to the staff, a staff member's answer comes
back to the buyer, all kept in threads.

A thread is one buyer's conversation about one thing (a product, an order, or the shop in
general). It is open while the buyer waits for an answer or the staff have not closed it; a
closed thread reopens, with its history, when the buyer writes in it again. It is *waiting*
from the buyer's first message the staff have not answered yet; a waiting thread reminds the
staff once every reminder interval.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

#: The longest message kept (a text, or a photo's caption): Telegram's captions stop at 1,024
#: characters, and the staff's copy adds a line about who asks and about what.
MAX_TEXT = 900
#: How many of a thread's messages a history shows (the newest).
HISTORY = 8
DEFAULT_REMINDER = timedelta(hours=4)


class ThreadStatus(StrEnum):
    OPEN = "open"
    CLOSED = "closed"


class Author(StrEnum):
    BUYER = "buyer"
    STAFF = "staff"


class SupportRefusal(StrEnum):
    EMPTY = "empty"  # nothing to read: no text, no photo
    TOO_LONG = "too_long"
    NOT_FOUND = "not_found"  # no such thread, or not the presser's


@dataclass(frozen=True, slots=True)
class Topic:
    """What a thread is about: a product, an order, or nothing in particular (both None)."""

    product_id: int | None = None
    order_id: int | None = None


def clean_text(text: str | None) -> str | SupportRefusal:
    """The message as kept: stripped; refused when longer than ``MAX_TEXT``. An empty text is
    returned empty (a photo needs no caption); ``check_message`` says if that will do."""
    cleaned = (text or "").strip()
    if len(cleaned) > MAX_TEXT:
        return SupportRefusal.TOO_LONG
    return cleaned


def check_message(text: str | None, photo: str | None = None) -> str | SupportRefusal:
    """A buyer's or a staff member's message: some text, or a photo with an optional caption."""
    cleaned = clean_text(text)
    if isinstance(cleaned, SupportRefusal):
        return cleaned
    if not cleaned and not photo:
        return SupportRefusal.EMPTY
    return cleaned


def reminder_due(
    waiting_since: datetime | None,
    reminded_at: datetime | None,
    now: datetime,
    every: timedelta,
) -> bool:
    """Whether a thread waiting since ``waiting_since`` (None: answered) reminds the staff now:
    unanswered for ``every`` at least, and not reminded in the last ``every``."""
    if waiting_since is None or every <= timedelta(0):
        return False
    if now - waiting_since < every:
        return False
    return reminded_at is None or now - reminded_at >= every


def display_name(first_name: str, username: str | None) -> str:
    """How the staff see a buyer: their first name, and their @username when they have one."""
    name = first_name.strip() or "?"
    return f"{name} (@{username})" if username else name
