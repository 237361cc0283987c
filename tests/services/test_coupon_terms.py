"""Coupon terms as merchants write them (the console's one-liner and steps, the CLI's flags)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.domain.coupons import CouponKind
from bot.domain.money import Money
from bot.services import coupon_terms as terms
from bot.services.coupon_terms import Problem, TermsError

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


def test_a_full_line() -> None:
    coupon = terms.parse_line("spring-10 10% min 20 limit 100 per 1 days 7", "USD", NOW)
    assert (coupon.code, coupon.kind, coupon.percent) == ("SPRING-10", CouponKind.PERCENT, 10)
    assert coupon.min_subtotal == Money(2000, "USD")
    assert (coupon.usage_limit, coupon.per_buyer_limit) == (100, 1)
    assert coupon.expires_at == NOW + timedelta(days=7)


@pytest.mark.parametrize(
    ("value", "kind", "percent", "amount"),
    [
        ("15%", CouponKind.PERCENT, 15, None),
        ("5.00", CouponKind.FIXED, 0, Money(500, "USD")),
        ("$2.5", CouponKind.FIXED, 0, Money(250, "USD")),
        ("FreeShip", CouponKind.FREE_SHIPPING, 0, None),
    ],
)
def test_values(value: str, kind: CouponKind, percent: int, amount: Money | None) -> None:
    coupon = terms.parse_line(f"CODE {value}", "USD", NOW)
    assert (coupon.kind, coupon.percent, coupon.amount) == (kind, percent, amount)
    assert coupon.usage_limit is None and coupon.expires_at is None


@pytest.mark.parametrize(
    ("line", "problem"),
    [
        ("", Problem.CODE),
        ("A 10%", Problem.CODE),
        ("<b>x</b> 10%", Problem.CODE),
        ("CODE", Problem.VALUE),
        ("CODE ten", Problem.VALUE),
        ("CODE 0%", Problem.PERCENT),
        ("CODE 101%", Problem.PERCENT),
        ("CODE 1.5%", Problem.PERCENT),
        ("CODE 0.00", Problem.AMOUNT),
        ("CODE 1.234", Problem.AMOUNT),
        ("CODE 10% min 0", Problem.AMOUNT),
        ("CODE 10% limit 0", Problem.COUNT),
        ("CODE 10% per -1", Problem.COUNT),
        ("CODE 10% days 4000", Problem.DAYS),
        ("CODE 10% forever 3", Problem.OPTION),
        ("CODE 10% limit", Problem.OPTION),
        ("CODE 10% limit 3 limit 4", Problem.OPTION),
    ],
)
def test_each_problem_is_named(line: str, problem: Problem) -> None:
    with pytest.raises(TermsError) as caught:
        terms.parse_line(line, "USD", NOW)
    assert caught.value.problem is problem
    assert str(caught.value)  # the CLI prints it


def test_a_currency_without_decimals() -> None:
    assert terms.parse_value("500", "JPY").amount == Money(500, "JPY")
    with pytest.raises(TermsError):
        terms.parse_value("5.5", "JPY")


def test_options_one_at_a_time_as_the_steps_ask() -> None:
    found = {
        "min": terms.parse_option("min", "12.5", "EUR"),
        "days": terms.parse_option("days", "3", "EUR"),
    }
    options = terms.options_from(found, "EUR")
    assert options.minimum == Money(1250, "EUR") and options.days == 3
    coupon = terms.with_options("X9", terms.Value(CouponKind.FREE_SHIPPING), options, NOW)
    assert coupon.expires_at == NOW + timedelta(days=3) and coupon.usage_limit is None


def test_public_is_a_word_of_the_line() -> None:
    now = datetime(2026, 12, 1, tzinfo=UTC)
    coupon = terms.parse_line("OPEN10 10% public limit 5", "USD", now)
    assert (coupon.code, coupon.percent, coupon.usage_limit, coupon.public) == (
        "OPEN10",
        10,
        5,
        True,
    )
    assert not terms.parse_line("SHUT10 10% limit 5", "USD", now).public


def test_the_console_and_the_command_line_read_a_spaced_code_as_one() -> None:
    assert terms.parse_code("save 10") == "SAVE10"
    value = terms.Value(CouponKind.PERCENT, percent=10)
    assert terms.build_coupon(" Save 10 ", value, now=NOW).code == "SAVE10"


def test_an_end_already_past_or_before_the_start_is_refused() -> None:
    value = terms.Value(CouponKind.PERCENT, percent=10)
    for ended in (NOW - timedelta(days=1), NOW):
        with pytest.raises(TermsError) as past:
            terms.build_coupon("LATE", value, expires_at=ended, now=NOW)
        assert past.value.problem is Problem.ENDED
        assert str(past.value) == f"the end date has already passed: {ended:%Y-%m-%d %H:%M} UTC"
    with pytest.raises(TermsError) as backwards:
        terms.build_coupon(
            "BACK",
            value,
            starts_at=NOW + timedelta(days=3),
            expires_at=NOW + timedelta(days=2),
            now=NOW,
        )
    assert backwards.value.problem is Problem.DATES
    fine = terms.build_coupon(
        "SOON", value, starts_at=NOW, expires_at=NOW + timedelta(minutes=1), now=NOW
    )
    assert fine.expires_at == NOW + timedelta(minutes=1)
    # the console's "days N" always ends in the future
    assert terms.parse_line("WEEK 10% days 1", "USD", NOW).expires_at == NOW + timedelta(days=1)
