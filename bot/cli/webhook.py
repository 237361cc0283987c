"""``storefront webhook``: Telegram's updates (and Stripe's events) by HTTP instead of polling.

Refuses to start without BOT_TOKEN, WEBHOOK_URL and a valid WEBHOOK_SECRET. Calls setWebhook
(the secret, the update types the shop handles, pending updates kept), serves until SIGTERM or
SIGINT, then stops accepting, lets the updates in flight finish, stops the drops, the outbox
and the scheduler, and exits 0. It does not delete the webhook: another process may serve it.
"""

from __future__ import annotations

import argparse
import re
import signal
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from bot.cli.common import Subparsers, run_async
from bot.cli.common import fail as _fail

if TYPE_CHECKING:
    from bot.config import Settings

#: What Telegram accepts as secret_token.
_SECRET = re.compile(r"[A-Za-z0-9_-]{1,256}")


def add_parsers(sub: Subparsers) -> None:
    webhook = sub.add_parser(
        "webhook",
        help="serve Telegram's updates and Stripe's events by webhook "
        "(needs BOT_TOKEN, WEBHOOK_URL, WEBHOOK_SECRET)",
    )
    webhook.set_defaults(func=command)


def command(args: argparse.Namespace, settings: Settings) -> int:
    return run_async(run_webhook(settings))


def check_settings(settings: Settings) -> str | None:
    """Why `storefront webhook` cannot start with these settings (None: it can)."""
    if not settings.bot_token:
        return "set BOT_TOKEN (from @BotFather) in .env or the environment."
    url = settings.webhook_url or ""
    parts = urlsplit(url)
    if parts.scheme not in ("https", "http") or not parts.netloc:
        return (
            "set WEBHOOK_URL to the public HTTPS URL Telegram should post updates to, "
            "e.g. https://shop.example.com/telegram"
        )
    secret = settings.webhook_secret or ""
    if not _SECRET.fullmatch(secret):
        return (
            "set WEBHOOK_SECRET to 1-256 characters of A-Z, a-z, 0-9, _ and - (Telegram sends it "
            "with every update, and updates without it are refused); for example: "
            'python -c "import secrets; print(secrets.token_urlsafe(32))"'
        )
    return None


async def run_webhook(settings: Settings) -> int:
    import asyncio

    from bot.bootstrap import CannotStart, build_app
    from bot.conversation.storefront import utc_now
    from bot.services.housekeeping import health
    from bot.serving import (
        Background,
        dashboard_for,
        flood_gate,
        menu_buttons_for,
        stripe_routes_for,
    )
    from bot.telegram.metrics import ShopMetrics
    from bot.telegram.webhook import WebhookServer, make_webhook_bot

    problem = check_settings(settings)
    if problem:
        return _fail(problem)
    url, secret = settings.webhook_url or "", settings.webhook_secret or ""
    try:
        app = await build_app(settings)
    except CannotStart as exc:
        return _fail(str(exc))
    app.storefront.redelivered = True  # a failed update comes back: raise, do not apologise
    metrics = ShopMetrics()
    background = Background(app)
    bot = make_webhook_bot(
        settings.bot_framework, app.storefront, settings.bot_token, settings.telegram_api_base
    )
    throttle = flood_gate(app, bot.sender(), metrics)
    server = WebhookServer(
        bot,
        secret,
        admit=throttle.admit if throttle is not None else None,
        path=urlsplit(url).path or "/",
        health=lambda: health(app.uows, utc_now()),
        metrics=metrics,
        routes=[*stripe_routes_for(app, metrics), *dashboard_for(app).routes()],
        host=settings.webhook_host,
        port=settings.webhook_port,
    )
    try:
        await bot.start()
        background.attach(bot.sender(), metrics)
        await server.start()
        await bot.set_webhook(url, secret)
        menus = menu_buttons_for(app)
        if menus is not None:
            await menus.set_all()
    except Exception as exc:
        await server.stop()
        await bot.stop()
        await app.close()
        return _fail(f"could not start the webhook: {exc}")
    background.start()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    print(
        f"Storefront webhook on {settings.bot_framework}, listening on "
        f"{settings.webhook_host}:{settings.webhook_port} for {url}; Ctrl+C stops it.",
        flush=True,
    )
    await stop.wait()
    await server.stop()  # no new updates; the ones in flight finish (at most 25 s)
    if throttle is not None:
        await throttle.close()  # slow-down notices in flight
    await background.stop()
    await bot.stop()
    await app.close()
    return 0
