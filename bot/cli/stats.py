"""``storefront stats``: the console's figures on the command line (the same use case), and
the period's orders as a CSV file of any size (the chat refuses past Telegram's 50 MB).

Written to the audit log like the console's views and exports, as actor 0 (the command line,
run by whoever holds the server) with the owner's role.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from bot.cli.common import Subparsers, with_app

if TYPE_CHECKING:
    from bot.bootstrap import App

#: The audit log's actor for what the command line does.
CLI_ACTOR = 0


def add_parsers(sub: Subparsers) -> None:
    stats = sub.add_parser(
        "stats", help="revenue, orders, the funnel and top products; --csv exports the orders"
    )
    stats.add_argument("--days", type=int, default=None, help="the last N days (default 7)")
    stats.add_argument("--from", dest="first", default=None, help="first day, YYYY-MM-DD (UTC)")
    stats.add_argument("--to", dest="last", default=None, help="last day, YYYY-MM-DD (UTC)")
    stats.add_argument("--csv", type=Path, default=None, help="write the period's orders here")
    stats.set_defaults(func=with_app(run_stats))


async def run_stats(app: App, args: argparse.Namespace) -> int:
    from bot.cli.stats_report import period_of, report
    from bot.domain.staff import Role
    from bot.services import shop_stats
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
