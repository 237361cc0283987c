"""The whole shop, locally: Bot API stand-in, database, storefront and the real framework.

It is the production path with only Telegram replaced: ``build_app`` + ``make_polling`` over
HTTP, and beside the updates what ``storefront run`` runs (``bot.serving``: the outbox worker
with its notices and refunds, the drop sender, the scheduler with its reminders, group-buy
deadlines and flash-sale alerts, the flood gate), so what someone sees in the sandbox is what
buyers and the merchant would see in Telegram.
"""

from __future__ import annotations

import tempfile
from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from bot.bootstrap import App, build_app
from bot.config import Settings
from bot.domain.group_buys import GroupDeal, PickupPoint
from bot.domain.money import parse_major
from bot.sandbox.people import LEADER, LEADER_PICKUP, MERCHANT
from bot.services.catalog_import import demo_catalog_path, import_catalog, read_catalog
from bot.serving import Background, flood_gate
from bot.standin import BotApiSpec, BotApiStandIn
from bot.telegram.runner import Framework, PollingBot, make_polling
from storage.engine import make_engine
from storage.maintenance import (
    forget_telegram_file_ids,
    last_handled_update_id,
    printable_url,
    product_count,
)
from storage.migrate import upgrade
from storage.unit_of_work import SqlUnitOfWorkFactory

#: Any well-formed token does: the stand-in only checks that the bot sends the same one back.
SANDBOX_TOKEN = "100000:SANDBOX"
SANDBOX_BOT_USERNAME = "storefront_sandbox_bot"
#: Short, so that stopping the bot does not wait out a long poll.
POLL_TIMEOUT = 1
#: How long the framework may take to send its first getUpdates.
STARTUP_TIMEOUT = 30.0
#: The demo group deal: a team of two buys the konjac jelly for less, led by the demo leader.
GROUP_DEAL_SKU = "KJ-10"
GROUP_DEAL_PRICE = "3.49"
GROUP_DEAL_SIZE = 2
GROUP_DEAL_HOURS = 24
GROUP_DEAL_COMMISSION = 10


@dataclass(slots=True)
class SandboxShop:
    """What is running while the sandbox is open."""

    framework: Framework
    standin: BotApiStandIn
    app: App
    bot: PollingBot
    database_url: str
    #: True when the database lives in a temporary folder removed on exit.
    throwaway_database: bool
    #: How many products the demo import added (0 when the database already had products).
    imported_products: int
    background: Background
    #: Told the update_id of an update the flood gate dropped (it gets no "done" otherwise).
    on_dropped: list[Callable[[int], None]]
    #: The merchant dashboard (``http://127.0.0.1:PORT/dashboard``), as ``storefront run``
    #: serves it; None if its port could not be had.
    dashboard_url: str | None = None

    def dashboard_link(self, user_id: int, first_name: str, language: str = "en") -> str | None:
        """The dashboard signed in as this person, as Telegram would open it (the initData in
        the URL's fragment, which the page reads when no Telegram app is around)."""
        from urllib.parse import quote

        from bot.dashboard.auth import sign_init_data

        if self.dashboard_url is None:
            return None
        user = {"id": user_id, "first_name": first_name, "language_code": language}
        return f"{self.dashboard_url}#tgWebAppData={quote(sign_init_data(user, SANDBOX_TOKEN))}"


@dataclass(frozen=True, slots=True)
class PreparedDatabase:
    """What ``prepare_database`` found or did."""

    imported_products: int
    last_update_id: int


async def prepare_database(url: str) -> PreparedDatabase:
    """Migrate ``url``, import the demo catalog when it has no products yet, and note the last
    handled update.

    An existing catalog is left alone so that ``--database`` can point the sandbox at a real
    (development) shop.
    """
    uows = SqlUnitOfWorkFactory(make_engine(url))
    try:
        await upgrade(uows.engine)
        imported = 0
        # File ids from an earlier stand-in mean nothing to this one.
        await forget_telegram_file_ids(uows.engine)
        if not await product_count(uows.engine):
            imported = (await import_catalog(uows, read_catalog(demo_catalog_path()))).products
        await _demo_group_buys(uows)
        return PreparedDatabase(imported, await last_handled_update_id(uows.engine))
    finally:
        await uows.dispose()


async def _demo_group_buys(uows: SqlUnitOfWorkFactory) -> None:
    """The demo leader, with a pickup point, and a group deal they can open teams for.

    Only in a shop holding the demo catalog and no group deal yet: a ``--database`` of the
    merchant's own keeps its deals and its leaders as they are.
    """
    async with uows() as uow:
        if await uow.groups.all_deals():
            return
        variant_id = await uow.catalog.variant_by_sku(GROUP_DEAL_SKU)
        found = await uow.catalog.variant(variant_id) if variant_id is not None else None
        if variant_id is not None and found is not None:
            await uow.groups.set_leader(LEADER.user_id, PickupPoint(*LEADER_PICKUP, 72))
            price = parse_major(GROUP_DEAL_PRICE, found[0].price.currency)
            await uow.groups.set_deal(
                GroupDeal(
                    variant_id,
                    price,
                    GROUP_DEAL_SIZE,
                    timedelta(hours=GROUP_DEAL_HOURS),
                    None,
                    GROUP_DEAL_COMMISSION,
                )
            )
        await uow.commit()


def continue_update_ids(standin: BotApiStandIn, last: int) -> None:
    """Make the stand-in number its updates after ``last``.

    A fresh stand-in starts at update 1, but a reused database remembers the update ids it
    handled and (rightly) ignores them as redeliveries: without this, a second sandbox on the
    same database would get no answers at all. Telegram's own ids only ever grow, too.
    """
    if last > 0:
        # A type the bot never asks for, confirmed at once: only the counter moves on.
        standin.push_update({"update_id": last, "message_reaction_count": {}})
        standin.state.updates.drop_all()


@asynccontextmanager
async def open_shop(
    settings: Settings, framework: Framework, database_url: str | None
) -> AsyncIterator[SandboxShop]:
    """Start everything; on exit (or a failure half-way) stop whatever did start, in reverse."""
    async with AsyncExitStack() as stack:
        throwaway = database_url is None
        if database_url is None:
            folder = stack.enter_context(
                tempfile.TemporaryDirectory(
                    prefix="storefront-sandbox-", ignore_cleanup_errors=True
                )
            )
            database_url = f"sqlite+aiosqlite:///{Path(folder) / 'sandbox.db'}"
        prepared = await prepare_database(database_url)

        standin = BotApiStandIn(
            BotApiSpec.default(),
            token=SANDBOX_TOKEN,
            bot_username=SANDBOX_BOT_USERNAME,
            bot_first_name=settings.shop_name,
        )
        continue_update_ids(standin, prepared.last_update_id)
        await standin.start(host="127.0.0.1", port=0)
        stack.push_async_callback(standin.stop)

        # The stand-in takes any provider token, so the sandbox can walk through checkout.
        # The demo merchant is staff here without any configuration.
        token = settings.payment_provider_token or "sandbox:stripe-test-provider"
        admins = [*settings.admin_ids, MERCHANT.user_id]
        app = await build_app(
            settings.model_copy(
                update={
                    "database_url": database_url,
                    "payment_provider_token": token,
                    "admin_ids": admins,
                    # A drop tried at night reaches the demo buyers at once, unless the
                    # merchant set QUIET_HOURS themselves.
                    "quiet_hours": (
                        settings.quiet_hours
                        if "quiet_hours" in settings.model_fields_set
                        else "off"
                    ),
                }
            )
        )
        stack.push_async_callback(app.close)

        # As ``storefront run``: the flood gate in front of the updates, then the background.
        gate = None
        on_dropped: list[Callable[[int], None]] = []

        async def admit(update: dict[str, object]) -> bool:
            if gate is None or await gate.admit(update):
                return True
            for listener in on_dropped:  # the sandbox waits for a reply that will not come
                listener(int(str(update.get("update_id"))))
            return False

        bot = make_polling(
            framework,
            app.storefront,
            SANDBOX_TOKEN,
            standin.base_url,
            poll_timeout=POLL_TIMEOUT,
            admit=admit if app.flood is not None else None,
        )
        gate = flood_gate(app, bot.sender())
        background = Background(app)
        # Registered before start(): a half-started client still has sessions to close.
        stack.push_async_callback(bot.stop)
        mark = len(standin.calls)
        await bot.start()
        # Only a bot that is already polling can be stopped cleanly: aiogram's polling starts
        # in a task, and stopping it before that task ran waits forever. The first getUpdates
        # is also the honest moment to say "Ready".
        await standin.wait_for_call("getUpdates", timeout=STARTUP_TIMEOUT, after=mark)
        background.attach(bot.sender())
        background.start()
        dashboard_url = await _serve_dashboard(stack, app, settings)
        if dashboard_url is not None and not settings.dashboard_url:
            # As in Telegram: "🖥 Dashboard" in /admin and the staff's menu button open it.
            await _dashboard_buttons(app, dashboard_url, standin.base_url)
        # Stopped in the order ``storefront run`` stops: updates, gate, background, session.
        stack.push_async_callback(background.stop)
        if gate is not None:
            stack.push_async_callback(gate.close)
        stack.push_async_callback(bot.finish)
        yield SandboxShop(
            framework,
            standin,
            app,
            bot,
            database_url,
            throwaway,
            prepared.imported_products,
            background,
            on_dropped,
            dashboard_url,
        )


async def _serve_dashboard(stack: AsyncExitStack, app: App, settings: Settings) -> str | None:
    """The merchant dashboard on DASHBOARD_HOST:DASHBOARD_PORT (any free port if that one is
    taken); its URL, or None if it cannot listen at all."""
    from bot.dashboard.server import Dashboard, DashboardServer

    dashboard = Dashboard(
        app.storefront,
        SANDBOX_TOKEN,
        max_age=settings.dashboard_auth_max_age,
        media_dir=Path(settings.dashboard_media_dir),
    )
    for port in (settings.dashboard_port, 0):
        server = DashboardServer(dashboard, settings.dashboard_host, port)
        try:
            await server.start()
        except OSError:
            await server.stop()
            continue
        stack.push_async_callback(server.stop)
        return server.local_url
    return None


async def _dashboard_buttons(app: App, url: str, api_base: str) -> None:
    """The dashboard's buttons as with DASHBOARD_URL: in /admin, and the staff's menu button
    (set through the sandbox's own Bot API)."""
    from bot.dashboard.menu_button import MenuButtons

    app.storefront.config.dashboard_url = url
    settings = app.settings
    owners = tuple(settings.admin_ids)
    buttons = MenuButtons(app.uows, api_base, SANDBOX_TOKEN, url, owners, settings.default_locale)
    buttons.listen(app.storefront.on_staff_added, app.storefront.on_staff_removed)
    await buttons.set_all()


def database_label(shop: SandboxShop) -> str:
    """Where the data lives, for the banner; never the password of a ``--database`` URL."""
    if shop.throwaway_database:
        return "a fresh SQLite file with the demo catalog, deleted when you leave"
    shown = printable_url(shop.database_url)
    if shop.imported_products:
        return f"{shown} (demo catalog imported: {shop.imported_products} products)"
    return f"{shown} (its own catalog)"
