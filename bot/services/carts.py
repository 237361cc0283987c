"""Cart use cases. Quantities are decided by ``bot.domain.cart`` and written in one statement."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from bot.domain.cart import (
    MAX_QUANTITY_PER_LINE,
    Cart,
    CartLine,
    Refusal,
    check_can_add,
    decide_quantity,
    line_cap,
)
from bot.domain.catalog import Variant
from bot.domain.interests import InteractionKind
from bot.services.ports import UnitOfWork


@dataclass(frozen=True, slots=True)
class CartView:
    cart: Cart
    #: Cart line ids in the same order as ``cart.lines`` (buttons carry these).
    line_ids: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class AddOutcome:
    variant: Variant
    product_name: str
    quantity: int
    refusal: Refusal | None
    capped: bool
    item_count: int
    cart_currency: str | None = None

    @property
    def added(self) -> bool:
        return self.refusal is None or self.capped


class LineStatus(StrEnum):
    OK = "ok"
    GONE = "gone"  # no such line (removed, or a forged id)
    NOT_YOURS = "not_yours"  # the line is in another buyer's cart


@dataclass(frozen=True, slots=True)
class LineOutcome:
    status: LineStatus
    line: CartLine | None = None
    quantity: int = 0
    refusal: Refusal | None = None


async def view_cart(uow: UnitOfWork, user_id: int) -> CartView:
    rows = await uow.carts.lines(user_id)
    return CartView(Cart(tuple(line for _, line in rows)), tuple(i for i, _ in rows))


async def add_to_cart(
    uow: UnitOfWork,
    user_id: int,
    variant_id: int,
    now: datetime,
    *,
    max_per_line: int = MAX_QUANTITY_PER_LINE,
) -> AddOutcome | None:
    """Add one unit of a variant; None when the variant or its product no longer exists."""
    found = await uow.catalog.variant(variant_id)
    if found is None:
        return None
    variant, product = found
    view = await view_cart(uow, user_id)
    current = next((ln.quantity for ln in view.cart.lines if ln.variant.id == variant_id), 0)
    refusal = check_can_add(view.cart, variant)
    if refusal is not None:
        return AddOutcome(
            variant,
            product.name,
            current,
            refusal,
            False,
            view.cart.item_count,
            view.cart.currency,
        )
    decision = decide_quantity(variant, current, current + 1, max_per_line=max_per_line)
    quantity = current
    if decision.quantity != current:
        quantity = await uow.carts.add(
            user_id, variant_id, decision.quantity - current, line_cap(variant, max_per_line), now
        )
        if quantity > current:
            await uow.interests.record(user_id, [product.id], InteractionKind.ADD, now)
    count = view.cart.item_count - current + quantity
    return AddOutcome(
        variant,
        product.name,
        quantity,
        decision.refusal,
        decision.capped,
        count,
        view.cart.currency,
    )


async def _own_line(
    uow: UnitOfWork, user_id: int, line_id: int
) -> tuple[LineOutcome | None, CartLine | None]:
    stored = await uow.carts.line(line_id)
    if stored is None:
        return LineOutcome(LineStatus.GONE), None
    if stored.user_id != user_id:
        return LineOutcome(LineStatus.NOT_YOURS), None
    rows = await uow.carts.lines(user_id)
    line = next((ln for i, ln in rows if i == line_id), None)
    if line is None:
        return LineOutcome(LineStatus.GONE), None
    return None, line


async def _apply(
    uow: UnitOfWork,
    line_id: int,
    line: CartLine,
    requested: int,
    now: datetime,
    max_per_line: int,
) -> LineOutcome:
    decision = decide_quantity(line.variant, line.quantity, requested, max_per_line=max_per_line)
    if decision.refusal is Refusal.BAD_QUANTITY:
        return LineOutcome(LineStatus.OK, line, line.quantity, decision.refusal)
    if decision.quantity == 0:
        await uow.carts.remove(line_id)
    elif decision.quantity != line.quantity:
        await uow.carts.set_quantity(line_id, decision.quantity, now)
    return LineOutcome(LineStatus.OK, line, decision.quantity, decision.refusal)


async def set_line_quantity(
    uow: UnitOfWork,
    user_id: int,
    line_id: int,
    requested: int,
    now: datetime,
    *,
    max_per_line: int = MAX_QUANTITY_PER_LINE,
) -> LineOutcome:
    """Set a line to ``requested`` units (0 removes it), clamped to stock and the maximum."""
    refused, line = await _own_line(uow, user_id, line_id)
    if refused is not None:
        return refused
    assert line is not None
    return await _apply(uow, line_id, line, requested, now, max_per_line)


async def step_line(
    uow: UnitOfWork,
    user_id: int,
    line_id: int,
    delta: int,
    now: datetime,
    *,
    max_per_line: int = MAX_QUANTITY_PER_LINE,
) -> LineOutcome:
    """+1 / −1 on a line; −1 on a single unit removes the line."""
    refused, line = await _own_line(uow, user_id, line_id)
    if refused is not None:
        return refused
    assert line is not None
    return await _apply(uow, line_id, line, max(line.quantity + delta, 0), now, max_per_line)


async def remove_line(uow: UnitOfWork, user_id: int, line_id: int) -> LineOutcome:
    refused, line = await _own_line(uow, user_id, line_id)
    if refused is not None:
        return refused
    await uow.carts.remove(line_id)
    return LineOutcome(LineStatus.OK, line, 0)


async def clear_cart(uow: UnitOfWork, user_id: int) -> int:
    return await uow.carts.clear(user_id)
