"""The order lifecycle: statuses, the transitions allowed between them, and after-sales rules.

An order is created when the invoice is sent (``pending``) and becomes ``paid`` exactly once,
on Telegram's ``successful_payment`` (or ``authorized`` first when a Stripe payment link
authorises now and captures later). A buyer who chooses to pay at pickup instead moves it to
``awaiting_cash`` (its stock held until a deadline): staff mark it ``paid`` at the handover, or
it becomes ``expired`` when the deadline passes and its stock goes back.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from enum import StrEnum


class OrderStatus(StrEnum):
    PENDING = "pending"  # invoice sent, not paid
    EXPIRED = "expired"  # invoice replaced by a newer one or never paid
    AUTHORIZED = "authorized"  # card authorised (Stripe link), to be captured
    AWAITING_CASH = "awaiting_cash"  # pay at pickup: stock held, paid in cash at the handover
    PAID = "paid"
    SHIPPED = "shipped"  # with a tracking number when the merchant gives one
    DELIVERED = "delivered"
    RETURN_REQUESTED = "return_requested"
    CANCELLED = "cancelled"  # by the buyer or the shop; any payment is refunded
    PARTIALLY_REFUNDED = "partially_refunded"
    REFUNDED = "refunded"


_ALLOWED: dict[OrderStatus, frozenset[OrderStatus]] = {
    OrderStatus.PENDING: frozenset(
        {
            OrderStatus.AUTHORIZED,
            OrderStatus.AWAITING_CASH,
            OrderStatus.PAID,
            OrderStatus.CANCELLED,
            OrderStatus.EXPIRED,
        }
    ),
    # Paid in cash at the handover, or never collected: expired (never paid afterwards). Cash
    # on delivery ships unpaid: paid when the courier brings the cash, it is shipped.
    OrderStatus.AWAITING_CASH: frozenset(
        {OrderStatus.PAID, OrderStatus.SHIPPED, OrderStatus.EXPIRED, OrderStatus.CANCELLED}
    ),
    # A replaced invoice can still be paid (Telegram does not withdraw it): honoured or refunded.
    OrderStatus.EXPIRED: frozenset({OrderStatus.PAID, OrderStatus.CANCELLED}),
    OrderStatus.AUTHORIZED: frozenset({OrderStatus.PAID, OrderStatus.CANCELLED}),
    OrderStatus.PAID: frozenset(
        {
            OrderStatus.SHIPPED,
            OrderStatus.DELIVERED,
            OrderStatus.CANCELLED,
            OrderStatus.PARTIALLY_REFUNDED,
            OrderStatus.REFUNDED,
        }
    ),
    OrderStatus.SHIPPED: frozenset(
        {
            OrderStatus.DELIVERED,
            OrderStatus.RETURN_REQUESTED,
            OrderStatus.PARTIALLY_REFUNDED,
            OrderStatus.REFUNDED,
        }
    ),
    OrderStatus.DELIVERED: frozenset(
        {OrderStatus.RETURN_REQUESTED, OrderStatus.PARTIALLY_REFUNDED, OrderStatus.REFUNDED}
    ),
    OrderStatus.RETURN_REQUESTED: frozenset(
        {OrderStatus.DELIVERED, OrderStatus.PARTIALLY_REFUNDED, OrderStatus.REFUNDED}
    ),
    OrderStatus.PARTIALLY_REFUNDED: frozenset(
        {
            OrderStatus.SHIPPED,
            OrderStatus.DELIVERED,
            OrderStatus.RETURN_REQUESTED,
            OrderStatus.PARTIALLY_REFUNDED,
            OrderStatus.REFUNDED,
        }
    ),
    OrderStatus.CANCELLED: frozenset(),
    OrderStatus.REFUNDED: frozenset(),
}

#: Statuses in which money has been taken (or authorised) and not all returned.
MONEY_TAKEN = frozenset(
    {
        OrderStatus.AUTHORIZED,
        OrderStatus.PAID,
        OrderStatus.SHIPPED,
        OrderStatus.DELIVERED,
        OrderStatus.RETURN_REQUESTED,
        OrderStatus.PARTIALLY_REFUNDED,
    }
)
#: Statuses from which money can still be refunded (in part or in full).
REFUNDABLE = frozenset(
    {
        OrderStatus.PAID,
        OrderStatus.SHIPPED,
        OrderStatus.DELIVERED,
        OrderStatus.RETURN_REQUESTED,
        OrderStatus.PARTIALLY_REFUNDED,
    }
)
#: Statuses a buyer sees in /orders (an unpaid or replaced invoice is not an order to them).
VISIBLE = frozenset(OrderStatus) - {OrderStatus.PENDING, OrderStatus.EXPIRED}


def can_transition(current: OrderStatus, new: OrderStatus) -> bool:
    return new in _ALLOWED[current]


def can_cancel(status: OrderStatus, *, cash: bool = False) -> bool:
    """Buyers may cancel until the parcel ships (then it is a return). Money paid in cash at
    the counter goes back at the counter too, not through the bot."""
    if cash:
        return False
    return status in (OrderStatus.AUTHORIZED, OrderStatus.PAID)


def return_open(
    status: OrderStatus,
    received_at: datetime | None,
    now: datetime,
    window: timedelta,
) -> bool:
    """A return may be requested for a shipped or delivered order within ``window`` of its
    delivery (or of shipping, when the merchant never marked it delivered)."""
    if status not in (OrderStatus.SHIPPED, OrderStatus.DELIVERED):
        return False
    return received_at is not None and now <= received_at + window


def status_after_refund(refunded: int, total: int) -> OrderStatus:
    return OrderStatus.REFUNDED if refunded >= total else OrderStatus.PARTIALLY_REFUNDED


def address_line(stored: str | None) -> str:
    """A stored shipping address (the JSON of Telegram's ``ShippingAddress``) on one line;
    anything else as it is."""
    if not stored:
        return ""
    try:
        parts = json.loads(stored)
    except ValueError:
        return stored
    if not isinstance(parts, dict):
        return str(parts)
    keys = ("street_line1", "street_line2", "city", "state", "post_code", "country_code")
    return ", ".join(str(parts[k]) for k in keys if parts.get(k))
