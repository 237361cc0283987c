"""``storefront run``: the bot by long polling."""

from __future__ import annotations

import argparse
import contextlib
import signal
from typing import TYPE_CHECKING, Any

from bot.cli.common import Subparsers, fail, run_async

if TYPE_CHECKING:
    from bot.config import Settings


def add_parsers(sub: Subparsers) -> None:
    run = sub.add_parser("run", help="run the bot with long polling (needs BOT_TOKEN)")
    run.set_defaults(func=command)


def command(args: argparse.Namespace, settings: Settings) -> int:
    return run_async(run_polling(settings))


async def run_polling(settings: Settings) -> int:
    import asyncio

    from bot.bootstrap import CannotStart, build_app
    from bot.serving import (
        Background,
        dashboard_for,
        flood_gate,
        menu_buttons_for,
        stripe_routes_for,
    )
    from bot.telegram.runner import make_polling
    from bot.telegram.throttle import Throttle

    if not settings.bot_token:
        return fail(
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
        return fail(str(exc))
    background = Background(app)
    webhooks = None
    dashboard = None
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
        if settings.dashboard_url:  # the merchant dashboard on its own port
            from bot.dashboard.server import DashboardServer

            dashboard = DashboardServer(
                dashboard_for(app), settings.dashboard_host, settings.dashboard_port
            )
            await dashboard.start()
            menus = menu_buttons_for(app)
            if menus is not None:
                await menus.set_all()
    except Exception as exc:
        with contextlib.suppress(Exception):
            await poller.stop()
        await app.close()
        return fail(f"could not start the bot: {exc}")
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
    if dashboard is not None:
        await dashboard.stop()
    await background.stop()  # drops, the outbox and the scheduler, while the session is open
    await poller.stop()  # closes the Telegram session
    await app.close()
    return 0
