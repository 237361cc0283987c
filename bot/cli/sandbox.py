"""``storefront sandbox``: chat with the shop in this terminal; no token."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from bot.cli.common import Subparsers, run_async

if TYPE_CHECKING:
    from bot.config import Settings


def add_parsers(sub: Subparsers) -> None:
    sandbox = sub.add_parser("sandbox", help="chat with the shop in this terminal; no token")
    sandbox.add_argument("--framework", choices=["aiogram", "ptb"], default=None)
    sandbox.add_argument(
        "--database",
        default=None,
        help="database URL (default: a fresh SQLite file in a temp folder)",
    )
    sandbox.add_argument(
        "--files",
        default=None,
        help="folder for the pictures, videos and files the bot sends (default: ./sandbox-files)",
    )
    sandbox.add_argument(
        "--web",
        action="store_true",
        help="show the demo people's chats side by side in a browser (on 127.0.0.1)",
    )
    sandbox.add_argument(
        "--port",
        type=int,
        default=8090,
        help="the port of --web's page on 127.0.0.1 (default: 8090)",
    )
    sandbox.set_defaults(func=command)


def command(args: argparse.Namespace, settings: Settings) -> int:
    from pathlib import Path

    from bot.sandbox.terminal import run_sandbox

    return run_async(
        run_sandbox(
            settings,
            framework=args.framework or settings.bot_framework,
            database_url=args.database,
            files=Path(args.files) if args.files else None,
            web_port=args.port if args.web else None,
        )
    )
