"""The composition root: settings -> engine -> unit of work -> storefront, gateways and the
outbox worker. Nothing at import."""

from __future__ import annotations

import os
import socket
import uuid
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from storage.engine import make_engine, why_unreachable

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncEngine

    from bot.config import Settings
    from bot.conversation.storefront import Storefront
    from bot.domain.flood import FloodCounts
    from bot.payments.stripe_gateway import StripeGateway
    from bot.services.checkout import PaymentSetup
    from bot.services.sale_ports import SoldOutGate
    from bot.workers.drop_sender import DropSender
    from bot.workers.outbox import OutboxWorker
    from storage.redis_state import RedisState
    from storage.unit_of_work import SqlUnitOfWorkFactory

# What the app is made of (the conversation, the workers, Stripe, Redis, Alembic) is imported
# by the function that builds it: ``storefront migrate`` needs ``engine_for`` alone, and a
# gateway that is not configured (STRIPE_API_KEY, REDIS_URL) is never imported.


class CannotStart(RuntimeError):
    """The bot cannot start; the message is one line for the person at the terminal."""


class SchemaBehind(CannotStart):
    """The database has not been migrated to this version of the bot."""


class DatabaseUnreachable(CannotStart):
    """The database did not answer at start (refused, silent, a file that cannot be opened)."""

    @classmethod
    def of(cls, settings: Settings, error: BaseException) -> DatabaseUnreachable:
        return cls(why_unreachable(settings.database_url, error))


def engine_for(settings: Settings, *, migrating: bool = False) -> AsyncEngine:
    """The engine with the configured bounds (``DB_CONNECT_TIMEOUT``, ``DB_STATEMENT_TIMEOUT``);
    a migration's statements are not bounded (it may rewrite large tables)."""
    try:
        return make_engine(
            settings.database_url,
            connect_timeout=settings.db_connect_timeout,
            statement_timeout=None if migrating else settings.db_statement_timeout,
        )
    except OSError as exc:  # SQLite: the file's folder cannot be made
        raise DatabaseUnreachable.of(settings, exc) from exc


@dataclass(slots=True)
class App:
    settings: Settings
    uows: SqlUnitOfWorkFactory
    storefront: Storefront
    worker: OutboxWorker
    drops: DropSender
    card: StripeGateway | None = None
    #: Each chat's flood bucket (None: FLOOD_RATE=0, no flood control); see ``flood_counts``.
    flood: FloodCounts | None = None

    async def close(self) -> None:
        await self.worker.idle()
        await self.drops.idle()
        if self.card is not None:
            await self.card.close()
        await self.uows.dispose()


def flood_counts(settings: Settings, redis: RedisState | None) -> FloodCounts | None:
    """Where chats' updates are counted against FLOOD_RATE: in Redis, shared by every process,
    with REDIS_URL (this process alone while it is down); else in this process."""
    from bot.domain.flood import FloodRule
    from bot.telegram.throttle import LocalFloodCounts

    if settings.flood_rate <= 0:
        return None
    rule = FloodRule(settings.flood_rate, settings.flood_window_seconds)
    alone = LocalFloodCounts(rule)
    if redis is None:
        return alone
    from storage.redis_flood import RedisFloodCounts

    return RedisFloodCounts(redis, rule, alone)


def sale_gate(redis: RedisState | None) -> SoldOutGate:
    """Where sold-out flash sales are remembered, so their losers are refused without a query:
    in Redis, shared by every process (the database while it is down), with REDIS_URL; else in
    this process (other processes' returned units are seen within ``SOLD_OUT_TTL``)."""
    if redis is None:
        from bot.services.sale_gate import LocalSoldOutGate

        return LocalSoldOutGate()
    from storage.redis_sale_gate import RedisSoldOutGate

    return RedisSoldOutGate(redis)


def runner_id() -> str:
    """This process, as the holder of a drop's runner lease."""
    return f"{socket.gethostname()[:40]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def payment_setup(settings: Settings) -> PaymentSetup:
    from bot.domain.cash import CashDefaults
    from bot.services.checkout import PaymentSetup
    from bot.services.shipping_file import default_shipping_path, read_rates

    path = Path(settings.shipping_file) if settings.shipping_file else default_shipping_path()
    return PaymentSetup(
        provider_token=settings.payment_provider_token,
        stripe_links=settings.stripe_checkout_links and bool(settings.stripe_api_key),
        shipping=read_rates(path),
        hold=timedelta(minutes=settings.checkout_hold_minutes),
        return_window=timedelta(days=settings.return_window_days),
        cash=CashDefaults(
            settings.cod_max_total,
            settings.cod_first_time_buyers,
            timedelta(hours=settings.cod_hold_hours),
        ),
        group_authorize=settings.group_buy_authorize and bool(settings.stripe_api_key),
    )


async def checked_engine(settings: Settings) -> AsyncEngine:
    """The engine, once the database has answered and its schema is this version's
    (``SchemaBehind``, ``DatabaseUnreachable`` otherwise)."""
    from bot.services.ports import StorageUnavailable
    from storage.migrate import schema_status

    engine = engine_for(settings)
    try:
        status = await schema_status(engine)
    except StorageUnavailable as exc:
        await engine.dispose()
        raise DatabaseUnreachable.of(settings, exc) from exc
    if not status.is_current:
        await engine.dispose()
        raise SchemaBehind(
            f"The database schema is at {status.current or 'nothing (empty database)'}, "
            f"this bot needs {status.head}. Run `storefront migrate` first."
        )
    return engine


async def open_storage(settings: Settings) -> SqlUnitOfWorkFactory:
    """The units of work alone, on a checked database: for a command that writes the shop's
    data (``catalog import``) and needs none of the conversation, workers or gateways."""
    from storage.unit_of_work import SqlUnitOfWorkFactory

    return SqlUnitOfWorkFactory(await checked_engine(settings))


async def build_app(settings: Settings, *, require_current_schema: bool = True) -> App:
    """Wire the shop; refuse (``CannotStart``: ``SchemaBehind``, ``DatabaseUnreachable``) to run
    on a database that is not migrated or does not answer."""
    from bot.conversation.callbacks import Signer
    from bot.conversation.storefront import Storefront, utc_now
    from bot.conversation.turn import ShopConfig
    from bot.domain.alerts import parse_quiet
    from bot.domain.guesses import GuessLimit
    from bot.services.alerts import AlertPolicy
    from bot.services.refunds import RefundSender
    from bot.services.shipping_file import ShippingFileError
    from bot.workers.drop_pace import Pace
    from bot.workers.drop_sender import DropSender
    from bot.workers.outbox import OutboxWorker
    from storage.unit_of_work import SqlUnitOfWorkFactory

    try:  # a broken shipping file stops us before any connection
        setup = payment_setup(settings)
    except ShippingFileError as exc:
        raise CannotStart(f"the shipping file (SHIPPING_FILE) cannot be used:\n{exc}") from exc
    engine = await checked_engine(settings) if require_current_schema else engine_for(settings)
    # REDIS_URL: UI steps and the drop pace are shared by every process on that Redis.
    redis = None
    if settings.redis_url:  # redis loads only when it is used
        from storage.redis_pace import RedisPace
        from storage.redis_state import RedisState

        redis = RedisState(settings.redis_url)
    # Card views are written in batches every 2 s (``storage.view_buffer``): the browse path
    # stays a read.
    uows = SqlUnitOfWorkFactory(
        engine, redis=redis, view_flush_after=2.0, sale_gate=sale_gate(redis)
    )
    config = ShopConfig(
        shop_name=settings.shop_name,
        default_locale=settings.default_locale,
        max_per_line=settings.max_quantity_per_line,
        payments=setup,
        admin_ids=tuple(settings.admin_ids),
        dashboard_url=settings.dashboard_url or None,
        cart_reminder_after=(
            timedelta(hours=settings.cart_reminder_hours) if settings.cart_reminder_hours else None
        ),
        group_leaders_only=settings.group_buy_leaders_only,
        claim_window=timedelta(minutes=settings.flash_claim_minutes),
        sale_alert_lead=timedelta(minutes=settings.flash_alert_minutes),
        creator_window=timedelta(days=settings.creator_window_days),
        drops_per_day=settings.drops_per_day,
        alerts=AlertPolicy(
            settings.marketing_per_day,
            settings.default_timezone,
            parse_quiet(settings.quiet_hours),
        ),
        currency=settings.currency,
        guesses=GuessLimit(settings.guess_limit, timedelta(minutes=settings.guess_window_minutes)),
        signer=Signer.for_bot(settings.callback_secret, settings.bot_token),
        support_chat_id=settings.support_chat_id,
        support_reminder=(
            timedelta(hours=settings.support_reminder_hours)
            if settings.support_reminder_hours
            else None
        ),
    )
    card = None
    if settings.stripe_api_key:  # stripe (and its HTTP clients) load only when it is used
        from bot.payments.stripe_gateway import StripeGateway

        card = StripeGateway(settings.stripe_api_key, settings.stripe_api_base)
    storefront = Storefront(uows, config, card=card)
    refunds = RefundSender(uows, card, None, utc_now, tuple(settings.admin_ids))
    drops = DropSender(
        uows,
        utc_now,
        settings.default_locale,
        tuple(settings.admin_ids),
        # Without Redis every process paces itself: one at a time sends drops (a lease).
        pacer=(lambda rate: RedisPace(redis, rate, Pace(rate))) if redis else None,
        runner=None if redis else runner_id(),
        signer=config.signer,
        alerts=config.alerts,
    )
    worker = OutboxWorker(storefront, refunds)
    flood = flood_counts(settings, redis)
    return App(settings, uows, storefront, worker, drops, card, flood)
