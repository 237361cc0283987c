"""The rules of a buyer's own data (``/mydata``, ``/deleteme``): how often an export may be
made, what keeps an erasure waiting, how long a confirmation button stays good, and the
anonymous marker that takes the buyer's place in the records the merchant must keep."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum

#: One export per buyer in this long (each one reads every table the shop has about them).
EXPORT_EVERY = timedelta(minutes=1)
#: How long the "Yes, delete" button of /deleteme stays good.
CONFIRM_WINDOW = timedelta(minutes=10)
#: Order statuses that still need the buyer: an invoice that may be paid, a payment being
#: taken, goods to ship or on their way, a return being handled.
OPEN_ORDER_STATUSES = frozenset(
    {"pending", "authorized", "awaiting_cash", "paid", "shipped", "return_requested"}
)


class HoldKind(StrEnum):
    """What an erasure meets: ``UNPAID`` is cancelled by it (the buyer is told first); every
    other kind keeps it waiting (each with what the buyer can do about it)."""

    UNPAID = "unpaid"  # an invoice sent and not paid: the erasure cancels it
    PAYING = "paying"  # a payment under way (stock held for it, a payment link, a card authorised)
    TO_SHIP = "to_ship"  # paid, not delivered yet: the address is needed until then
    RETURN = "return"  # a return being handled
    REFUND = "refund"  # money on its way back to the buyer
    CLAIM = "claim"  # a flash-sale unit reserved for a few minutes
    TEAM = "team"  # an open group-buy team the buyer leads
    PAYOUT = "payout"  # a creator's payout asked for and not paid yet
    STAFF = "staff"  # on the shop's staff: the owner removes them first


@dataclass(frozen=True, slots=True)
class Hold:
    kind: HoldKind
    #: The order, sale claim, team... it is about (0 when there is none).
    ref: int = 0


def order_hold(order_id: int, status: str, paying: bool = False) -> Hold | None:
    """What an order of the buyer's in ``status`` means for an erasure, if anything.
    ``paying``: a pending order with a payment under way (its stock held at the payment sheet,
    or a payment link open)."""
    if status not in OPEN_ORDER_STATUSES:
        return None
    # An order to pay at pickup holds its stock until its deadline, like a payment sheet.
    if status in ("authorized", "awaiting_cash") or (status == "pending" and paying):
        return Hold(HoldKind.PAYING, order_id)
    if status == "pending":
        return Hold(HoldKind.UNPAID, order_id)
    if status == "return_requested":
        return Hold(HoldKind.RETURN, order_id)
    return Hold(HoldKind.TO_SHIP, order_id)


def blocking(holds: list[Hold]) -> list[Hold]:
    """The holds that keep an erasure waiting (an unpaid invoice does not: it is cancelled,
    and a payment of it afterwards finds no order of the payer's and is refunded)."""
    return [h for h in holds if h.kind is not HoldKind.UNPAID]


def anonymous_marker() -> int:
    """The id that replaces the buyer's in kept records: negative (no Telegram person has a
    negative id), random (nothing leads back to the person), one per erasure (the merchant
    still sees that these orders were one customer's)."""
    return -(secrets.randbelow(2**47) + 1)


def confirm_stamp(now: datetime) -> int:
    """The minute a confirmation button was made (carried by the signed button)."""
    return int(now.timestamp() // 60)


def confirm_fresh(stamp: int, now: datetime) -> bool:
    made = stamp * 60
    return 0 <= now.timestamp() - made <= CONFIRM_WINDOW.total_seconds() + 60


@dataclass(slots=True)
class ExportPace:
    """When each buyer last got an export, in this process: one per ``EXPORT_EVERY``."""

    every: timedelta = EXPORT_EVERY
    _last: dict[int, datetime] = field(default_factory=dict)

    def wait(self, user_id: int, now: datetime) -> timedelta | None:
        """None when an export may be made now (and it is counted), else how long to wait."""
        last = self._last.get(user_id)
        if last is not None and now - last < self.every:
            return self.every - (now - last)
        if len(self._last) > 10_000:  # old entries are of no use past ``every``
            cutoff = now - self.every
            self._last = {u: t for u, t in self._last.items() if t > cutoff}
        self._last[user_id] = now
        return None
