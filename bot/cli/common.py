"""What the command modules share: the one-line failure, and building the app around a
merchant's command. Imports nothing heavy (not even the settings or asyncio): ``storefront
--help`` loads this."""

from __future__ import annotations

import argparse
import functools
import sys
from collections.abc import Awaitable, Callable, Coroutine
from typing import TYPE_CHECKING, Any, TypeAlias

if TYPE_CHECKING:
    from bot.bootstrap import App
    from bot.config import Settings

#: What a (sub)command's ``func`` default is: the parsed arguments and the settings in, the
#: exit code out.
Command: TypeAlias = "Callable[[argparse.Namespace, Settings], int]"

Subparsers: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"


def fail(message: str, code: int = 2) -> int:
    print(f"storefront: {message}", file=sys.stderr)
    return code


def run_async(main: Coroutine[Any, Any, int]) -> int:
    """``asyncio.run(main)``, with asyncio imported only by a command that runs."""
    import asyncio

    return asyncio.run(main)


def with_app(run: Callable[[App, argparse.Namespace], Awaitable[int]]) -> Command:
    """A command that runs ``run`` on the app built from the settings, closed afterwards. It
    carries ``run``'s name (and ``__wrapped__``), so each subcommand's handler can be named."""

    @functools.wraps(run)
    def command(args: argparse.Namespace, settings: Settings) -> int:
        return run_async(_with_app(run, args, settings))

    return command


async def _with_app(
    run: Callable[[App, argparse.Namespace], Awaitable[int]],
    args: argparse.Namespace,
    settings: Settings,
) -> int:
    from bot.bootstrap import CannotStart, build_app

    try:
        app = await build_app(settings)
    except CannotStart as exc:
        return fail(str(exc))
    try:
        return await run(app, args)
    finally:
        await app.close()
