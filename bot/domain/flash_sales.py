"""Flash sales (秒杀): a few units at a sale price between a start and an end.

A claim reserves one unit for a short payment window. The reservation is the stock: the claim
takes the unit from the variant and counts it against the sale (``claimed < stock``) and the
buyer (``count < per_buyer``) in single conditional writes, so no race oversells; an unpaid
reservation expires and all three go back.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from bot.domain.money import Money

MAX_SALE_LENGTH = timedelta(days=7)


class SaleError(ValueError):
    """A sale a merchant described makes no sense (said back to them as is)."""


class SaleState(StrEnum):
    UPCOMING = "upcoming"
    LIVE = "live"
    ENDED = "ended"


@dataclass(frozen=True, slots=True)
class FlashSale:
    id: int
    variant_id: int
    product_id: int
    name: str
    price: Money
    regular_price: Money
    #: Units on sale (the merchant may lower or raise it while the sale runs).
    stock: int
    #: Units reserved or paid.
    claimed: int
    per_buyer: int
    starts_at: datetime
    ends_at: datetime
    active: bool = True

    def state(self, now: datetime) -> SaleState:
        if not self.active or now >= self.ends_at:
            return SaleState.ENDED
        if now < self.starts_at:
            return SaleState.UPCOMING
        return SaleState.LIVE

    @property
    def left(self) -> int:
        return max(self.stock - self.claimed, 0)


def check_sale(
    price: Money, regular: Money, stock: int, per_buyer: int, starts: datetime, ends: datetime
) -> None:
    if price.currency != regular.currency:
        raise SaleError("the sale price is in another currency than the product")
    if not 0 < price.amount < regular.amount:
        raise SaleError("the sale price must be above zero and below the regular price")
    if stock < 1:
        raise SaleError("a sale has at least one unit")
    if per_buyer < 1:
        raise SaleError("the per-buyer limit is at least 1")
    if ends <= starts:
        raise SaleError("the sale must end after it starts")
    if ends - starts > MAX_SALE_LENGTH:
        raise SaleError("a flash sale lasts at most 7 days")


class ClaimRefusal(StrEnum):
    NOT_FOUND = "not_found"
    NOT_STARTED = "not_started"
    ENDED = "ended"
    SOLD_OUT = "sold_out"  # every unit is reserved or sold (some may come back)
    LIMIT = "limit"  # the buyer has claimed as many as the sale allows


def claim_refusal(sale: FlashSale | None, now: datetime) -> ClaimRefusal | None:
    """What stops a claim before the database is asked (which decides races)."""
    if sale is None:
        return ClaimRefusal.NOT_FOUND
    state = sale.state(now)
    if state is SaleState.UPCOMING:
        return ClaimRefusal.NOT_STARTED
    if state is SaleState.ENDED:
        return ClaimRefusal.ENDED
    if sale.left <= 0:
        return ClaimRefusal.SOLD_OUT
    return None


class PostPhase(StrEnum):
    """What a sale card posted in a group or channel shows (its button follows from it)."""

    UPCOMING = "upcoming"  # the countdown to the start; Notify me
    LIVE = "live"  # units left and the countdown to the end; Grab it
    SOLD_OUT = "sold_out"  # live, every unit taken (some may come back); Notify me if...
    OVER = "over"  # ended, stopped: the card's last edit


def post_phase(sale: FlashSale, now: datetime) -> PostPhase:
    state = sale.state(now)
    if state is SaleState.UPCOMING:
        return PostPhase.UPCOMING
    if state is SaleState.ENDED:
        return PostPhase.OVER
    return PostPhase.LIVE if sale.left > 0 else PostPhase.SOLD_OUT


@dataclass(frozen=True, slots=True)
class SalePost:
    """A sale's card in a group or channel, and what it showed when last edited."""

    id: int
    sale_id: int
    chat_id: int
    message_id: int
    shown_left: int
    shown_phase: PostPhase
    edited_at: datetime


#: The least time between two edits of one posted card. A group takes about 20 messages a
#: minute from a bot; the sender also edits at most one card per chat per round, so a group
#: showing several sales stays inside the limit however fast units go.
POST_MIN_GAP = timedelta(seconds=6)


def countdown_interval(left: timedelta) -> timedelta:
    """How stale a posted countdown may get: a minute in the last hour (it shows minutes),
    five minutes in the last day, half an hour before."""
    if left <= timedelta(hours=1):
        return timedelta(minutes=1)
    if left <= timedelta(days=1):
        return timedelta(minutes=5)
    return timedelta(minutes=30)


def post_edit_due(post: SalePost, sale: FlashSale, now: datetime) -> bool:
    """Whether the posted card should be edited now: the phase or the units left changed, or
    the countdown went stale; never sooner than ``POST_MIN_GAP`` after the last edit."""
    since = now - post.edited_at
    if since < POST_MIN_GAP:
        return False
    phase = post_phase(sale, now)
    if phase is not post.shown_phase:
        return True
    if phase is PostPhase.OVER:
        return False
    if phase is PostPhase.LIVE and sale.left != post.shown_left:
        return True
    target = sale.starts_at if phase is PostPhase.UPCOMING else sale.ends_at
    return since >= countdown_interval(target - now)
