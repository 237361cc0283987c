"""Ports for checkout and after-sales: coupons, orders, stock, refunds, events, notifications.

``storage`` implements them with single conditional statements where money or stock moves,
so two processes (or two taps) racing for the last unit or the last coupon use cannot both win.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from bot.domain.coupons import Coupon, CouponUsage
from bot.domain.money import Money
from bot.domain.orders import OrderStatus


@dataclass(frozen=True, slots=True)
class OrderLine:
    variant_id: int
    product_id: int
    category_id: int | None
    name: str
    unit_price: Money
    quantity: int
    digital: bool = False

    @property
    def total(self) -> Money:
        return self.unit_price * self.quantity


@dataclass(frozen=True, slots=True)
class Order:
    id: int
    user_id: int
    chat_id: int
    status: OrderStatus
    token: str
    items: Money
    discount: Money
    shipping: Money
    shipping_discount: Money
    total: Money
    refunded: Money
    lines: tuple[OrderLine, ...]
    created_at: datetime
    coupon_id: int | None = None
    coupon_code: str | None = None
    free_shipping: bool = False
    delivery: str = "ship"
    shipping_option: str | None = None
    method: str = "telegram"
    from_cart: bool = True
    telegram_charge_id: str | None = None
    provider_charge_id: str | None = None
    stripe_session_id: str | None = None
    stripe_payment_intent: str | None = None
    held_until: datetime | None = None
    ship_name: str | None = None
    ship_phone: str | None = None
    ship_address: str | None = None
    tracking: str | None = None
    paid_at: datetime | None = None
    shipped_at: datetime | None = None
    delivered_at: datetime | None = None
    #: The group-buy team this order is a seat in.
    team_id: int | None = None
    #: The flash-sale reservation this order pays for.
    claim_id: int | None = None

    @property
    def currency(self) -> str:
        return self.items.currency

    @property
    def refundable(self) -> Money:
        return self.total - self.refunded

    @property
    def is_digital(self) -> bool:
        return all(line.digital for line in self.lines)


@dataclass(frozen=True, slots=True)
class NewOrder:
    user_id: int
    chat_id: int
    token: str
    lines: tuple[OrderLine, ...]
    items: Money
    discount: Money
    total: Money
    coupon: Coupon | None
    free_shipping: bool
    delivery: str
    method: str
    from_cart: bool
    team_id: int | None = None
    claim_id: int | None = None


@dataclass(frozen=True, slots=True)
class ShippingChoice:
    option_id: str | None
    shipping: Money
    shipping_discount: Money
    name: str | None = None
    phone: str | None = None
    address: str | None = None


@dataclass(frozen=True, slots=True)
class RefundTask:
    id: int
    order_id: int
    amount: Money
    method: str
    attempts: int


@dataclass(frozen=True, slots=True)
class Notice:
    id: int
    chat_id: int
    kind: str
    params: dict[str, object]
    created_at: datetime | None = None
    #: A marketing notice that waited for the buyer's quiet hours to end.
    held: bool = False


@dataclass(frozen=True, slots=True)
class CouponStats:
    coupon: Coupon
    used: int = 0
    #: One-time codes made for it, and how many of them are used.
    codes: int = 0
    codes_used: int = 0


@dataclass(frozen=True, slots=True)
class CodeUse:
    """One one-time code and who used it, when (None while unused)."""

    code: str
    used_by: int | None
    used_at: datetime | None
    created_at: datetime


class CouponRepository(Protocol):
    async def by_code(self, code: str) -> Coupon | None:
        """The coupon of ``code``: its own code, or one of its one-time codes (then the
        coupon reads with ``one_time`` and that code)."""
        ...

    async def by_id(self, coupon_id: int) -> Coupon | None: ...
    async def usage(self, coupon_id: int, user_id: int, code: str | None = None) -> CouponUsage:
        """Counts for the early refusal; ``code`` is the one-time code asked about, if any."""
        ...

    async def take(
        self, coupon_id: int, user_id: int, code: str | None = None, now: datetime | None = None
    ) -> bool:
        """Take one use for ``user_id`` in one conditional write per counter: the global
        ``used < usage_limit`` and the buyer's ``uses < per_buyer_limit``; both or neither.
        When ``code`` is one of the coupon's one-time codes it is taken too, in the same way
        (``used_by IS NULL``): all three or none."""
        ...

    async def give_back(self, coupon_id: int, user_id: int, code: str | None = None) -> None:
        """A use taken by ``take`` given back (and the one-time code, if ``user_id`` holds it)."""
        ...

    async def add_codes(self, coupon_id: int, count: int, now: datetime) -> list[str]:
        """``count`` new random one-time codes for the coupon, unique among every code."""
        ...

    async def codes(self, coupon_id: int) -> list[CodeUse]: ...
    async def create(self, coupon: Coupon, now: datetime) -> int: ...
    async def all(self) -> list[CouponStats]: ...
    async def set_active(self, code: str, active: bool) -> bool: ...


class StockRepository(Protocol):
    async def take(self, lines: list[tuple[int, int]]) -> bool:
        """Take ``(variant_id, quantity)`` units from stock, all or none."""
        ...

    async def give_back(self, lines: list[tuple[int, int]]) -> None: ...


class OrderRepository(Protocol):
    async def create(self, new: NewOrder, now: datetime) -> Order: ...
    async def record_refused_charge(
        self, new: NewOrder, now: datetime, telegram_charge_id: str, provider_charge_id: str | None
    ) -> Order | None:
        """A cancelled record of a payment no order takes, once per charge: None when that
        charge is already recorded (a racing handling of it recorded it first)."""
        ...

    async def get(self, order_id: int) -> Order | None: ...
    async def for_buyer(
        self, user_id: int, statuses: frozenset[OrderStatus], limit: int
    ) -> list[Order]: ...
    async def by_charge(self, telegram_charge_id: str) -> Order | None: ...
    async def by_session(self, session_id: str) -> Order | None: ...
    async def by_payment_intent(self, payment_intent: str) -> Order | None: ...
    async def by_provider_charge(self, charge_id: str) -> Order | None: ...
    async def paid_count(self, user_id: int) -> int: ...
    async def expire_unheld(self, user_id: int, now: datetime) -> int:
        """Mark the buyer's older unpaid invoices expired (a new invoice replaces them)."""
        ...

    async def start_hold(self, order_id: int, until: datetime) -> bool:
        """Mark a pending order held; False if it already is (or is no longer pending)."""
        ...

    async def extend_hold(self, order_id: int, until: datetime) -> None: ...
    async def note_payment_intent(self, order_id: int, payment_intent: str) -> bool:
        """Record a Stripe payment on an order that names none yet; False if it names one."""
        ...

    async def end_hold(self, order_id: int) -> bool:
        """Clear the hold; False if another process already did (it gives stock back)."""
        ...

    async def due_holds(self, now: datetime, limit: int) -> list[int]: ...
    async def due_cash(self, now: datetime, limit: int) -> list[int]:
        """Orders awaiting cash at pickup whose hold ran out (``held_until <= now``)."""
        ...

    async def ship_unpaid(self, order_id: int, tracking: str | None, now: datetime) -> bool:
        """A cash-on-delivery order awaiting cash leaves with the courier: shipped (with its
        tracking), its deadline lifted, status unchanged; False when it is not awaiting cash
        or was shipped already (one conditional write)."""
        ...

    async def set_shipping(self, order_id: int, choice: ShippingChoice, total: Money) -> None: ...
    async def move(
        self,
        order_id: int,
        new: OrderStatus,
        expected: frozenset[OrderStatus],
        now: datetime,
        **fields: object,
    ) -> bool:
        """Change the status only if it is one of ``expected`` (one conditional UPDATE)."""
        ...

    async def lock(self, order_id: int, now: datetime) -> None:
        """Hold the order's row until the transaction ends (a no-op UPDATE): a second merchant
        action on the order waits, then reads what the first committed."""
        ...

    async def add_refunded(self, order_id: int, amount: Money, now: datetime) -> Order: ...
    async def set_stripe_session(self, order_id: int, session_id: str) -> None: ...
    async def recent(
        self, statuses: frozenset[OrderStatus], limit: int, offset: int = 0
    ) -> list[Order]:
        """Newest first; ``offset`` skips that many (a console page)."""
        ...


class RefundOutbox(Protocol):
    async def add(
        self, order_id: int, amount: Money, method: str, reason: str, now: datetime
    ) -> int: ...
    async def due(self, now: datetime, limit: int) -> list[RefundTask]: ...
    async def claim(self, refund_id: int, attempts: int, until: datetime) -> bool:
        """Take a due refund for this attempt (so two processes never send it together)."""
        ...

    async def finish(self, refund_id: int, external_id: str | None, now: datetime) -> None: ...
    async def fail(
        self, refund_id: int, error: str, next_at: datetime | None, now: datetime
    ) -> None: ...
    async def for_order(self, order_id: int) -> list[tuple[RefundTask, str]]: ...


class StripeEventLog(Protocol):
    async def claim(self, event_id: str, event_type: str, now: datetime) -> bool: ...


#: A notice that only goes out if what it backs up never did: the confirmation of a payment,
#: written with the paid order, cancelled once the update's own replies (the receipt) were
#: delivered. A process that dies between the commit and the receipt leaves it, and any
#: process's outbox sends it after ``BACKUP_DELAY``.
PAYMENT_BACKUP = "payment_backup"
BACKUP_DELAY = timedelta(seconds=60)


class NoticeOutbox(Protocol):
    async def add(
        self, chat_id: int, kind: str, params: dict[str, object], now: datetime
    ) -> None: ...
    async def pending(self, limit: int, now: datetime | None = None) -> list[Notice]:
        """Pending notices, oldest first; with ``now``, backups younger than
        ``BACKUP_DELAY`` are held back."""
        ...

    async def cancel_backup(self, chat_id: int, order_id: int) -> bool:
        """The receipt of ``order_id`` was delivered: its backup is not needed."""
        ...

    async def claim(self, notice_id: int) -> bool:
        """Take a pending notice for sending (so two processes never send it both)."""
        ...

    async def done(self, notice_id: int, now: datetime, *, sent: bool | None) -> None:
        """Sent, failed for good (False), or back to pending for a later try (None)."""
        ...

    async def hold(self, notice_id: int, until: datetime) -> None:
        """A claimed marketing notice waits for the buyer's quiet hours to end."""
        ...

    async def skip(self, notice_id: int, now: datetime) -> None:
        """A claimed marketing notice the buyer's choices (or its staleness) keep back."""
        ...


class CheckoutPrefs(Protocol):
    """What the shop remembers about a buyer's checkout between visits."""

    async def coupon_of(self, user_id: int) -> int | None: ...
    async def coupon_code_of(self, user_id: int) -> str | None:
        """The one-time code the buyer typed for their applied coupon, if it was one."""
        ...

    async def set_coupon(
        self, user_id: int, coupon_id: int | None, code: str | None = None
    ) -> None: ...
    async def delivery_of(self, user_id: int) -> str | None: ...
    async def set_delivery(self, user_id: int, delivery: str) -> None: ...
    async def abandoned_carts(self, idle_since: datetime, limit: int) -> list[int]: ...
    async def mark_reminded(self, user_id: int, now: datetime) -> None: ...
