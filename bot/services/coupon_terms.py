"""A coupon's terms as a merchant writes them, checked once for every way of creating one: the
``storefront coupons add`` command line, the console's one-liner
(``/admin coupon add SAVE10 10% min 20 limit 100 per 1 days 7``) and its guided steps.

Each problem is a ``TermsError`` with a ``problem`` name (the chat shows the matching text in
the merchant's language, the CLI its English message); nothing here touches storage.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum

from bot.domain.coupons import Coupon, CouponKind, CouponScope, normalise_code
from bot.domain.money import Money, parse_major

#: The longest a coupon made in chat may run, and the largest limit: a typo, not a plan.
MAX_DAYS = 3650
MAX_LIMIT = 1_000_000
#: The optional terms, in the order the console asks for them.
OPTIONS = ("min", "limit", "per", "days")


class Problem(StrEnum):
    CODE = "code"  # not 2-32 letters, digits, - or _
    VALUE = "value"  # not 10%, 5.00 or freeship
    PERCENT = "percent"  # a percentage outside 1-100
    AMOUNT = "amount"  # a money amount that does not parse, or zero
    COUNT = "count"  # a limit that is not a whole number 1..MAX_LIMIT
    DAYS = "days"  # days that are not a whole number 1..MAX_DAYS
    OPTION = "option"  # a word that is not min, limit, per or days (or one without a value)
    ENDED = "ended"  # an end date that has already passed
    DATES = "dates"  # an end date that is not after the start date


_MESSAGES = {
    Problem.CODE: "a code is 2-32 letters, digits, - or _",
    Problem.VALUE: "the value is a percentage (10%), an amount (5.00) or freeship",
    Problem.PERCENT: "a percentage is 1 to 100",
    Problem.AMOUNT: "not an amount of money (such as 5.00) above zero",
    Problem.COUNT: f"a limit is a whole number from 1 to {MAX_LIMIT}",
    Problem.DAYS: f"days are a whole number from 1 to {MAX_DAYS}",
    Problem.OPTION: "options are min AMOUNT, limit N, per N and days N",
    Problem.ENDED: "the end date has already passed",
    Problem.DATES: "the end date must come after the start date",
}


class TermsError(ValueError):
    def __init__(self, problem: Problem, detail: str = "") -> None:
        super().__init__(_MESSAGES[problem] + (f": {detail}" if detail else ""))
        self.problem = problem
        self.detail = detail


@dataclass(frozen=True, slots=True)
class Value:
    kind: CouponKind
    percent: int = 0
    amount: Money | None = None


def parse_code(text: str) -> str:
    code = normalise_code(text)
    if code is None:
        raise TermsError(Problem.CODE, text[:40])
    return code


def parse_amount(text: str, currency: str) -> Money:
    try:
        money = parse_major(text.strip().lstrip("$€£¥"), currency)
    except (ValueError, TypeError) as exc:
        raise TermsError(Problem.AMOUNT, text[:40]) from exc
    if money.amount <= 0:
        raise TermsError(Problem.AMOUNT, text[:40])
    return money


def parse_percent(text: str) -> int:
    digits = text.strip().removesuffix("%").strip()
    if not digits.isdigit() or not 1 <= int(digits) <= 100:
        raise TermsError(Problem.PERCENT, text[:40])
    return int(digits)


def parse_value(text: str, currency: str) -> Value:
    """``10%`` (percent off), ``5.00`` (that amount off) or ``freeship``."""
    word = text.strip().lower()
    if word in ("freeship", "free_shipping", "free-shipping", "free"):
        return Value(CouponKind.FREE_SHIPPING)
    if word.endswith("%"):
        return Value(CouponKind.PERCENT, percent=parse_percent(word))
    if not word or not (word[0].isdigit() or word[0] in "$€£¥"):
        raise TermsError(Problem.VALUE, text[:40])
    return Value(CouponKind.FIXED, amount=parse_amount(word, currency))


def parse_count(text: str, problem: Problem = Problem.COUNT, high: int = MAX_LIMIT) -> int:
    digits = text.strip()
    if not digits.isdigit() or not 1 <= int(digits) <= high:
        raise TermsError(problem, text[:40])
    return int(digits)


@dataclass(frozen=True, slots=True)
class Options:
    minimum: Money | None = None
    usage_limit: int | None = None
    per_buyer_limit: int | None = None
    days: int | None = None


def parse_option(name: str, text: str, currency: str) -> int:
    """One optional term as the number to keep: minor units for ``min``, else the count."""
    if name == "min":
        return parse_amount(text, currency).amount
    if name in ("limit", "per"):
        return parse_count(text)
    if name == "days":
        return parse_count(text, Problem.DAYS, MAX_DAYS)
    raise TermsError(Problem.OPTION, name[:20])


def parse_options(words: list[str], currency: str) -> Options:
    """``min 20 limit 100 per 1 days 7``, in any order, each at most once."""
    found: dict[str, int] = {}
    if len(words) % 2:
        raise TermsError(Problem.OPTION, words[-1][:20])
    for name, text in zip(words[::2], words[1::2], strict=True):
        key = name.lower()
        if key not in OPTIONS or key in found:
            raise TermsError(Problem.OPTION, name[:20])
        found[key] = parse_option(key, text, currency)
    return options_from(found, currency)


def options_from(found: dict[str, int], currency: str) -> Options:
    minimum = found.get("min")
    return Options(
        minimum=Money(minimum, currency) if minimum is not None else None,
        usage_limit=found.get("limit"),
        per_buyer_limit=found.get("per"),
        days=found.get("days"),
    )


def build_coupon(
    code: str,
    value: Value,
    *,
    minimum: Money | None = None,
    usage_limit: int | None = None,
    per_buyer_limit: int | None = None,
    starts_at: datetime | None = None,
    expires_at: datetime | None = None,
    first_order_only: bool = False,
    stacks_with_promotions: bool = False,
    scope: CouponScope = CouponScope.ALL,
    scope_ids: frozenset[int] = frozenset(),
    public: bool = False,
    now: datetime,
) -> Coupon:
    """A new coupon (id 0, not stored yet); the domain checks its invariants again. A coupon
    whose end has already passed at ``now`` (or comes before its start) is refused: nobody
    could ever use it."""
    check_dates(starts_at, expires_at, now)
    return Coupon(
        id=0,
        code=parse_code(code),
        kind=value.kind,
        percent=value.percent,
        amount=value.amount,
        min_subtotal=minimum,
        scope=scope,
        scope_ids=scope_ids,
        starts_at=starts_at,
        expires_at=expires_at,
        usage_limit=usage_limit,
        per_buyer_limit=per_buyer_limit,
        first_order_only=first_order_only,
        stacks_with_promotions=stacks_with_promotions,
        public=public,
    )


def _shown(when: datetime) -> str:
    return f"{when:%Y-%m-%d %H:%M} UTC" if when.utcoffset() == timedelta(0) else when.isoformat()


def check_dates(starts_at: datetime | None, expires_at: datetime | None, now: datetime) -> None:
    """Refuses an end date already past (``ENDED``) or not after the start (``DATES``)."""
    if expires_at is None:
        return
    if expires_at <= now:
        raise TermsError(Problem.ENDED, _shown(expires_at))
    if starts_at is not None and expires_at <= starts_at:
        raise TermsError(Problem.DATES, f"{_shown(starts_at)} to {_shown(expires_at)}")


def with_options(code: str, value: Value, options: Options, now: datetime) -> Coupon:
    return build_coupon(
        code,
        value,
        minimum=options.minimum,
        usage_limit=options.usage_limit,
        per_buyer_limit=options.per_buyer_limit,
        expires_at=now + timedelta(days=options.days) if options.days else None,
        now=now,
    )


def parse_line(text: str, currency: str, now: datetime) -> Coupon:
    """``CODE 10%|5.00|freeship [min 20] [limit 100] [per 1] [days 7] [public]``; ``public``:
    anyone may apply it by a button, not only those the shop gave it to."""
    words = text.split()
    public = any(w.lower() == "public" for w in words[2:])
    words = words[:2] + [w for w in words[2:] if w.lower() != "public"]
    if len(words) < 2:
        raise TermsError(Problem.CODE if not words else Problem.VALUE)
    code = parse_code(words[0])
    value = parse_value(words[1], currency)
    coupon = with_options(code, value, parse_options(words[2:], currency), now)
    return replace(coupon, public=public)
