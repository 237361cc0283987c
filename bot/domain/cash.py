"""Pay at pickup (cash at the handover): whether a delivery method offers it to this order.

A method offers it when the merchant says so (``pay_on_delivery`` in the shipping file); the
method may cap the order total and keep it from first-time buyers, and what the method leaves
out comes from the shop's defaults (``COD_MAX_TOTAL``, ``COD_FIRST_TIME_BUYERS``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from bot.domain.money import Money


class CashRefusal(StrEnum):
    NOT_OFFERED = "not_offered"  # this method (or this kind of order) has no pay at pickup
    OVER_LIMIT = "over_limit"  # the order total is above the method's cap
    FIRST_TIME = "first_time"  # first-time buyers pay in advance
    GONE = "gone"  # the order is no longer open (paid, replaced, expired)
    SOLD_OUT = "sold_out"  # the stock to hold is gone meanwhile


@dataclass(frozen=True, slots=True)
class CashTerms:
    """One method's pay-at-pickup terms; None takes the shop's default."""

    #: The largest order total it may be used for (in the shipping file's currency).
    max_total: Money | None = None
    #: Whether buyers with no paid order yet may use it.
    first_time: bool | None = None


@dataclass(frozen=True, slots=True)
class CashDefaults:
    """The shop's defaults (settings): a cap in minor units of the order's currency (0: none),
    first-time buyers allowed, and how long an unpaid pickup order holds its stock."""

    max_minor: int = 0
    first_time: bool = True
    hold: timedelta = timedelta(hours=48)


def cash_cap(terms: CashTerms, currency: str, defaults: CashDefaults) -> Money | None:
    """The largest order total the method takes at pickup (None: no cap)."""
    if terms.max_total is not None:
        return terms.max_total
    return Money(defaults.max_minor, currency) if defaults.max_minor > 0 else None


def cash_refusal(
    terms: CashTerms | None, total: Money, paid_orders: int, defaults: CashDefaults
) -> CashRefusal | None:
    """Why this order may not be paid at pickup, or None when it may."""
    if terms is None:
        return CashRefusal.NOT_OFFERED
    cap = cash_cap(terms, total.currency, defaults)
    if cap is not None and (cap.currency != total.currency or cap < total):
        return CashRefusal.OVER_LIMIT
    first_time = defaults.first_time if terms.first_time is None else terms.first_time
    if paid_orders == 0 and not first_time:
        return CashRefusal.FIRST_TIME
    return None


def cash_due(held_until: datetime | None, now: datetime) -> bool:
    """An unpaid pickup order whose hold has run out (it expires, unpaid)."""
    return held_until is not None and held_until <= now
