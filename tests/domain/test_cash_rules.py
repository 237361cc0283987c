"""Pay at pickup's rules: which orders a method takes at the counter, and when a hold is due."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.domain.cash import CashDefaults, CashRefusal, CashTerms, cash_cap, cash_due, cash_refusal
from bot.domain.money import Money
from bot.domain.orders import OrderStatus, can_cancel, can_transition
from bot.domain.privacy import HoldKind, blocking, order_hold

USD = "USD"


def test_no_terms_means_not_offered() -> None:
    assert cash_refusal(None, Money(100, USD), 3, CashDefaults()) is CashRefusal.NOT_OFFERED


def test_the_methods_cap_wins_over_the_default_and_equal_is_allowed() -> None:
    terms = CashTerms(max_total=Money(5000, USD))
    defaults = CashDefaults(max_minor=100)
    assert cash_refusal(terms, Money(5000, USD), 1, defaults) is None
    assert cash_refusal(terms, Money(5001, USD), 1, defaults) is CashRefusal.OVER_LIMIT
    assert cash_cap(terms, USD, defaults) == Money(5000, USD)


def test_the_default_cap_applies_when_the_method_names_none() -> None:
    assert cash_refusal(CashTerms(), Money(10**9, USD), 1, CashDefaults()) is None
    capped = CashDefaults(max_minor=2000)
    assert cash_refusal(CashTerms(), Money(2001, USD), 1, capped) is CashRefusal.OVER_LIMIT
    assert cash_cap(CashTerms(), "EUR", capped) == Money(2000, "EUR")


def test_a_cap_in_another_currency_refuses() -> None:
    terms = CashTerms(max_total=Money(5000, "EUR"))
    assert cash_refusal(terms, Money(10, USD), 1, CashDefaults()) is CashRefusal.OVER_LIMIT


def test_first_time_buyers_by_method_else_by_default() -> None:
    strict = CashDefaults(first_time=False)
    assert cash_refusal(CashTerms(), Money(1, USD), 0, strict) is CashRefusal.FIRST_TIME
    assert cash_refusal(CashTerms(), Money(1, USD), 1, strict) is None
    assert cash_refusal(CashTerms(first_time=True), Money(1, USD), 0, strict) is None
    own = CashTerms(first_time=False)
    assert cash_refusal(own, Money(1, USD), 0, CashDefaults()) is CashRefusal.FIRST_TIME


def test_a_hold_is_due_at_its_deadline() -> None:
    now = datetime(2026, 1, 1, tzinfo=UTC)
    assert not cash_due(None, now)
    assert not cash_due(now + timedelta(seconds=1), now)
    assert cash_due(now, now)


def test_awaiting_cash_in_the_lifecycle() -> None:
    cash = OrderStatus.AWAITING_CASH
    assert can_transition(OrderStatus.PENDING, cash)
    assert can_transition(cash, OrderStatus.PAID) and can_transition(cash, OrderStatus.EXPIRED)
    # Cash on delivery ships before the courier brings the cash: paid then, it is shipped.
    assert can_transition(cash, OrderStatus.SHIPPED)
    assert not can_cancel(OrderStatus.PAID, cash=True) and can_cancel(OrderStatus.PAID)


def test_an_order_to_pay_at_pickup_keeps_an_erasure_waiting_until_it_lapses() -> None:
    hold = order_hold(7, OrderStatus.AWAITING_CASH.value)
    assert hold is not None and hold.kind is HoldKind.PAYING and blocking([hold]) == [hold]
