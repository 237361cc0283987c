"""``storefront bench NAME``: the benchmarks under ``bench/``; they print figures."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import TYPE_CHECKING

from bot.cli.common import Subparsers, fail, run_async

if TYPE_CHECKING:
    from bot.config import Settings


def add_parsers(sub: Subparsers) -> None:
    bench = sub.add_parser("bench", help="run a benchmark")
    bench.add_argument(
        "name",
        choices=list(BENCHES),
    )
    bench.add_argument("--framework", choices=["aiogram", "ptb", "both"], default="both")
    bench.add_argument(
        "--updates",
        type=int,
        default=None,
        help="updates: 2000 (default); webhook: 500 a run; fairness: the flood, 1000",
    )
    bench.add_argument(
        "--mode", choices=["polling", "webhook", "both"], default="both", help="fairness"
    )
    bench.add_argument(
        "--commands", type=int, default=50, help="fairness: the quiet user's commands"
    )
    bench.add_argument(
        "--interval", type=float, default=1.0, help="fairness: seconds between them"
    )
    bench.add_argument(
        "--database",
        default=None,
        help="flash-sale, broadcast: database URL (SQLite); webhook, fairness: a PostgreSQL "
        "server URL (it makes and drops a database of its own there)",
    )
    bench.add_argument(
        "--buyers", type=int, default=None, help="flash-sale: 10,000; recommend: 1,000"
    )
    bench.add_argument("--seed", type=int, default=7, help="recommend: the synthetic log's seed")
    bench.add_argument("--units", type=int, default=100)
    bench.add_argument("--workers", type=int, default=1, help="flash-sale: processes")
    bench.add_argument("--concurrency", type=int, default=40, help="flash-sale: per process")
    bench.add_argument("--recipients", type=int, default=10_000, help="broadcast: chats")
    bench.add_argument(
        "--rate", type=float, default=1000.0, help="broadcast: the Bot API's limit, per second"
    )
    bench.add_argument(
        "--repeat", type=int, default=5, help="startup: launches of each bot and command"
    )
    bench.add_argument(
        "--settle", type=float, default=2.0, help="startup: seconds idle before the RSS is read"
    )
    bench.set_defaults(func=command)


def command(args: argparse.Namespace, settings: Settings) -> int:
    """The benchmark ``NAME`` names (argparse has checked it is one of ``BENCHES``)."""
    return BENCHES[args.name](args)


def updates(args: argparse.Namespace) -> int:
    from bench.updates import run_bench

    return run_async(run_bench(args.framework, args.updates or 2000))


def flash_sale(args: argparse.Namespace) -> int:
    from bench.flash_sale import run_flash_bench

    return run_async(
        run_flash_bench(
            args.database,
            args.buyers or 10_000,
            args.units,
            args.workers,
            args.concurrency,
        )
    )


def broadcast(args: argparse.Namespace) -> int:
    from bench.broadcast import run_broadcast_bench

    return run_async(
        run_broadcast_bench(args.framework, args.database, args.recipients, args.rate)
    )


def webhook(args: argparse.Namespace) -> int:
    from bench.webhook import run_webhook_bench

    return run_async(run_webhook_bench(args.framework, args.updates or 500, args.database))


def recommend(args: argparse.Namespace) -> int:
    from bench.recommend import run_recommend_bench

    return run_async(run_recommend_bench(args.buyers or 1000, args.seed))


def fairness(args: argparse.Namespace) -> int:
    from bench.fairness import run_fairness_bench

    return run_async(
        run_fairness_bench(
            args.framework,
            args.mode,
            args.updates or 1000,
            args.commands,
            args.interval,
            args.database,
        )
    )


def startup(args: argparse.Namespace) -> int:
    from bench.startup import run_startup_bench

    if args.repeat < 1 or args.settle < 0:
        return fail("--repeat must be 1 or more and --settle 0 or more")
    return run_async(run_startup_bench(args.framework, args.repeat, args.settle))


#: Each benchmark by the name ``storefront bench NAME`` takes, in the order ``--help`` lists
#: them; each imports its module under ``bench/`` only when it runs.
BENCHES: dict[str, Callable[[argparse.Namespace], int]] = {
    "updates": updates,
    "flash-sale": flash_sale,
    "broadcast": broadcast,
    "webhook": webhook,
    "recommend": recommend,
    "fairness": fairness,
    "startup": startup,
}
