"""What every bot process runs beside its updates, whether they come by long polling
(`storefront run`) or by webhook (`storefront webhook`): the outbox worker (refunds, notices),
the drop sender, the scheduler, and the Stripe webhook routes."""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from bot.bootstrap import App
from bot.conversation.storefront import utc_now
from bot.jobs.scheduler import RunningJobs, make_scheduler

log = logging.getLogger(__name__)

#: How long a stop waits for the outbox's run under way (a notice or refund being sent).
OUTBOX_STOP_SECONDS = 5.0
#: How long a stop waits for the scheduled jobs under way (a drop looked for, a deadline).
JOBS_STOP_SECONDS = 5.0

if TYPE_CHECKING:
    from aiohttp import web

    from bot.conversation.delivery import Sender
    from bot.dashboard.menu_button import MenuButtons
    from bot.dashboard.server import Dashboard
    from bot.telegram.metrics import ShopMetrics
    from bot.telegram.throttle import Throttle


def stripe_routes_for(app: App, metrics: ShopMetrics | None = None) -> list[web.RouteDef]:
    """Stripe's webhook route, when STRIPE_WEBHOOK_SECRET is set (else none); ``metrics``
    counts the anomalies its events show."""
    secret = app.settings.stripe_webhook_secret
    if not secret:
        return []
    from bot.payments.stripe_webhook import stripe_routes

    anomaly = metrics.anomaly if metrics is not None else None
    return stripe_routes(app.uows, secret, utc_now, app.worker.kick, on_anomaly=anomaly)


def flood_gate(app: App, sender: Sender, metrics: ShopMetrics | None = None) -> Throttle | None:
    """The flood gate of this process (None with FLOOD_RATE=0); its ``admit`` goes in front
    of the updates in either run mode, and ``close`` after they stopped coming."""
    if app.flood is None:
        return None
    from bot.telegram.throttle import Throttle

    return Throttle(app.flood, app.storefront, sender, metrics)


def dashboard_for(app: App) -> Dashboard:
    """The merchant dashboard's routes (under /dashboard) for this process's web server."""
    from pathlib import Path

    from bot.dashboard.server import Dashboard

    settings = app.settings
    return Dashboard(
        app.storefront,
        settings.bot_token,
        max_age=settings.dashboard_auth_max_age,
        media_dir=Path(settings.dashboard_media_dir),
    )


def menu_buttons_for(app: App) -> MenuButtons | None:
    """With DASHBOARD_URL: staff members' "🖥 Dashboard" menu button, set for each new staff
    member after the commit that adds them (``set_all`` sets everyone's at start)."""
    settings = app.settings
    if not settings.dashboard_url:
        return None
    from bot.dashboard.menu_button import MenuButtons

    buttons = MenuButtons(
        app.uows,
        settings.telegram_api_base,
        settings.bot_token,
        settings.dashboard_url,
        tuple(settings.admin_ids),
        settings.default_locale,
    )
    buttons.listen(app.storefront.on_staff_added, app.storefront.on_staff_removed)
    return buttons


class Background:
    """The outbox worker, the drop sender and the scheduler of one bot process."""

    def __init__(self, app: App) -> None:
        self.app = app
        self.scheduler = make_scheduler(
            app.uows,
            app.worker,
            app.drops,
            inbox_keep=timedelta(hours=app.settings.inbox_keep_hours),
        )
        self.jobs = RunningJobs(self.scheduler)

    def attach(self, sender: Any, metrics: ShopMetrics | None = None) -> None:
        """Once the bot runs: notices, refunds in Stars and drops go out through ``sender``."""
        app = self.app
        app.worker.attach(sender, sender)
        if metrics is not None:
            app.worker.refunds.on_outcome.append(metrics.refund)
            sender = metrics.counting(sender)
        app.drops.attach(sender)

    def start(self) -> None:
        self.scheduler.start()
        self.app.worker.kick()  # whatever was queued while the bot was down

    async def stop(self) -> None:
        """Before the bot's Telegram session closes: the sends in flight finish and are
        recorded (a drop's batch, a notice or refund the outbox is sending)."""
        await self.jobs.stop(JOBS_STOP_SECONDS)
        await self.app.drops.stop()
        try:  # bounded: a stop must end within the supervisor's patience
            await asyncio.wait_for(self.app.worker.idle(), OUTBOX_STOP_SECONDS)
        except TimeoutError:
            log.warning("the outbox was still sending at shutdown; the rest goes at next start")
