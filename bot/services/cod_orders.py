"""Cash on delivery for a shipped order: the chat collects what Telegram's payment sheet would
(the country, a shipping method that takes cash there, the recipient's name, phone and address),
then the order is placed like one paid at pickup (``bot/services/cash_orders.py``): its stock
held until the deadline, ``awaiting_cash`` until staff mark it paid when the courier brings the
cash, or it expires.

The draft is kept on the pending order itself, where a paid order keeps what the sheet gave
(``ship_name``, ``ship_phone``, ``ship_address`` as Telegram's address, ``shipping_option``), so
a buyer who leaves half-way finds it there when they come back, and the console's order view and
"mark shipped" read a cash order's address as they read a paid one's. Every answer is re-checked
here (the buyer's own pending order, a method that takes cash to that country, the limits), not
taken from a button.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from bot.domain.cash import CashRefusal, cash_refusal
from bot.domain.cod_address import TYPED, CodDraft, InputRefusal, Step, clean
from bot.domain.money import Money
from bot.domain.orders import OrderStatus
from bot.domain.shipping import ShippingOption
from bot.services.cash_orders import Placed, hold_and_await
from bot.services.checkout import Delivery, PaymentSetup
from bot.services.order_ports import Order, ShippingChoice
from bot.services.ports import UnitOfWork


def eligible(order: Order, setup: PaymentSetup) -> bool:
    """A shipped order of the kind cash on delivery is for (not a group-buy seat or a
    flash-sale unit, whose price is paid in advance, nor Stars), in a shop with a method that
    takes it."""
    return (
        order.delivery == Delivery.SHIP
        and order.team_id is None
        and order.claim_id is None
        and order.method != "stars"
        and bool(setup.shipping.cod_options)
    )


async def offered(uow: UnitOfWork, order: Order, setup: PaymentSetup) -> bool:
    """Whether the invoice offers cash on delivery: a method takes it, and its limits let this
    order through before shipping is added (confirming checks again with it)."""
    if not eligible(order, setup) or order.status is not OrderStatus.PENDING:
        return False
    paid = await uow.orders.paid_count(order.user_id)
    return any(
        o.cash is not None and cash_refusal(o.cash, order.total, paid, setup.cash) is None
        for o in setup.shipping.cod_options
    )


def draft_of(order: Order) -> CodDraft:
    address: dict[str, object] = {}
    if order.ship_address:
        try:
            loaded = json.loads(order.ship_address)
        except ValueError:
            loaded = None
        if isinstance(loaded, dict):
            address = loaded
    return CodDraft.from_address(
        address, order.shipping_option or "", order.ship_name or "", order.ship_phone or ""
    )


def subtotal(order: Order) -> Money:
    return order.items - order.discount


def methods(
    order: Order, draft: CodDraft, setup: PaymentSetup
) -> list[tuple[ShippingOption, Money]]:
    """The methods that take cash on delivery to the draft's country, with their prices."""
    if not draft.country:
        return []
    return setup.shipping.cod_options_for(draft.country, subtotal(order))


@dataclass(frozen=True, slots=True)
class Quote:
    option: ShippingOption
    shipping: Money
    shipping_discount: Money
    total: Money


def quote(order: Order, draft: CodDraft, setup: PaymentSetup) -> Quote | None:
    """The draft's method, what it costs and the order's total with it; None when the method
    no longer takes cash to that country."""
    for option, price in methods(order, draft, setup):
        if option.id == draft.method:
            free = price if order.free_shipping else Money.zero(order.currency)
            return Quote(option, price, free, subtotal(order) + price - free)
    return None


@dataclass(frozen=True, slots=True)
class Opened:
    order: Order | None = None
    draft: CodDraft = CodDraft()
    refusal: CashRefusal | None = None
    #: The order awaits cash already (confirmed before): nothing to collect.
    placed: bool = False


async def open_draft(uow: UnitOfWork, user_id: int, order_id: int, setup: PaymentSetup) -> Opened:
    """The buyer's pending shipped order and its draft, or why there is none to fill."""
    order = await uow.orders.get(order_id)
    if order is None or order.user_id != user_id:
        return Opened(refusal=CashRefusal.GONE)
    if order.status is OrderStatus.AWAITING_CASH and order.delivery == Delivery.SHIP:
        return Opened(order, draft_of(order), placed=True)
    if order.status is not OrderStatus.PENDING:
        return Opened(order, refusal=CashRefusal.GONE)
    if not eligible(order, setup):
        return Opened(order, refusal=CashRefusal.NOT_OFFERED)
    return Opened(order, draft_of(order))


async def save(uow: UnitOfWork, order: Order, draft: CodDraft) -> None:
    """Keep the draft on the pending order (its total is the items' until confirmed)."""
    zero = Money.zero(order.currency)
    address = draft.address() if draft.started else None
    choice = ShippingChoice(
        draft.method or None,
        zero,
        zero,
        draft.name or None,
        draft.phone or None,
        json.dumps(address, ensure_ascii=False, sort_keys=True) if address else None,
    )
    await uow.orders.set_shipping(order.id, choice, subtotal(order))


@dataclass(frozen=True, slots=True)
class Answered:
    draft: CodDraft
    refusal: InputRefusal | None = None


async def answer(
    uow: UnitOfWork, order: Order, step: Step, text: str, setup: PaymentSetup
) -> Answered:
    """A typed answer to ``step`` of the order's draft: kept, or refused with the reason (the
    draft unchanged)."""
    draft = draft_of(order)
    if step not in TYPED:
        return Answered(draft, InputRefusal.EMPTY)
    value = clean(step, text)
    if isinstance(value, InputRefusal):
        return Answered(draft, value)
    given = draft.given(step, value)
    if step is Step.COUNTRY:
        offered = methods(order, given, setup)
        if not offered:
            return Answered(draft, InputRefusal.NOT_SHIPPED)
        if len(offered) == 1:  # one method: no question to ask
            given = given.given(Step.METHOD, offered[0][0].id)
    await save(uow, order, given)
    return Answered(given)


async def choose(
    uow: UnitOfWork, order: Order, option_id: str, setup: PaymentSetup
) -> CashRefusal | None:
    """The method chosen with a button: kept when it takes cash to the draft's country (a
    forged or stale button names none)."""
    draft = draft_of(order).given(Step.METHOD, option_id)
    if quote(order, draft, setup) is None:
        return CashRefusal.NOT_OFFERED
    await save(uow, order, draft)
    return None


async def restart(uow: UnitOfWork, order: Order) -> None:
    await save(uow, order, CodDraft())


async def drop_method(uow: UnitOfWork, order: Order) -> None:
    """Forget a method that no longer takes cash there (the shipping file changed)."""
    await save(uow, order, draft_of(order).given(Step.METHOD, ""))


async def limit_refusal(
    uow: UnitOfWork, order: Order, quoted: Quote, setup: PaymentSetup
) -> CashRefusal | None:
    """The method's limits (cap on the total with shipping, first-time buyers)."""
    paid = await uow.orders.paid_count(order.user_id)
    return cash_refusal(quoted.option.cash, quoted.total, paid, setup.cash)


async def confirm(
    uow: UnitOfWork, user_id: int, order_id: int, setup: PaymentSetup, now: datetime
) -> Placed:
    """The buyer confirmed the summary: the shipping cost joins the total, the address is the
    order's, its stock is held until the deadline and the order awaits cash. Refused when the
    draft is not complete, the method no longer takes cash there, or a limit says no."""
    opened = await open_draft(uow, user_id, order_id, setup)
    if opened.placed:
        return Placed(opened.order, again=True)
    order = opened.order
    if order is None or opened.refusal is not None:
        return Placed(order, opened.refusal or CashRefusal.GONE)
    draft = opened.draft
    quoted = quote(order, draft, setup)
    if draft.next_step() is not Step.CONFIRM or quoted is None:
        return Placed(order, CashRefusal.NOT_OFFERED)
    refusal = await limit_refusal(uow, order, quoted, setup)
    if refusal is not None:
        return Placed(order, refusal)
    address = json.dumps(draft.address(), ensure_ascii=False, sort_keys=True)
    choice = ShippingChoice(
        quoted.option.id,
        quoted.shipping,
        quoted.shipping_discount,
        draft.name,
        draft.phone,
        address,
    )
    await uow.orders.set_shipping(order.id, choice, quoted.total)
    shipped = await uow.orders.get(order.id)
    assert shipped is not None
    # Writing waited for the row: a confirmation handled meanwhile (another process) may have
    # placed it. Read again, it is no longer pending, and its hold is not ours to take over.
    if shipped.status is OrderStatus.AWAITING_CASH:
        return Placed(shipped, again=True)
    if shipped.status is not OrderStatus.PENDING:
        return Placed(shipped, CashRefusal.GONE)
    return await hold_and_await(uow, shipped, setup, now)
