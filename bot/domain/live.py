"""Live selling (直播带货): the card a merchant keeps pinned in a group or channel while they
talk on a stream, showing the product of the moment. Pure rules: what ``/live`` asks for, who
may ask, and how a pinned card turns into the next one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from bot.domain.catalog import MediaKind

#: A product by its id, or by the SKU of one of its variants.
_PRODUCT_REF = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,63}$")
#: A chat by id (groups and channels are negative) or a public ``@username``.
_CHAT_REF = re.compile(r"^(-?[1-9][0-9]{0,18}|@[A-Za-z][A-Za-z0-9_]{3,31})$")
END = "end"


class LiveOp(StrEnum):
    STATUS = "status"  # what is featured, and how to use the command
    SHOW = "show"  # feature a product: start the show, or swap the card
    END = "end"  # unpin, and turn the card into "the live has ended"


@dataclass(frozen=True, slots=True)
class LiveRequest:
    op: LiveOp
    #: The chat of the show when typed in a private chat (an id or ``@channel``); None means
    #: the chat the command was typed in.
    target: str | None = None
    #: A product id or SKU (``SHOW`` only).
    product: str | None = None


def parse_request(args: str, *, in_private: bool) -> LiveRequest | None:
    """``/live [chat] [SKU | product id | end]``; None when the words make no sense.

    In a group the show is that group's (``/live KJ-10``, ``/live end``); in the private chat
    with the bot the chat comes first (``/live @channel KJ-10``), since nobody types commands
    into a channel.
    """
    words = args.split()
    if not words:
        return LiveRequest(LiveOp.STATUS)
    target: str | None = None
    if in_private:
        if not _CHAT_REF.match(words[0]):
            return None
        target, words = words[0], words[1:]
        if not words:
            return LiveRequest(LiveOp.STATUS, target)
    if len(words) != 1:
        return None
    word = words[0]
    if word.lower() == END:
        return LiveRequest(LiveOp.END, target)
    if not _PRODUCT_REF.match(word):
        return None
    return LiveRequest(LiveOp.SHOW, target, word)


def chat_id_of(target: str) -> int | None:
    """The numeric id a target names; None for an ``@username`` (Telegram resolves it)."""
    return None if target.startswith("@") else int(target)


def may_run_live(user_id: int, admin_ids: tuple[int, ...]) -> bool:
    """Only the shop's admins feature products in public chats."""
    return user_id in admin_ids


class CardSwap(StrEnum):
    EDIT_TEXT = "edit_text"  # text card -> text card
    EDIT_MEDIA = "edit_media"  # video/photo card -> video/photo card
    REPLACE = "replace"  # Telegram cannot turn text into media or back: post a new card


def card_kind(media: MediaKind | None) -> MediaKind:
    return media if media in (MediaKind.VIDEO, MediaKind.PHOTO) else MediaKind.NONE


def swap_plan(shown: MediaKind | None, new: MediaKind) -> CardSwap:
    """How the pinned card becomes the next product's. ``shown`` is None when nobody knows
    what the pinned message holds any more (its product was deleted): the edit the new card
    needs is tried, and a refusal falls back to posting a new card."""
    new_kind = card_kind(new)
    if shown is not None and (card_kind(shown) is MediaKind.NONE) != (new_kind is MediaKind.NONE):
        return CardSwap.REPLACE
    return CardSwap.EDIT_TEXT if new_kind is MediaKind.NONE else CardSwap.EDIT_MEDIA
