"""Stray charges: a payment that no payable order takes (a deleted or forged order, someone
else's invoice, an order another charge paid first) is recorded as a cancelled order and
refunded, once per charge however many handlings of it race.
"""

from __future__ import annotations

import secrets
from datetime import datetime

from bot.domain.money import Money
from bot.services.checkout import STARS, Delivery
from bot.services.order_ports import NewOrder, Order
from bot.services.ports import UnitOfWork
from bot.services.pre_checkout import PaymentFacts
from bot.services.refunds import refund_method


async def refund_stray(
    uow: UnitOfWork,
    facts: PaymentFacts,
    telegram_charge_id: str,
    provider_charge_id: str,
    now: datetime,
    reason: str,
) -> Order | None:
    """A cancelled record of the payment, and its refund; None when a racing handling of the
    same charge recorded it first (that one refunds it)."""
    amount = Money(facts.total_amount, facts.currency)
    record = await uow.orders.record_refused_charge(
        NewOrder(
            user_id=facts.user_id,
            chat_id=facts.user_id,
            token=secrets.token_hex(8),
            lines=(),
            items=amount,
            discount=Money.zero(amount.currency),
            total=amount,
            coupon=None,
            free_shipping=False,
            delivery=Delivery.DIGITAL.value,
            method="stars" if amount.currency == STARS else "telegram",
            from_cart=False,
        ),
        now,
        telegram_charge_id,
        provider_charge_id or None,
    )
    if record is None:
        return None
    await uow.refunds.add(record.id, amount, refund_method(record), reason, now)
    return record
