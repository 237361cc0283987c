"""``storefront stats``: the console's figures on the command line (the same use case), and
the period's orders as a CSV file of any size (the chat refuses past Telegram's 50 MB).

Written to the audit log like the console's views and exports, as actor 0 (the command line,
run by whoever holds the server) with the owner's role.
"""

from __future__ import annotations

import argparse
import sys
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from bot.cli.common import Subparsers, with_app
from bot.domain.staff import Role
from bot.services import shop_stats
from bot.services.shop_stats import Period, PeriodProblem, ShopStats

if TYPE_CHECKING:
    from bot.bootstrap import App

#: The audit log's actor for what the command line does.
CLI_ACTOR = 0
_PROBLEMS = {
    PeriodProblem.FORMAT: "dates are written YYYY-MM-DD",
    PeriodProblem.ORDER: "--from is after --to",
    PeriodProblem.FUTURE: "the period starts after today (UTC)",
    PeriodProblem.TOO_LONG: f"one report covers at most {shop_stats.MAX_DAYS} days",
}


def add_parsers(sub: Subparsers) -> None:
    stats = sub.add_parser(
        "stats", help="revenue, orders, the funnel and top products; --csv exports the orders"
    )
    stats.add_argument("--days", type=int, default=None, help="the last N days (default 7)")
    stats.add_argument("--from", dest="first", default=None, help="first day, YYYY-MM-DD (UTC)")
    stats.add_argument("--to", dest="last", default=None, help="last day, YYYY-MM-DD (UTC)")
    stats.add_argument("--csv", type=Path, default=None, help="write the period's orders here")
    stats.set_defaults(func=with_app(run_stats))


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


async def run_stats(app: App, args: argparse.Namespace) -> int:
    from storage.private_files import open_private

    now = app.storefront.clock()
    period = period_of(args, now.date())
    if isinstance(period, str):
        print(f"storefront: {period}", file=sys.stderr)
        return 2
    target = f"{period.first:%Y-%m-%d}..{period.last:%Y-%m-%d}"
    async with app.uows() as uow:
        stats = await shop_stats.gather(uow, period)
        for line in report(stats):
            print(line)
        paid = sum(t.paid_orders for t in stats.totals)
        detail: dict[str, object] = {"paid_orders": paid, "via": "cli"}
        await uow.audit.write(CLI_ACTOR, Role.OWNER, "stats.view", target, detail, now)
        await uow.commit()
    if args.csv is None:
        return 0
    async with app.uows() as uow:
        rows = 0
        try:
            with open_private(args.csv) as out:  # buyers' names and addresses: 0600
                async for chunk in shop_stats.csv_chunks(uow, period):
                    out.write(chunk.data)
                    rows += chunk.rows
        except OSError as exc:
            print(f"storefront: cannot write {args.csv}: {exc.strerror}", file=sys.stderr)
            return 1
        detail = {"rows": rows, "via": "cli", "file": args.csv.name[:100]}
        await uow.audit.write(CLI_ACTOR, Role.OWNER, "stats.export", target, detail, now)
        await uow.commit()
    print(f"Wrote {rows} orders to {args.csv}.")
    return 0
