"""``storefront migrate`` and ``storefront catalog import``: the database's schema and the
catalog it sells."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from bot.cli.common import Subparsers, fail, run_async

if TYPE_CHECKING:
    from bot.config import Settings


def add_migrate_parser(sub: Subparsers) -> None:
    migrate = sub.add_parser("migrate", help="upgrade the database schema to the latest version")
    migrate.set_defaults(func=migrate_command)


def add_catalog_parser(sub: Subparsers) -> None:
    catalog = sub.add_parser("catalog", help="manage the catalog")
    catalog_sub = catalog.add_subparsers(dest="catalog_command", required=True)
    importer = catalog_sub.add_parser("import", help="import a YAML or JSON catalog file")
    importer.add_argument("file", nargs="?", help="the catalog file")
    importer.add_argument("--demo", action="store_true", help="import the bundled demo catalog")
    importer.set_defaults(func=import_command)


def migrate_command(args: argparse.Namespace, settings: Settings) -> int:
    return run_async(migrate(settings))


def import_command(args: argparse.Namespace, settings: Settings) -> int:
    if not args.demo and not args.file:
        return fail("name a catalog file, or use --demo")
    return run_async(import_catalog(settings, args.file, args.demo))


async def migrate(settings: Settings) -> int:
    from bot.bootstrap import CannotStart, DatabaseUnreachable, engine_for
    from bot.services.ports import StorageUnavailable
    from storage.migrate import upgrade

    try:
        engine = engine_for(settings, migrating=True)
    except CannotStart as exc:
        return fail(str(exc))
    try:
        status = await upgrade(engine)
    except StorageUnavailable as exc:
        return fail(str(DatabaseUnreachable.of(settings, exc)))
    finally:
        await engine.dispose()
    print(f"Database schema is at {status.current} (latest).")
    return 0


async def import_catalog(settings: Settings, file: str | None, demo: bool) -> int:
    from bot.bootstrap import CannotStart, open_storage
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
    try:  # the units of work alone: an import needs none of the conversation or workers
        uows = await open_storage(settings)
    except CannotStart as exc:
        return fail(str(exc))
    try:
        report = await import_catalog(uows, draft)
    except CatalogFileError as exc:
        print(f"{path}: nothing was imported:", file=sys.stderr)
        for problem in exc.problems:
            print(f"  {problem}", file=sys.stderr)
        return 1
    finally:
        await uows.dispose()
    print(
        f"Imported {report.categories} categories, {report.products} products and "
        f"{report.variants} variants from {path}."
    )
    return 0
