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
