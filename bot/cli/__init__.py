"""The ``storefront`` command: run, webhook, migrate, catalog import, sandbox, bench."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
import sys
from pathlib import Path
from typing import Any

from bot.config import Settings


def _fail(message: str, code: int = 2) -> int:
    print(f"storefront: {message}", file=sys.stderr)
    return code


async def _migrate(settings: Settings) -> int:
    from bot.bootstrap import CannotStart, DatabaseUnreachable, engine_for
    from bot.services.ports import StorageUnavailable
    from storage.migrate import upgrade

    try:
        engine = engine_for(settings, migrating=True)
    except CannotStart as exc:
        return _fail(str(exc))
    try:
        status = await upgrade(engine)
    except StorageUnavailable as exc:
        return _fail(str(DatabaseUnreachable.of(settings, exc)))
    finally:
        await engine.dispose()
    print(f"Database schema is at {status.current} (latest).")
    return 0


async def _import_catalog(settings: Settings, file: str | None, demo: bool) -> int:
    from bot.bootstrap import CannotStart, build_app
    from bot.services.catalog_file import CatalogFileError
    from bot.services.catalog_import import demo_catalog_path, import_catalog, read_catalog

    path = demo_catalog_path() if demo else Path(file or "")
    try:
        draft = read_catalog(path)
    except CatalogFileError as exc:
        print(f"{path}: the catalog has problems; nothing was imported:", file=sys.stderr)
        for problem in exc.problems:
            print(f"  {problem}", file=sys.stderr)
        return 1
    try:
        app = await build_app(settings)
    except CannotStart as exc:
        return _fail(str(exc))
    try:
        report = await import_catalog(app.uows, draft)
    except CatalogFileError as exc:
        print(f"{path}: nothing was imported:", file=sys.stderr)
        for problem in exc.problems:
            print(f"  {problem}", file=sys.stderr)
        return 1
    finally:
        await app.close()
    print(
        f"Imported {report.categories} categories, {report.products} products and "
        f"{report.variants} variants from {path}."
    )
    return 0


async def _run(settings: Settings) -> int:
    from bot.bootstrap import CannotStart, build_app
    from bot.serving import Background, flood_gate, stripe_routes_for
    from bot.telegram.runner import make_polling
    from bot.telegram.throttle import Throttle

    if not settings.bot_token:
        return _fail(
            "set BOT_TOKEN (from @BotFather) in .env or the environment, "
            "or try `storefront sandbox`, which needs no token."
        )
    # From here a SIGTERM is a graceful stop, even one that comes while the bot starts.
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        app = await build_app(settings)
    except CannotStart as exc:
        return _fail(str(exc))
    background = Background(app)
    webhooks = None
    # The flood gate (FLOOD_RATE) stands in front of the inbox's dispatch: an update over its
    # chat's rate is marked done unhandled. It sends through the poller's bot, made first.
    gate: Throttle | None = None

    async def admit(update: dict[str, Any]) -> bool:
        return gate is None or await gate.admit(update)

    poller = make_polling(
        settings.bot_framework,
        app.storefront,
        settings.bot_token,
        settings.telegram_api_base,
        admit=admit if app.flood is not None else None,
    )
    gate = flood_gate(app, poller.sender())
    try:
        await poller.start()
        background.attach(poller.sender())
        routes = stripe_routes_for(app)
        if routes:
            from bot.payments.stripe_webhook import StripeWebhookServer

            webhooks = StripeWebhookServer(
                routes, settings.stripe_webhook_host, settings.stripe_webhook_port
            )
            await webhooks.start()
    except Exception as exc:
        with contextlib.suppress(Exception):
            await poller.stop()
        await app.close()
        return _fail(f"could not start the bot: {exc}")
    background.start()
    print(f"Storefront is running on {settings.bot_framework}; Ctrl+C stops it.", flush=True)
    await stop.wait()
    # Nothing fetched from here on; the updates fetched finish and deliver their replies (at
    # most 25 s; what does not finish stays in the inbox for the next start).
    await poller.finish()
    if gate is not None:
        await gate.close()
    if webhooks is not None:
        await webhooks.stop()
    await background.stop()  # drops, the outbox and the scheduler, while the session is open
    await poller.stop()  # closes the Telegram session
    await app.close()
    return 0


async def _merchant(settings: Settings, args: argparse.Namespace) -> int:
    from bot.bootstrap import CannotStart, build_app
    from bot.drop_cli import run_drops
    from bot.group_cli import run_groupbuy, run_leaders
    from bot.merchant_cli import run_coupons, run_orders
    from bot.sale_cli import run_sales
    from bot.stats_cli import run_stats
    from bot.trust_cli import run_creators, run_reviews

    try:
        app = await build_app(settings)
    except CannotStart as exc:
        return _fail(str(exc))
    try:
        if args.command == "coupons":
            return await run_coupons(app, args)
        if args.command == "groupbuy":
            return await run_groupbuy(app, args)
        if args.command == "leaders":
            return await run_leaders(app, args)
        if args.command == "sales":
            return await run_sales(app, args)
        if args.command == "drops":
            return await run_drops(app, args)
        if args.command == "creators":
            return await run_creators(app, args)
        if args.command == "reviews":
            return await run_reviews(app, args)
        if args.command == "stats":
            return await run_stats(app, args)
        return await run_orders(app, args)
    finally:
        await app.close()


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="storefront", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("run", help="run the bot with long polling (needs BOT_TOKEN)")
    sub.add_parser(
        "webhook",
        help="serve Telegram's updates and Stripe's events by webhook "
        "(needs BOT_TOKEN, WEBHOOK_URL, WEBHOOK_SECRET)",
    )
    sub.add_parser("migrate", help="upgrade the database schema to the latest version")
    catalog = sub.add_parser("catalog", help="manage the catalog")
    catalog_sub = catalog.add_subparsers(dest="catalog_command", required=True)
    importer = catalog_sub.add_parser("import", help="import a YAML or JSON catalog file")
    importer.add_argument("file", nargs="?", help="the catalog file")
    importer.add_argument("--demo", action="store_true", help="import the bundled demo catalog")
    sandbox = sub.add_parser("sandbox", help="chat with the shop in this terminal; no token")
    sandbox.add_argument("--framework", choices=["aiogram", "ptb"], default=None)
    sandbox.add_argument(
        "--database",
        default=None,
        help="database URL (default: a fresh SQLite file in a temp folder)",
    )
    from bot.group_cli import add_parsers as add_group_parsers
    from bot.merchant_cli import add_parsers

    add_parsers(sub)
    add_group_parsers(sub)
    from bot.sale_cli import add_parsers as add_sale_parsers

    add_sale_parsers(sub)
    from bot.drop_cli import add_parsers as add_drop_parsers

    add_drop_parsers(sub)
    from bot.trust_cli import add_parsers as add_trust_parsers

    add_trust_parsers(sub)
    from bot.stats_cli import add_parsers as add_stats_parsers

    add_stats_parsers(sub)
    bench = sub.add_parser("bench", help="run a benchmark")
    bench.add_argument(
        "name",
        choices=["updates", "flash-sale", "broadcast", "webhook", "recommend", "fairness"],
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
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    settings = Settings()
    from bot.logs import configure_logging
    from bot.services.ports import StorageUnavailable

    configure_logging(settings.log_level, settings.log_format)
    with contextlib.suppress(KeyboardInterrupt):
        try:
            return _command(args, settings)
        except StorageUnavailable as exc:  # the database went away mid-command: one line
            from storage.engine import why_unreachable

            url = getattr(args, "database", None) or settings.database_url
            return _fail(why_unreachable(url, exc), 1)
    return 130


def _command(args: argparse.Namespace, settings: Settings) -> int:
    if args.command == "run":
        return asyncio.run(_run(settings))
    if args.command == "webhook":
        from bot.webhook_cli import run_webhook

        return asyncio.run(run_webhook(settings))
    if args.command == "migrate":
        return asyncio.run(_migrate(settings))
    if args.command == "catalog":
        if not args.demo and not args.file:
            return _fail("name a catalog file, or use --demo")
        return asyncio.run(_import_catalog(settings, args.file, args.demo))
    if args.command == "sandbox":
        from bot.sandbox.terminal import run_sandbox

        return asyncio.run(
            run_sandbox(
                settings,
                framework=args.framework or settings.bot_framework,
                database_url=args.database,
            )
        )
    if args.command in ("coupons", "orders", "groupbuy", "leaders", "sales", "drops"):
        return asyncio.run(_merchant(settings, args))
    if args.command in ("creators", "reviews", "stats"):
        return asyncio.run(_merchant(settings, args))
    if args.command == "bench" and args.name == "flash-sale":
        from bench.flash_sale import run_flash_bench

        return asyncio.run(
            run_flash_bench(
                args.database,
                args.buyers or 10_000,
                args.units,
                args.workers,
                args.concurrency,
            )
        )
    if args.command == "bench" and args.name == "broadcast":
        from bench.broadcast import run_broadcast_bench

        return asyncio.run(
            run_broadcast_bench(args.framework, args.database, args.recipients, args.rate)
        )
    if args.command == "bench" and args.name == "recommend":
        from bench.recommend import run_recommend_bench

        return asyncio.run(run_recommend_bench(args.buyers or 1000, args.seed))
    if args.command == "bench" and args.name == "webhook":
        from bench.webhook import run_webhook_bench

        return asyncio.run(run_webhook_bench(args.framework, args.updates or 500, args.database))
    if args.command == "bench" and args.name == "fairness":
        from bench.fairness import run_fairness_bench

        return asyncio.run(
            run_fairness_bench(
                args.framework,
                args.mode,
                args.updates or 1000,
                args.commands,
                args.interval,
                args.database,
            )
        )
    if args.command == "bench":
        from bench.updates import run_bench

        return asyncio.run(run_bench(args.framework, args.updates or 2000))
    raise AssertionError(f"no handler for {args.command}")


if __name__ == "__main__":
    raise SystemExit(main())
