"""After the invoice: Telegram's ``shipping_query`` and ``pre_checkout_query`` answered, and
its ``successful_payment`` turned into a receipt (``bot/conversation/screens/receipt.py``), a
group-buy seat note, or a refund and an apology. The storefront calls these for the three
payment events.
"""

from __future__ import annotations

import logging

from bot.conversation.callbacks import Action, cb
from bot.conversation.events import PaymentDone, PreCheckout, ShippingQuery
from bot.conversation.replies import AnswerPreCheckout, AnswerShipping, Button, Keyboard
from bot.conversation.screens import recs
from bot.conversation.screens.receipt import receipt
from bot.conversation.screens.team_text import invite_link, left_text, private_keyboard
from bot.conversation.texts import Texts
from bot.conversation.turn import Turn
from bot.domain.group_buys import TeamStatus
from bot.domain.money import Money
from bot.logs import bind_order
from bot.services import pre_checkout as checks
from bot.services.order_ports import PAYMENT_BACKUP
from bot.services.payment_received import Charge, PaymentResult, payment_received
from bot.services.pre_checkout import PaymentFacts
from bot.services.stock_holds import PreCheckoutRefusal

log = logging.getLogger(__name__)

#: What a payer hears when their payment bought nothing and is being refunded.
_REFUSED_PAYMENT = {
    PaymentResult.FOREIGN: "checkout.foreign_invoice",
    PaymentResult.ALREADY_PAID: "checkout.already_paid",
}


async def shipping(turn: Turn, event: ShippingQuery) -> None:
    """Telegram's ``shipping_query``: the options for the buyer's country, or why not."""
    setup = turn.config.payments
    answer = await checks.shipping_options(
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
    refusal = await checks.pre_checkout(turn.uow, facts, turn.config.payments, turn.now)
    error = None if refusal is None else turn.tx.label(f"precheckout.{refusal.value}")
    if refusal is not None:
        log.info("pre-checkout refused: %s", refusal)
        if refusal is PreCheckoutRefusal.UNKNOWN_ORDER:
            log.warning("pre-checkout for an unknown or foreign payload from %s", event.person.id)
    turn.replies.append(AnswerPreCheckout(event.query_id, error))


async def paid(turn: Turn, event: PaymentDone) -> None:
    """``successful_payment``: one paid order, a receipt (or a refund and an apology)."""
    facts = _facts(event)
    outcome = await payment_received(
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
