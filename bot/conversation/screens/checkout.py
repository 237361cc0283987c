"""Checkout in the chat: Buy now or Checkout -> (delivery or pickup, once) -> Telegram's
invoice -> shipping options -> pre-checkout -> receipt.

A returning buyer's choice of delivery is remembered, so Buy now goes straight to the invoice:
Buy now -> Pay -> confirm in Telegram's payment sheet.
"""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass
from typing import Protocol

from bot.conversation.callbacks import Action, Callback, cb
from bot.conversation.dispatch import on_command, on_press, on_start, on_step
from bot.conversation.events import PaymentDone, PreCheckout, ShippingQuery
from bot.conversation.replies import (
    AnswerPreCheckout,
    AnswerShipping,
    Button,
    Keyboard,
    SendInvoice,
)
from bot.conversation.screens import browse, guessing, recs
from bot.conversation.screens.team_text import invite_link, left_text, private_keyboard
from bot.conversation.texts import Texts
from bot.conversation.turn import Turn
from bot.domain.coupons import Coupon, CouponKind, CouponRefusal
from bot.domain.flash_sales import FlashSale
from bot.domain.group_buys import Team, TeamStatus
from bot.domain.guesses import CodeKind
from bot.domain.money import Money
from bot.logs import bind_order
from bot.services import checkout, coupons, stripe_payments
from bot.services.checkout import (
    Basket,
    Charge,
    CouponCheck,
    Delivery,
    PaymentFacts,
    PaymentResult,
    PreCheckoutRefusal,
    Problem,
    payload_of,
)
from bot.services.coupons import Applied
from bot.services.order_ports import PAYMENT_BACKUP, Order
from bot.services.ports import UiState

log = logging.getLogger(__name__)

ASK_COUPON = "checkout.coupon"
#: ``t.me/bot?start=c_CODE``: apply the coupon.
COUPON_LINK = re.compile(r"^c_([A-Za-z0-9_-]{2,32})$")
#: What a payer hears when their payment bought nothing and is being refunded.
_REFUSED_PAYMENT = {
    PaymentResult.FOREIGN: "checkout.foreign_invoice",
    PaymentResult.ALREADY_PAID: "checkout.already_paid",
}
#: Telegram's limits on an invoice's title and description.
_TITLE_MAX = 32
_DESCRIPTION_MAX = 255


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


class _Place(Protocol):
    """A pickup point, the shop's or a group-buy leader's (both frozen dataclasses)."""

    @property
    def name(self) -> str: ...
    @property
    def address(self) -> str: ...


@dataclass(frozen=True, slots=True)
class Reserved:
    """A flash-sale unit the buyer holds, to invoice at the sale price."""

    sale: FlashSale
    claim_id: int


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


@on_step(ASK_COUPON)
async def coupon_typed(turn: Turn, state: UiState, text: str) -> None:
    then = int(state.data.get("variant", 0)) if state.data.get("checkout") else None
    await apply_typed(turn, text, then_checkout=then)


@on_start(COUPON_LINK)
async def coupon_link(turn: Turn, link: re.Match[str]) -> None:
    await apply_typed(turn, link.group(1), then_checkout=None)


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
            tx.t("checkout.ask_delivery"), _delivery_keyboard(turn, variant_id, team, reserved)
        )
        return
    order = started.order
    assert order is not None
    turn.answer()
    _coupon_note(turn, started.coupon)
    if order.method == "stripe_link":
        await _send_link(turn, order)
        return
    turn.replies.append(_invoice(turn, order, variant_id, team, reserved))


def _problem_text(tx: Texts, problem: Problem, name: str) -> str:
    return tx.t(f"checkout.problem.{problem.value}", name=name)


def pickup_place(turn: Turn, team: Team | None) -> _Place | None:
    """Where goods are collected: a group-buy leader's point, else the shop's."""
    if team is not None and team.pickup is not None:
        return team.pickup
    return turn.config.payments.shipping.pickup


def _delivery_callback(
    how: Delivery, variant_id: int, team: Team | None, reserved: Reserved | None = None
) -> str:
    if reserved is not None:
        return cb(Action.FLASH_DELIVERY, how.value, reserved.claim_id)
    if team is not None:
        return cb(Action.GROUP_DELIVERY, how.value, team.id)
    return cb(Action.DELIVERY, how.value, variant_id)


def _delivery_keyboard(
    turn: Turn, variant_id: int, team: Team | None, reserved: Reserved | None = None
) -> Keyboard:
    tx = turn.tx
    rows: list[tuple[Button, ...]] = [
        (
            Button(
                tx.label("checkout.btn_ship"),
                _delivery_callback(Delivery.SHIP, variant_id, team, reserved),
            ),
        )
    ]
    pickup = pickup_place(turn, team)
    if pickup is not None:
        rows.append(
            (
                Button(
                    tx.label("checkout.btn_pickup", place=pickup.name),
                    _delivery_callback(Delivery.PICKUP, variant_id, team, reserved),
                ),
            )
        )
    return tuple(rows)


def _coupon_note(turn: Turn, check: CouponCheck) -> None:
    if check.refusal is not None and check.coupon is not None:
        reason = turn.tx.t(f"coupon.refusal.{check.refusal.value}", code=check.coupon.code)
        turn.say(turn.tx.t("checkout.coupon_not_applied", reason=reason))


def _title(turn: Turn, order: Order) -> str:
    if len(order.lines) == 1:
        return _clip(order.lines[0].name, _TITLE_MAX)
    return _clip(turn.tx.label("checkout.title", shop=turn.config.shop_name), _TITLE_MAX)


def _invoice(
    turn: Turn,
    order: Order,
    variant_id: int,
    team: Team | None,
    reserved: Reserved | None = None,
) -> SendInvoice:
    tx = turn.tx
    stars = order.method == "stars"
    items = [(f"{ln.name} × {ln.quantity}", ln.total.amount) for ln in order.lines]
    description = _clip(
        "\n".join(f"{ln.name} × {ln.quantity}" for ln in order.lines), _DESCRIPTION_MAX
    )
    prices: list[tuple[str, int]]
    if stars:  # Telegram Stars invoices take exactly one price
        prices = [(tx.label("checkout.total_label"), order.total.amount)]
    else:
        prices = items
        if order.discount.amount:
            prices.append(
                (
                    tx.label("checkout.discount_label", code=order.coupon_code or ""),
                    -order.discount.amount,
                )
            )
    ship = order.delivery == Delivery.SHIP
    person = order.delivery in (Delivery.SHIP, Delivery.PICKUP)
    pay = Button(tx.label("checkout.btn_pay", total=tx.money(order.total)), pay=True)
    rows: list[tuple[Button, ...]] = [(pay,)]
    if team is None and reserved is None:  # the group or sale price is the promotion
        extra = [Button(tx.label("checkout.btn_coupon"), cb(Action.COUPON_ASK, variant_id))]
        if order.coupon_code:
            extra.append(
                Button(
                    tx.label("checkout.btn_coupon_remove"), cb(Action.COUPON_REMOVE, variant_id)
                )
            )
        rows.append(tuple(extra))
    pickup = pickup_place(turn, team)
    if person and pickup is not None and turn.config.payments.shipping.ships:
        other = Delivery.PICKUP if ship else Delivery.SHIP
        key = "checkout.btn_switch_pickup" if ship else "checkout.btn_switch_ship"
        switch = _delivery_callback(other, variant_id, team, reserved)
        rows.append((Button(tx.label(key), switch),))
    return SendInvoice(
        chat_id=turn.chat_id,
        title=_title(turn, order),
        description=description or _title(turn, order),
        payload=payload_of(order),
        currency=order.currency,
        prices=tuple(prices),
        provider_token="" if stars else turn.config.payments.provider_token,
        is_flexible=ship,
        need_name=person,
        need_phone_number=person,
        need_shipping_address=ship,
        keyboard=tuple(rows),
    )


async def _send_link(turn: Turn, order: Order) -> None:
    """No Telegram payment provider: a Stripe Checkout link that authorises the card now and
    is captured when the order ships."""
    tx = turn.tx
    if turn.card is None:
        turn.say(tx.t("checkout.problem.no_payment"))
        return
    back = turn.deep_link(f"o_{order.id}") or "https://t.me"
    link = await stripe_payments.open_link(
        turn.uow, turn.card, order, _title(turn, order), back, turn.now
    )
    if link is None:  # the stock went meanwhile: name what the order holds
        names = ", ".join(ln.name for ln in order.lines)
        turn.say(tx.t("checkout.problem.out_of_stock", name=_clip(names, _TITLE_MAX * 2)))
        return
    turn.say(
        tx.t("checkout.link", total=tx.money(order.total), order=order.id),
        ((Button(tx.label("checkout.btn_pay_link", total=tx.money(order.total)), url=link.url),),),
    )


async def _checkout_exists(turn: Turn, variant_id: int) -> bool:
    """Whether a checkout's Coupon button names the cart (0) or a variant on sale; a forged
    or stale one is answered, and no step begins."""
    found = await turn.uow.catalog.variant(variant_id) if variant_id else None
    if variant_id and (found is None or not found[0].active or not found[1].active):
        turn.answer(turn.tx.t("checkout.problem.gone"), alert=True)
        return False
    return True


@on_press(Action.DELIVERY, Action.PAY_AGAIN, Action.COUPON_ASK, Action.COUPON_REMOVE)
async def pressed(turn: Turn, call: Callback) -> None:
    action = call.action
    if action is Action.DELIVERY:
        await begin(turn, call.int_arg(1), Delivery(call.str_arg(0)))
    elif action is Action.PAY_AGAIN:
        await begin(turn, call.int_arg(0))
    elif action is Action.COUPON_ASK:
        if not await _checkout_exists(turn, call.int_arg(0)):
            return
        await turn.uow.ui_states.set(
            turn.person.id,
            turn.chat_id,
            UiState(ASK_COUPON, {"variant": call.int_arg(0), "checkout": 1}),
            turn.now,
        )
        turn.answer()
        turn.say(turn.tx.t("coupon.ask"))
    elif action is Action.COUPON_REMOVE:
        await coupons.remove(turn.uow, turn.person.id)
        turn.answer(turn.tx.t("coupon.removed"))
        await begin(turn, call.int_arg(0))


async def shipping(turn: Turn, event: ShippingQuery) -> None:
    """Telegram's ``shipping_query``: the options for the buyer's country, or why not."""
    setup = turn.config.payments
    answer = await checkout.shipping_options(
        turn.uow, event.person.id, event.payload, event.country_code, setup
    )
    tx = turn.tx
    if answer.refusal is not None:
        turn.replies.append(
            AnswerShipping(event.query_id, error=tx.label(f"shipping.refusal.{answer.refusal}"))
        )
        return
    options = tuple(
        (
            option_id,
            label,
            tuple(
                (tx.label("shipping.free_label") if name == "coupon" else name, amount)
                for name, amount in prices
            ),
        )
        for option_id, label, prices in answer.options
    )
    turn.replies.append(AnswerShipping(event.query_id, options))


def _facts(event: PreCheckout | PaymentDone) -> PaymentFacts:
    return PaymentFacts(
        event.person.id,
        event.payload,
        event.currency,
        event.total_amount,
        event.shipping_option_id,
        event.order_info,
    )


async def pre_checkout(turn: Turn, event: PreCheckout) -> None:
    """Telegram's ``pre_checkout_query``: re-check and hold, within the 10 seconds."""
    facts = _facts(event)
    refusal = await checkout.pre_checkout(turn.uow, facts, turn.config.payments, turn.now)
    error = None if refusal is None else turn.tx.label(f"precheckout.{refusal.value}")
    if refusal is not None:
        log.info("pre-checkout refused: %s", refusal)
        if refusal is PreCheckoutRefusal.UNKNOWN_ORDER:
            log.warning("pre-checkout for an unknown or foreign payload from %s", event.person.id)
    turn.replies.append(AnswerPreCheckout(event.query_id, error))


async def paid(turn: Turn, event: PaymentDone) -> None:
    """``successful_payment``: one paid order, a receipt (or a refund and an apology)."""
    facts = _facts(event)
    outcome = await checkout.payment_received(
        turn.uow,
        facts,
        Charge(event.telegram_charge_id, event.provider_charge_id),
        turn.now,
    )
    tx = turn.tx
    order = outcome.order
    bind_order(order.id if order is not None else None)
    if outcome.result is PaymentResult.DUPLICATE:
        log.info("successful_payment for charge already recorded (order %s)", order and order.id)
        return
    turn.outbox_dirty = True
    if outcome.result in (PaymentResult.FOREIGN, PaymentResult.ALREADY_PAID):
        if outcome.result is PaymentResult.FOREIGN:
            log.warning("user %s paid someone else's invoice; refund queued", event.person.id)
        amount = Money(event.total_amount, event.currency)
        turn.say(tx.t(_REFUSED_PAYMENT[outcome.result], total=tx.money(amount)))
        return
    if outcome.result is PaymentResult.REFUNDING or order is None:
        amount = Money(event.total_amount, event.currency)
        key = "checkout.not_honoured_group" if order and order.team_id else "checkout.not_honoured"
        turn.say(tx.t(key, total=tx.money(amount)))
        return
    log.info("payment recorded: order %s, %s %s", order.id, event.total_amount, event.currency)
    # Should this process die between the commit and the receipt, the redelivered update
    # finds the payment recorded and says nothing: the backup tells the buyer instead.
    await turn.uow.notices.add(turn.chat_id, PAYMENT_BACKUP, {"order": order.id}, turn.now)
    turn.receipt_of = order.id
    also, suggestions = await recs.after_purchase(turn, order)
    turn.say(await receipt(turn, order) + also, _after_keyboard(tx) + suggestions)
    if order.team_id is not None:
        await _seat_note(turn, order.team_id)


async def _seat_note(turn: Turn, team_id: int) -> None:
    """After paying a seat: which seat, how long is left, and the invite to share."""
    tx = turn.tx
    team = await turn.uow.groups.team(team_id)
    seat = await turn.uow.groups.seat_of(team_id, turn.person.id)
    if team is None or seat is None:
        return
    if team.status is TeamStatus.FILLED:
        turn.say(tx.t("group.seat_filled", team=team.id))
        return
    left = left_text(tx, team.remaining(turn.now))
    lines = [tx.t("group.seat", seat=seat.number, size=team.size, team=team.id, left=left)]
    link = invite_link(turn.config.bot_username, team)
    if link:
        lines.append(tx.t("group.invite", link=link))
    keyboard = private_keyboard(tx, team, turn.now, turn.config.bot_username, member=True)
    turn.say("\n".join(lines), keyboard or None)


def _after_keyboard(tx: Texts) -> Keyboard:
    return (
        (
            Button(tx.label("orders.btn_list"), cb(Action.ORDERS)),
            Button(tx.label("start.btn_browse"), cb(Action.CATEGORIES)),
        ),
    )


async def receipt(turn: Turn, order: Order) -> str:
    tx = turn.tx
    lines = [tx.t("receipt.title", order=order.id), ""]
    lines += [
        tx.t("receipt.line", name=ln.name, qty=ln.quantity, total=tx.money(ln.total))
        for ln in order.lines
    ]
    lines.append("")
    lines += money_summary(tx, order)
    lines.append(delivery_text(turn, order, await team_pickup(turn, order)))
    contents = [
        content
        for ln in order.lines
        if ln.digital and (content := await _content_of(turn, ln.product_id))
    ]
    if contents:
        lines += [
            "",
            tx.t("receipt.digital"),
            *(tx.t("receipt.content", text=c) for c in contents),
        ]
    return "\n".join(lines)


async def _content_of(turn: Turn, product_id: int) -> str | None:
    product = await turn.uow.catalog.product(product_id)
    return product.digital_content if product is not None else None


def money_summary(tx: Texts, order: Order) -> list[str]:
    lines = [tx.t("receipt.items", total=tx.money(order.items))]
    if order.discount.amount:
        lines.append(
            tx.t("receipt.discount", code=order.coupon_code or "", total=tx.money(order.discount))
        )
    if order.shipping.amount:
        lines.append(tx.t("receipt.shipping", total=tx.money(order.shipping)))
    if order.shipping_discount.amount:
        lines.append(tx.t("receipt.free_shipping", total=tx.money(order.shipping_discount)))
    lines.append(tx.t("receipt.total", total=tx.money(order.total)))
    if order.refunded.amount:
        lines.append(tx.t("receipt.refunded", total=tx.money(order.refunded)))
    return lines


async def team_pickup(turn: Turn, order: Order) -> _Place | None:
    """The group-buy leader's pickup point for a seat's order collected there."""
    if order.team_id is None or order.delivery != Delivery.PICKUP:
        return None
    team = await turn.uow.groups.team(order.team_id)
    return team.pickup if team is not None else None


def delivery_text(turn: Turn, order: Order, place: _Place | None = None) -> str:
    tx = turn.tx
    if order.delivery == Delivery.DIGITAL:
        return tx.t("receipt.delivery_digital")
    if order.delivery == Delivery.PICKUP:
        pickup = place or turn.config.payments.shipping.pickup
        return tx.t(
            "receipt.delivery_pickup",
            place=pickup.name if pickup else "",
            address=pickup.address if pickup else "",
        )
    city = ""
    if order.ship_address:
        try:
            address = json.loads(order.ship_address)
            city = ", ".join(
                str(address.get(k) or "") for k in ("city", "country_code") if address.get(k)
            )
        except ValueError:
            city = ""
    return tx.t("receipt.delivery_ship", where=city or "—")


@on_command("coupon")
async def coupon_command(turn: Turn, args: str) -> None:
    """``/coupon CODE`` (or a ``c_CODE`` deep link): apply it; without a code, say which one
    is applied and ask for one."""
    if not args.strip():
        current = await coupons.current(turn.uow, turn.person.id)
        if current is not None:
            turn.say(turn.tx.t("coupon.current", code=current.code))
        await turn.uow.ui_states.set(
            turn.person.id, turn.chat_id, UiState(ASK_COUPON, {"variant": 0}), turn.now
        )
        turn.say(turn.tx.t("coupon.ask"))
        return
    await apply_typed(turn, args, then_checkout=None)


async def apply_typed(turn: Turn, raw: str, then_checkout: int | None) -> None:
    """A code the buyer typed or linked. After a checkout's Coupon button, a fresh invoice
    with the discount follows at once. A buyer cooling down after too many wrong codes is
    refused before anything is looked up (and no longer asked for a code)."""
    if await guessing.refused(turn):
        await turn.uow.ui_states.clear(turn.person.id, turn.chat_id)
        return
    applied = await coupons.apply_code(turn.uow, turn.person.id, raw, turn.now)
    if applied.wrong:
        await guessing.wrong(turn, CodeKind.COUPON)
    await _applied(turn, applied, then_checkout)


@on_press(Action.COUPON_APPLY)
async def apply_button(turn: Turn, call: Callback) -> None:
    """A coupon button (a drop's, a creator's gift, an invite reward's): applied only if the
    shop gave it to this buyer or made it public; a refusal is the button's answer."""
    applied = await coupons.apply_button(
        turn.uow, turn.person.id, call.int_arg(0), turn.now, signed=call.signed
    )
    if applied.refusal is not None:
        code = applied.coupon.code if applied.coupon else ""
        turn.answer(turn.tx.t(f"coupon.refusal.{applied.refusal.value}", code=code), alert=True)
        return
    turn.answer()
    await _applied(turn, applied, None)


async def _applied(turn: Turn, applied: Applied, then_checkout: int | None) -> None:
    tx = turn.tx
    if applied.refusal is not None:
        code = applied.coupon.code if applied.coupon else ""
        turn.say(tx.t(f"coupon.refusal.{applied.refusal.value}", code=code))
        if applied.refusal is CouponRefusal.UNKNOWN and then_checkout is not None:
            turn.say(tx.t("coupon.try_again"))
        return
    assert applied.coupon is not None
    await turn.uow.ui_states.clear(turn.person.id, turn.chat_id)
    coupon = applied.coupon
    turn.say(tx.t("coupon.applied", code=coupon.code, what=coupon_what(tx, coupon)))
    if then_checkout is not None:
        await begin(turn, then_checkout)


def coupon_what(tx: Texts, coupon: Coupon) -> str:
    """ "10% off", "$5.00 off", "free shipping"."""
    if coupon.kind is CouponKind.PERCENT:
        return tx.label("coupon.what_percent", percent=coupon.percent)
    if coupon.kind is CouponKind.FIXED and coupon.amount is not None:
        return tx.label("coupon.what_fixed", amount=tx.money(coupon.amount))
    return tx.label("coupon.what_free_shipping")
