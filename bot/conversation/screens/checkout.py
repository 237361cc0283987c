"""Checkout in the chat: Buy now or Checkout -> (delivery or pickup, once) -> Telegram's
invoice (``bot/conversation/screens/invoice.py``) or a Stripe link.

A returning buyer's choice of delivery is remembered, so Buy now goes straight to the invoice:
Buy now -> Pay -> confirm in Telegram's payment sheet. What follows the invoice (shipping
options, pre-checkout, the payment) is ``bot/conversation/screens/payment.py``; coupons typed or
linked on the way are ``bot/conversation/screens/coupon_entry.py``.
"""

from __future__ import annotations

from bot.conversation.callbacks import Action, Callback
from bot.conversation.dispatch import on_press
from bot.conversation.replies import Button
from bot.conversation.screens import browse
from bot.conversation.screens.invoice import (
    TITLE_MAX,
    Reserved,
    clip,
    delivery_keyboard,
    invoice,
    invoice_title,
)
from bot.conversation.texts import Texts
from bot.conversation.turn import Turn
from bot.domain.group_buys import Team
from bot.services import cash_orders, checkout, cod_orders, stripe_payments
from bot.services.checkout import Basket, CouponCheck, Delivery, Problem
from bot.services.order_ports import Order


async def _basket(
    turn: Turn, variant_id: int, team: Team | None, reserved: Reserved | None = None
) -> Basket:
    if reserved is not None:
        return await checkout.basket_for_claim(turn.uow, reserved.sale, reserved.claim_id)
    if team is not None:
        return await checkout.basket_for_team(turn.uow, team)
    if variant_id:
        return await checkout.basket_for_variant(turn.uow, variant_id)
    return await checkout.basket_from_cart(turn.uow, turn.person.id)


@on_press(Action.BUY)
async def buy_pressed(turn: Turn, call: Callback) -> None:
    """Buy one unit at once, or first pick one of the product's variants."""
    if await browse.pick_or_add(turn, call):
        await buy_product(turn, call.int_arg(0))


@on_press(Action.BUY_VARIANT)
async def buy_variant_pressed(turn: Turn, call: Callback) -> None:
    await begin(turn, call.int_arg(0))


async def buy_product(turn: Turn, product_id: int) -> None:
    """Buy now on a card with one variant (the card checked there is exactly one)."""
    product = await turn.uow.catalog.product(product_id)
    if product is None or not product.sellable_variants:
        turn.answer(turn.tx.t("card.product_gone"), alert=True)
        return
    variants = product.sellable_variants
    if len(variants) > 1 and all(v.available <= 0 for v in variants):
        turn.tell(turn.tx.t("cart.out_of_stock", name=product.name), alert=True)
        return
    await begin(turn, product.sellable_variants[0].id)


async def begin(
    turn: Turn,
    variant_id: int,
    delivery: Delivery | None = None,
    team: Team | None = None,
    reserved: Reserved | None = None,
) -> None:
    """Checkout of one variant (Buy now), of the cart (``variant_id`` 0), or of a seat in a
    group-buy ``team`` at its price."""
    if not turn.in_private:
        if reserved is not None:
            link = turn.deep_link(f"s_{reserved.sale.id}")
        elif team is not None:
            link = turn.deep_link(f"g_{team.id}")
        else:
            link = turn.deep_link(f"p_{variant_id}") if variant_id else turn.deep_link("cart")
        turn.answer(turn.tx.t("checkout.private_only"), alert=link is None)
        if link:
            turn.say(
                turn.tx.t("checkout.private_only"),
                ((Button(turn.tx.label("cart.btn_open_private"), url=link),),),
            )
        return
    tx = turn.tx
    basket = await _basket(turn, variant_id, team, reserved)
    started = await checkout.start(
        turn.uow,
        turn.person.id,
        turn.chat_id,
        basket,
        delivery,
        turn.config.payments,
        turn.now,
    )
    if started.problem is Problem.OUT_OF_STOCK and variant_id and reserved is None:
        # Buy now on a sold-out item (a picker's "EU 44 · sold out", a seat's variant): say so
        # plainly; the cart's "not enough left" wording is for a checkout of the cart.
        sold_out = tx.t("cart.out_of_stock", name=started.name)
        if team is None:
            turn.tell(sold_out, alert=True)
        else:
            turn.refuse(sold_out)
        return
    if started.problem is not None:
        turn.refuse(_problem_text(tx, started.problem, started.name))
        return
    if started.ask_delivery:
        turn.answer()
        turn.say(
            tx.t("checkout.ask_delivery"), delivery_keyboard(turn, variant_id, team, reserved)
        )
        return
    order = started.order
    assert order is not None
    turn.answer()
    _coupon_note(turn, started.coupon)
    if order.method == "stripe_link":
        await _send_link(turn, order)
        return
    cash = await cash_orders.refusal_for(turn.uow, order, turn.config.payments) is None
    cod = await cod_orders.offered(turn.uow, order, turn.config.payments)
    turn.replies.append(invoice(turn, order, variant_id, team, reserved, cash=cash, cod=cod))


def _problem_text(tx: Texts, problem: Problem, name: str) -> str:
    return tx.t(f"checkout.problem.{problem.value}", name=name)


def _coupon_note(turn: Turn, check: CouponCheck) -> None:
    if check.refusal is not None and check.coupon is not None:
        reason = turn.tx.t(f"coupon.refusal.{check.refusal.value}", code=check.coupon.code)
        turn.say(turn.tx.t("checkout.coupon_not_applied", reason=reason))


async def _send_link(turn: Turn, order: Order) -> None:
    """No Telegram payment provider: a Stripe Checkout link that authorises the card now and
    is captured when the order ships."""
    tx = turn.tx
    if turn.card is None:
        turn.say(tx.t("checkout.problem.no_payment"))
        return
    back = turn.deep_link(f"o_{order.id}") or "https://t.me"
    link = await stripe_payments.open_link(
        turn.uow, turn.card, order, invoice_title(turn, order), back, turn.now
    )
    if link is None:  # the stock went meanwhile: name what the order holds
        names = ", ".join(ln.name for ln in order.lines)
        turn.say(tx.t("checkout.problem.out_of_stock", name=clip(names, TITLE_MAX * 2)))
        return
    turn.say(
        tx.t("checkout.link", total=tx.money(order.total), order=order.id),
        ((Button(tx.label("checkout.btn_pay_link", total=tx.money(order.total)), url=link.url),),),
    )


@on_press(Action.DELIVERY, Action.PAY_AGAIN)
async def pressed(turn: Turn, call: Callback) -> None:
    """Delivery or pickup chosen on the invoice (or before it), or Pay again on an order."""
    if call.action is Action.DELIVERY:
        await begin(turn, call.int_arg(1), Delivery(call.str_arg(0)))
    else:
        await begin(turn, call.int_arg(0))
