"""Cart rules: how much of a variant a buyer may hold, and what the cart adds up to.

Each refusal is a named reason, so the conversation layer can say *why not* in the buyer's
language instead of failing silently.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from bot.domain.catalog import Variant
from bot.domain.money import Money, sum_money

#: A sane ceiling per cart line, whatever the stock: nobody buys 10,000 phone cases in a chat.
MAX_QUANTITY_PER_LINE = 20
#: A cart holds at most this many different variants (keeps the cart message under 4096 chars).
MAX_LINES = 30


class Refusal(StrEnum):
    OUT_OF_STOCK = "out_of_stock"  # nothing left to add
    STOCK_LIMIT = "stock_limit"  # the cart already holds every unit in stock
    LINE_LIMIT = "line_limit"  # the per-line maximum is reached
    CART_FULL = "cart_full"  # too many different items
    CURRENCY_MISMATCH = "currency_mismatch"  # the cart is priced in another currency
    UNAVAILABLE = "unavailable"  # archived product or variant
    BAD_QUANTITY = "bad_quantity"  # zero, negative or absurd


@dataclass(frozen=True, slots=True)
class QuantityDecision:
    """The quantity a line should hold after a request, and why it differs if it does."""

    quantity: int
    refusal: Refusal | None = None
    #: True when the request was partly honoured (asked for 8, only 5 in stock).
    capped: bool = False


def line_cap(variant: Variant, max_per_line: int = MAX_QUANTITY_PER_LINE) -> int:
    """The most units of ``variant`` one cart line may hold now."""
    return min(variant.available, max_per_line)


def decide_quantity(
    variant: Variant,
    current: int,
    requested: int,
    *,
    max_per_line: int = MAX_QUANTITY_PER_LINE,
) -> QuantityDecision:
    """Clamp a requested line quantity to stock and the per-line maximum.

    ``requested`` is the new total for the line (current + 1 for an "Add" press). Zero means
    remove the line; a negative request is refused. The result never exceeds the cap and never
    drops an existing line because stock fell: it is lowered to what is available.
    """
    if requested < 0:
        return QuantityDecision(current, Refusal.BAD_QUANTITY)
    if requested == 0:
        return QuantityDecision(0)
    if not variant.active:
        return QuantityDecision(current, Refusal.UNAVAILABLE)
    cap = line_cap(variant, max_per_line)
    if cap == 0:
        return QuantityDecision(0, Refusal.OUT_OF_STOCK)
    if requested <= cap:
        return QuantityDecision(requested)
    reason = Refusal.LINE_LIMIT if cap == max_per_line else Refusal.STOCK_LIMIT
    # Already at the cap: nothing changes. Below it: fill up to the cap and say so.
    return QuantityDecision(cap, reason, capped=current < cap)


@dataclass(frozen=True, slots=True)
class CartLine:
    """One variant in a cart, joined with what the buyer needs to see about it."""

    variant: Variant
    product_name: str
    quantity: int

    @property
    def total(self) -> Money:
        return self.variant.price * self.quantity

    @property
    def short_of_stock(self) -> bool:
        """Stock fell below what the line holds since it was added."""
        return self.quantity > self.variant.available


@dataclass(frozen=True, slots=True)
class Cart:
    lines: tuple[CartLine, ...]

    @property
    def is_empty(self) -> bool:
        return not self.lines

    @property
    def currency(self) -> str | None:
        return self.lines[0].variant.price.currency if self.lines else None

    @property
    def total(self) -> Money | None:
        if not self.lines:
            return None
        currency = self.lines[0].variant.price.currency
        return sum_money([line.total for line in self.lines], currency)

    @property
    def item_count(self) -> int:
        return sum(line.quantity for line in self.lines)


def check_can_add(cart: Cart, variant: Variant) -> Refusal | None:
    """Refusals that depend on the cart as a whole rather than on the line."""
    if not variant.active:
        return Refusal.UNAVAILABLE
    if cart.currency is not None and variant.price.currency != cart.currency:
        return Refusal.CURRENCY_MISMATCH
    holds = any(line.variant.id == variant.id for line in cart.lines)
    if not holds and len(cart.lines) >= MAX_LINES:
        return Refusal.CART_FULL
    return None
