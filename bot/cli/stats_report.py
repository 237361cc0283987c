"""What ``storefront stats`` prints: the period its arguments name and the report's lines.
Loaded when the command runs (``bot/cli/stats.py`` imports it lazily), with the use case."""

from __future__ import annotations

import argparse
from datetime import date

from bot.services import shop_stats
from bot.services.shop_stats import Period, PeriodProblem, ShopStats

_PROBLEMS = {
    PeriodProblem.FORMAT: "dates are written YYYY-MM-DD",
    PeriodProblem.ORDER: "--from is after --to",
    PeriodProblem.FUTURE: "the period starts after today (UTC)",
    PeriodProblem.TOO_LONG: f"one report covers at most {shop_stats.MAX_DAYS} days",
}


def period_of(args: argparse.Namespace, today: date) -> Period | str:
    """The period the arguments name, or what is wrong with them."""
    if (args.first is None) != (args.last is None):
        return "give both --from and --to"
    if args.first is not None:
        if args.days is not None:
            return "give either --days or --from/--to"
        found = shop_stats.parse_period(f"{args.first} {args.last}", today)
        return _PROBLEMS[found] if isinstance(found, PeriodProblem) else found
    days = 7 if args.days is None else args.days
    if not 1 <= days <= shop_stats.MAX_DAYS:
        return f"--days is 1 to {shop_stats.MAX_DAYS}"
    return Period.ending(today, days)


def _money(minor: int, currency: str) -> str:
    return f"{shop_stats.major_units(minor, currency)} {currency}"


def _orders(n: int) -> str:
    return f"{n} paid order" if n == 1 else f"{n} paid orders"


def report(stats: ShopStats) -> list[str]:
    p = stats.period
    lines = [f"Stats {p.first:%Y-%m-%d} to {p.last:%Y-%m-%d} (UTC, {p.days} days)"]
    for t in stats.totals:
        cur = t.currency
        lines.append(
            f"  {cur}: net {_money(t.net_minor, cur)} = paid {_money(t.gross_minor, cur)}"
            f" - refunded {_money(t.refunded_minor, cur)}; {_orders(t.paid_orders)},"
            f" average {_money(shop_stats.average_minor(t), cur)}"
        )
    if not stats.totals:
        lines.append("  No paid orders.")
    f = stats.funnel

    def pct(step: int) -> str:
        value = shop_stats.conversion(step, f.viewed)
        return "-" if value is None else f"{value}%"

    checkout_paid = shop_stats.conversion(f.paid, f.checkout)
    lines += [
        "Funnel (people; checkout = an invoice was sent):",
        f"  viewed {f.viewed}",
        f"  added to cart {f.added} ({pct(f.added)} of viewers)",
        f"  checkout {f.checkout} ({pct(f.checkout)} of viewers)",
        f"  paid {f.paid} ({pct(f.paid)} of viewers,"
        f" {'-' if checkout_paid is None else f'{checkout_paid}%'} of checkouts)",
    ]
    if stats.top:
        lines.append("Top products:")
        for item in stats.top:
            lines.append(
                f"  {item.name}: {_money(item.revenue_minor, item.currency)},"
                f" {item.units} sold (product {item.product_id})"
            )
    return lines
