"""Creators (KOLs): people the audience trusts, who recommend a product and earn from it.

A merchant invites a creator with a link; the creator accepts and gets a **creator code**.
Share links carry the code (``k_<CODE>`` for the shop, ``k_<CODE>_<product>`` for a product)
and fit Telegram's deep-link start parameter: at most 64 characters of ``[A-Za-z0-9_-]``.

Attribution is the buyer's **last click** within a window; a creator never earns from their own
purchases. A commission is ``pending`` until the order's return window closes, then
``settled``; a refund reverses (part of) it, before or after it settled.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from bot.domain.coupons import percent_of
from bot.domain.money import Money

#: What Telegram allows in a ``start`` parameter.
START_PARAMETER = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
#: A creator code: upper-case letters and digits (no look-alike 0/O, 1/I), 6 to 10 of them.
CODE = re.compile(r"^[A-HJ-NP-Z2-9]{6,10}$")
CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 8
SHOP_LINK = re.compile(r"^k_([A-Za-z0-9]{1,16})$")
PRODUCT_LINK = re.compile(r"^k_([A-Za-z0-9]{1,16})_([1-9][0-9]{0,17})$")
INVITE_LINK = re.compile(r"^ki_([A-Za-z0-9_-]{16,43})$")
#: How long a merchant's invitation can be accepted.
INVITE_VALID = timedelta(days=7)
#: How long after a click an order still counts for the creator (last click wins).
DEFAULT_WINDOW = timedelta(days=7)
MAX_RATE_PERCENT = 50


class CreatorError(ValueError):
    """Something a merchant asked for makes no sense (said back to them as is)."""


def check_rate(percent: int) -> int:
    if not 0 <= percent <= MAX_RATE_PERCENT:
        raise CreatorError(f"the commission is 0 to {MAX_RATE_PERCENT} percent")
    return percent


def normalise_code(raw: str) -> str | None:
    code = raw.strip().upper()
    return code if CODE.match(code) else None


def shop_payload(code: str) -> str:
    return _fits(f"k_{code}")


def product_payload(code: str, product_id: int) -> str:
    return _fits(f"k_{code}_{product_id}")


def _fits(payload: str) -> str:
    if not START_PARAMETER.match(payload):
        raise CreatorError(f"not a Telegram start parameter: {payload!r}")
    return payload


@dataclass(frozen=True, slots=True)
class Creator:
    user_id: int
    code: str
    #: The creator's rate; a product's own rate for creators takes precedence.
    rate_percent: int
    active: bool
    joined_at: datetime
    name: str = ""
    #: The shop's gift to whoever opens the creator's link: a coupon, offered with a button
    #: signed for that person's chat (``storefront creators coupon``).
    coupon_id: int | None = None


@dataclass(frozen=True, slots=True)
class CreatorInvite:
    id: int
    token: str
    rate_percent: int
    created_at: datetime
    #: Who opened the link first: only they may accept it.
    opened_by: int | None = None
    accepted_by: int | None = None

    def expires_at(self) -> datetime:
        return self.created_at + INVITE_VALID


class InviteRefusal(StrEnum):
    UNKNOWN = "unknown"  # no such invitation (forged or mistyped)
    EXPIRED = "expired"  # older than INVITE_VALID
    USED = "used"  # already accepted (by someone, or opened by someone else)
    ALREADY_CREATOR = "already_creator"


def invite_refusal(
    invite: CreatorInvite | None, person: int, now: datetime, is_creator: bool
) -> InviteRefusal | None:
    if invite is None:
        return InviteRefusal.UNKNOWN
    if is_creator:
        return InviteRefusal.ALREADY_CREATOR
    if invite.accepted_by is not None or invite.opened_by not in (None, person):
        return InviteRefusal.USED
    if now >= invite.expires_at():
        return InviteRefusal.EXPIRED
    return None


class ClickRefusal(StrEnum):
    UNKNOWN = "unknown"  # no creator has this code (forged, mistyped, or removed)
    OWN_LINK = "own_link"  # the creator opened their own link: it never credits them


def click_refusal(creator: Creator | None, buyer_id: int) -> ClickRefusal | None:
    if creator is None or not creator.active:
        return ClickRefusal.UNKNOWN
    if creator.user_id == buyer_id:
        return ClickRefusal.OWN_LINK
    return None


def attributable(
    creator: Creator | None,
    buyer_id: int,
    clicked_at: datetime,
    now: datetime,
    expires_at: datetime,
) -> bool:
    """Whether the buyer's last click (open until ``expires_at``, the shop's window after it)
    ties an order paid ``now`` to the creator: never the creator's own order."""
    return (
        creator is not None
        and creator.active
        and creator.user_id != buyer_id
        and clicked_at <= now < expires_at
    )


class CommissionStatus(StrEnum):
    PENDING = "pending"  # the return window is open: a refund may still take it back
    SETTLED = "settled"  # the return window closed: it counts towards payouts
    REVERSED = "reversed"  # refunded in full: nothing is owed


#: The only moves a commission makes (a refund after settling reduces it in place).
TRANSITIONS: dict[CommissionStatus, frozenset[CommissionStatus]] = {
    CommissionStatus.PENDING: frozenset({CommissionStatus.SETTLED, CommissionStatus.REVERSED}),
    CommissionStatus.SETTLED: frozenset({CommissionStatus.REVERSED}),
    CommissionStatus.REVERSED: frozenset(),
}


def commission(goods: Money, percent: int) -> Money:
    """The creator's share of an order's goods after discounts (never shipping)."""
    return percent_of(goods, percent)


def reversal(share: Money, already: int, refunded: Money, order_total: Money) -> int:
    """How much of ``share`` a refund of ``refunded`` (of ``order_total``) takes back, never
    more than is left of it."""
    if order_total.amount <= 0:
        return 0
    back = share.amount * refunded.amount // order_total.amount
    return max(min(back, share.amount - already), 0)


class PayoutStatus(StrEnum):
    REQUESTED = "requested"
    PAID = "paid"


@dataclass(frozen=True, slots=True)
class Payout:
    id: int
    creator_id: int
    amount: Money
    status: PayoutStatus
    requested_at: datetime
    paid_at: datetime | None = None
