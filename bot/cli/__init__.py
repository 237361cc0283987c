"""The ``storefront`` command: run, webhook, migrate, catalog import, sandbox, bench."""

from __future__ import annotations

import argparse
import contextlib

from bot.cli import (
    bench,
    catalog,
    drops,
    groupbuy,
    merchant,
    run,
    sales,
    sandbox,
    stats,
    trust,
    webhook,
)
from bot.cli.common import Command, fail


def _parser() -> argparse.ArgumentParser:
    """Every command's parser; each sets ``func``. Building it imports no framework, ORM or
    gateway: a command imports what it needs when it runs."""
    parser = argparse.ArgumentParser(prog="storefront", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    run.add_parsers(sub)
    webhook.add_parsers(sub)
    catalog.add_migrate_parser(sub)
    catalog.add_catalog_parser(sub)
    sandbox.add_parsers(sub)
    merchant.add_parsers(sub)
    groupbuy.add_parsers(sub)
    sales.add_parsers(sub)
    drops.add_parsers(sub)
    trust.add_parsers(sub)
    stats.add_parsers(sub)
    bench.add_parsers(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    # The settings (pydantic) load once a command is chosen: ``--help`` and a bad command
    # import no more than the parser needs.
    from bot.config import Settings

    settings = Settings()
    from bot.logs import configure_logging
    from bot.services.ports import StorageUnavailable

    configure_logging(settings.log_level, settings.log_format)
    command: Command = args.func
    with contextlib.suppress(KeyboardInterrupt):
        try:
            return command(args, settings)
        except StorageUnavailable as exc:  # the database went away mid-command: one line
            from storage.engine import why_unreachable

            url = getattr(args, "database", None) or settings.database_url
            return fail(why_unreachable(url, exc), 1)
    return 130
