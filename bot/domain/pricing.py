"""What a basket costs: items, coupon discount, shipping and its discount, total.

One function computes it, from values loaded beforehand (load, then compute), and the total
is never negative because every discount is capped by what it applies to.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.domain.coupons import Discount, PricedLine
from bot.domain.money import Money


@dataclass(frozen=True, slots=True)
class Quote:
    items: Money
    discount: Money  # off the items
    shipping: Money
    shipping_discount: Money  # off the shipping (free-shipping coupons)

    @property
    def currency(self) -> str:
        return self.items.currency

    @property
    def total(self) -> Money:
        return self.items - self.discount + self.shipping - self.shipping_discount


def quote(lines: list[PricedLine], discount: Discount | None, shipping: Money | None) -> Quote:
    if not lines:
        raise ValueError("nothing to price")
    currency = lines[0].unit_price.currency
    items = Money(sum(line.total.amount for line in lines), currency)
    zero = Money.zero(currency)
    off = zero
    if discount is not None:
        off = Money(min(max(discount.items.amount, 0), items.amount), currency)
    ship = shipping if shipping is not None else zero
    ship = Money(max(ship.amount, 0), currency)
    free = discount is not None and discount.free_shipping
    return Quote(items, off, ship, ship if free else zero)
