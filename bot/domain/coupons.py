"""Coupon rules: who may use a code, on what, and how much it takes off.

Each rule that can refuse has a named reason (``CouponRefusal``), so the buyer hears *why not*
("expired", "not for these products") instead of a generic no. The arithmetic guarantees the
discount never exceeds what it applies to, so a total can never go below zero.

Usage limits are checked here against counts the caller read, to refuse early with a clear
message; the database enforces them again atomically when the payment is taken.
"""

from __future__ import annotations

import re
import secrets
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum

from bot.domain.money import Money

#: What a code may look like once normalised: what merchants type, what fits a deep link.
_CODE = re.compile(r"^[A-Z0-9][A-Z0-9_-]{1,31}$")
#: Longest raw input we even try to read as a code (a 10 kB paste is not a coupon).
MAX_RAW_CODE = 64


class CouponKind(StrEnum):
    PERCENT = "percent"  # ``percent`` off the eligible items
    FIXED = "fixed"  # ``amount`` off the eligible items, at most their subtotal
    FREE_SHIPPING = "free_shipping"  # the shipping charge goes to zero


class CouponScope(StrEnum):
    ALL = "all"
    CATEGORIES = "categories"  # only items in ``scope_ids`` categories
    PRODUCTS = "products"  # only the products in ``scope_ids``


class CouponRefusal(StrEnum):
    UNKNOWN = "unknown"  # no such code (or not a code at all)
    DISABLED = "disabled"  # the merchant switched it off
    NOT_YET_VALID = "not_yet_valid"
    EXPIRED = "expired"
    LIMIT_REACHED = "limit_reached"  # every use is taken
    BUYER_LIMIT = "buyer_limit"  # this buyer has used it as often as allowed
    FIRST_ORDER_ONLY = "first_order_only"
    MIN_NOT_MET = "min_not_met"
    NOT_APPLICABLE = "not_applicable"  # nothing in the basket is in the coupon's scope
    NO_STACKING = "no_stacking"  # everything in scope is already on a flash-sale/group price
    CURRENCY = "currency"  # a fixed amount in another currency than the basket
    NOT_YOURS = "not_yours"  # a personal coupon (a reward) given to someone else
    #: A coupon button naming a coupon this buyer was never given (a forged id): said without
    #: naming the coupon, whatever state it is in.
    NOT_GIVEN = "not_given"
    #: A one-time code (``storefront coupons codes``) someone already used.
    CODE_USED = "code_used"
    #: The coupon's own code, once it has one-time codes: only those redeem it.
    CODES_ONLY = "codes_only"


#: One-time codes: no O, 0, I, 1, L or S (read as 5) to misread; 10 characters of 30 is
#: about 49 bits, so guessing one, even under the guessing limits, is hopeless.
ONE_TIME_ALPHABET = "ABCDEFGHJKMNPQRTUVWXYZ23456789"
ONE_TIME_LENGTH = 10
#: The most one-time codes made at once (a CSV a merchant can still open).
MAX_ONE_TIME_CODES = 10_000


def new_one_time_code() -> str:
    """A random one-time code from a secure source; it reads as itself (``normalise_code``)."""
    return "".join(secrets.choice(ONE_TIME_ALPHABET) for _ in range(ONE_TIME_LENGTH))


def normalise_code(raw: str) -> str | None:
    """The one reading of a coupon code, wherever it is typed (chat, console, command line, a
    deep link, a drop's button): case and spaces do not count, so ``"SAVE 10"``,
    ``" save10 "`` and ``"SAVE10"`` are all ``"SAVE10"``. None for anything that cannot be a
    code (control characters, line breaks, tabs, markup, absurd lengths)."""
    if len(raw) > MAX_RAW_CODE:
        return None
    code = "".join(ch for ch in raw.strip() if not _is_space(ch)).upper()
    return code if _CODE.match(code) else None


def _is_space(ch: str) -> bool:
    """A space as a keyboard or a phone's autocorrect types it (U+0020, no-break and the
    other Unicode space separators); not a tab or a line break."""
    return ch == " " or unicodedata.category(ch) == "Zs"


@dataclass(frozen=True, slots=True)
class Coupon:
    id: int
    code: str
    kind: CouponKind
    percent: int = 0  # 1..100 for PERCENT
    amount: Money | None = None  # for FIXED
    min_subtotal: Money | None = None
    scope: CouponScope = CouponScope.ALL
    scope_ids: frozenset[int] = field(default_factory=frozenset)
    starts_at: datetime | None = None
    expires_at: datetime | None = None
    usage_limit: int | None = None
    per_buyer_limit: int | None = None
    first_order_only: bool = False
    #: Whether it also applies to items already on a flash-sale or group price.
    stacks_with_promotions: bool = False
    active: bool = True
    #: A personal coupon (an invite reward): only this buyer may use it.
    owner_id: int | None = None
    #: Anyone may apply it by a button (``storefront coupons add --public``); otherwise a
    #: button applies it only for whom the shop gave it (see ``given_by_button``).
    public: bool = False
    #: Read through one of its one-time codes: ``code`` is that code (the coupon's id, rules
    #: and counters are the coupon's own).
    one_time: bool = False

    def __post_init__(self) -> None:
        if self.kind is CouponKind.PERCENT and not 1 <= self.percent <= 100:
            raise ValueError("a percentage coupon takes 1 to 100 percent")
        if self.kind is CouponKind.FIXED and (self.amount is None or self.amount.amount <= 0):
            raise ValueError("a fixed coupon needs a positive amount")
        for limit in (self.usage_limit, self.per_buyer_limit):
            if limit is not None and limit < 1:
                raise ValueError("limits are at least 1 (leave empty for no limit)")


@dataclass(frozen=True, slots=True)
class PricedLine:
    """One line of a basket as coupons see it: what it is, what it costs, whether promo."""

    product_id: int
    category_id: int | None
    unit_price: Money
    quantity: int
    promotional: bool = False  # already on a flash-sale or group price

    @property
    def total(self) -> Money:
        return self.unit_price * self.quantity


@dataclass(frozen=True, slots=True)
class CouponUsage:
    """What the caller read about past use, for the early (friendly) refusal."""

    used_total: int = 0
    used_by_buyer: int = 0
    buyer_paid_orders: int = 0
    #: For a one-time code: someone has used it (or holds it for a payment under way).
    code_used: bool = False
    #: For the coupon's own code: the coupon has one-time codes, so only they redeem it.
    codes_only: bool = False


@dataclass(frozen=True, slots=True)
class Discount:
    coupon: Coupon
    #: Taken off the items (never more than the eligible items' subtotal).
    items: Money
    #: True for free shipping: the shipping charge, once known, is taken off too.
    free_shipping: bool = False


def in_scope(coupon: Coupon, line: PricedLine) -> bool:
    if coupon.scope is CouponScope.PRODUCTS:
        return line.product_id in coupon.scope_ids
    if coupon.scope is CouponScope.CATEGORIES:
        return line.category_id is not None and line.category_id in coupon.scope_ids
    return True


def _window_refusal(coupon: Coupon, now: datetime) -> CouponRefusal | None:
    if not coupon.active:
        return CouponRefusal.DISABLED
    if coupon.starts_at is not None and now < coupon.starts_at:
        return CouponRefusal.NOT_YET_VALID
    if coupon.expires_at is not None and now >= coupon.expires_at:
        return CouponRefusal.EXPIRED
    return None


def _usage_refusal(coupon: Coupon, usage: CouponUsage) -> CouponRefusal | None:
    if coupon.one_time and usage.code_used:
        return CouponRefusal.CODE_USED
    if not coupon.one_time and usage.codes_only:
        return CouponRefusal.CODES_ONLY
    if coupon.usage_limit is not None and usage.used_total >= coupon.usage_limit:
        return CouponRefusal.LIMIT_REACHED
    if coupon.per_buyer_limit is not None and usage.used_by_buyer >= coupon.per_buyer_limit:
        return CouponRefusal.BUYER_LIMIT
    if coupon.first_order_only and usage.buyer_paid_orders > 0:
        return CouponRefusal.FIRST_ORDER_ONLY
    return None


def check_redeemable(coupon: Coupon, now: datetime, usage: CouponUsage) -> CouponRefusal | None:
    """Whether a buyer may hold this coupon at all (before any basket is known)."""
    return _window_refusal(coupon, now) or _usage_refusal(coupon, usage)


def owner_refusal(coupon: Coupon, user_id: int) -> CouponRefusal | None:
    """A personal coupon works for its owner only."""
    if coupon.owner_id is not None and coupon.owner_id != user_id:
        return CouponRefusal.NOT_YOURS
    return None


def given_by_button(coupon: Coupon, user_id: int, *, signed: bool) -> bool:
    """Whether a coupon *button* pressed by ``user_id`` carries the shop's authority: the
    coupon is theirs (a personal reward), or it is the shop's (no owner) and either public or
    the button was signed for the chat it was pressed in (the bot gave it there: a drop, a
    creator's gift). A typed code needs none of this: knowing the code is the authority."""
    if coupon.owner_id is not None:
        return coupon.owner_id == user_id
    return coupon.public or signed


def percent_of(amount: Money, percent: int) -> Money:
    """``percent`` % of ``amount``, rounded half up to the minor unit (the one rounding)."""
    exact = Decimal(amount.amount) * Decimal(percent) / Decimal(100)
    return Money(int(exact.quantize(Decimal(1), rounding=ROUND_HALF_UP)), amount.currency)


def evaluate(
    coupon: Coupon,
    lines: list[PricedLine],
    now: datetime,
    usage: CouponUsage | None = None,
) -> Discount | CouponRefusal:
    """The discount ``coupon`` gives on ``lines`` now, or the reason it gives none."""
    refusal = check_redeemable(coupon, now, usage or CouponUsage())
    if refusal is not None:
        return refusal
    if not lines:
        return CouponRefusal.NOT_APPLICABLE
    currency = lines[0].unit_price.currency
    scoped = [line for line in lines if in_scope(coupon, line)]
    if not scoped:
        return CouponRefusal.NOT_APPLICABLE
    eligible = [line for line in scoped if coupon.stacks_with_promotions or not line.promotional]
    if not eligible:
        return CouponRefusal.NO_STACKING
    subtotal = Money(sum(line.total.amount for line in eligible), currency)
    if coupon.min_subtotal is not None:
        if coupon.min_subtotal.currency != currency:
            return CouponRefusal.CURRENCY
        if subtotal < coupon.min_subtotal:
            return CouponRefusal.MIN_NOT_MET
    if coupon.kind is CouponKind.FREE_SHIPPING:
        return Discount(coupon, Money.zero(currency), free_shipping=True)
    if coupon.kind is CouponKind.PERCENT:
        off = percent_of(subtotal, coupon.percent)
    else:
        assert coupon.amount is not None
        if coupon.amount.currency != currency:
            return CouponRefusal.CURRENCY
        off = coupon.amount
    return Discount(coupon, Money(min(off.amount, subtotal.amount), currency))
