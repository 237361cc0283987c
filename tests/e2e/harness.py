"""A running shop for end-to-end tests: the local Bot API stand-in, a real framework client
polling it over HTTP (or, with ``webhook=True``, the webhook server the stand-in posts updates
to), the storefront on SQLite with the demo catalog.

``send``/``press`` push an update the way Telegram would, wait until the bot has delivered its
replies for exactly that update, and return the Bot API calls it made meanwhile.
"""

from __future__ import annotations

import asyncio
import functools
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select

from bot.conversation.storefront import Storefront, utc_now
from bot.conversation.turn import ShopConfig
from bot.domain.money import Money
from bot.domain.shipping import ShippingRates
from bot.payments.stripe_gateway import StripeGateway
from bot.services import flash_sales
from bot.services.alerts import AlertPolicy
from bot.services.catalog_import import demo_catalog_path, import_catalog, read_catalog
from bot.services.checkout import PaymentSetup
from bot.services.housekeeping import health
from bot.services.refunds import RefundSender
from bot.services.shipping_file import default_shipping_path, read_rates
from bot.standin import BotApiSpec, BotApiStandIn, RecordedCall, SimChat
from bot.standin.stripe_standin import StripeStandIn
from bot.telegram.metrics import ShopMetrics
from bot.telegram.runner import Framework, PollingBot, make_polling
from bot.telegram.webhook import WebhookBot, WebhookServer, make_webhook_bot
from bot.workers.drop_sender import DropSender
from bot.workers.outbox import OutboxWorker
from storage.engine import make_engine
from storage.order_tables import OrderRow
from storage.unit_of_work import SqlUnitOfWorkFactory
from tests.databases import sqlite_database, sqlite_url
from tests.helpers import SHARED_SPEC

TOKEN = "123456:E2E-TOKEN"
PROVIDER_TOKEN = "284685063:TEST:stripe-e2e"
ADMIN_ID = 9000
WEBHOOK_SECRET = "e2e-webhook-secret_0123456789"
WEBHOOK_PATH = "/telegram/updates"
#: A buyer's details as Telegram's payment sheet sends them (OrderInfo).
US = {
    "name": "Ann Lee",
    "phone_number": "+15550100",
    "shipping_address": {
        "country_code": "US",
        "state": "CA",
        "city": "San Francisco",
        "street_line1": "1 Market St",
        "street_line2": "",
        "post_code": "94105",
    },
}


class ShopClock:
    """The shop's time: now, plus whatever a test moved it forward (deadlines, holds)."""

    def __init__(self) -> None:
        self.offset = timedelta(0)

    def __call__(self) -> datetime:
        return utc_now() + self.offset

    def advance(self, delta: timedelta) -> None:
        self.offset += delta


@functools.cache
def load_spec() -> BotApiSpec:
    """The Bot API description from shared/ (the source of truth) when it is there; read once
    (the stand-ins only read it)."""
    return BotApiSpec.load(SHARED_SPEC) if SHARED_SPEC.exists() else BotApiSpec.default()


@dataclass
class RunningShop:
    framework: Framework
    standin: BotApiStandIn
    storefront: Storefront
    uows: SqlUnitOfWorkFactory
    bot: PollingBot | WebhookBot
    stripe: StripeStandIn
    card: StripeGateway
    worker: OutboxWorker
    drops: DropSender
    _done: dict[int, asyncio.Event] = field(default_factory=dict)
    _handled: set[int] = field(default_factory=set)
    _pushed: list[int] = field(default_factory=list)
    pushed_updates: list[dict[str, Any]] = field(default_factory=list)
    #: Webhook mode: the server the stand-in posts updates to, and its metrics.
    server: WebhookServer | None = None
    metrics: ShopMetrics | None = None

    def last_payment(self) -> dict[str, Any]:
        """The last ``successful_payment`` message Telegram sent the bot."""
        return next(
            u["message"]
            for u in reversed(self.pushed_updates)
            if "successful_payment" in u.get("message", {})
        )

    def now(self) -> datetime:
        return self.storefront.clock()

    def _finished(self, update_id: int) -> None:
        self._handled.add(update_id)
        self._done.setdefault(update_id, asyncio.Event()).set()

    async def settle(self, timeout: float = 10.0) -> None:
        """Wait until every update pushed so far (and any it caused) is handled, and the
        outbox worker (refunds, notices) has finished."""

        async def all_handled() -> None:
            while True:
                waiting = [u for u in self._pushed if u not in self._handled]
                if not waiting:
                    await self.worker.idle()
                    if all(u in self._handled for u in self._pushed):
                        return
                    continue
                for update_id in waiting:
                    await self._done.setdefault(update_id, asyncio.Event()).wait()

        await asyncio.wait_for(all_handled(), timeout)

    async def pay(
        self, chat: SimChat, invoice: Mapping[str, Any], **kwargs: Any
    ) -> list[RecordedCall]:
        """A person pays an invoice: shipping query, pre-checkout and payment, each handled."""
        mark = len(self.standin.calls)
        chat.pay(invoice, **kwargs)
        await self.settle()
        return self._since(mark)

    async def push(self, update: Mapping[str, Any], timeout: float = 10.0) -> list[RecordedCall]:
        """Wait for the bot to finish ``update`` (already queued); the calls it made."""
        update_id = int(update["update_id"])
        mark = len(self.standin.calls)
        event = self._done.setdefault(update_id, asyncio.Event())
        await asyncio.wait_for(event.wait(), timeout)
        self._done.pop(update_id, None)
        return self._since(mark)

    def _since(self, mark: int) -> list[RecordedCall]:
        """The bot's calls since ``mark``, without its polling."""
        return [c for c in self.standin.calls[mark:] if c.method != "getUpdates"]

    async def send(self, chat: SimChat, text: str, **kwargs: Any) -> list[RecordedCall]:
        mark = len(self.standin.calls)
        update = chat.send_text(text, **kwargs)
        await self.push(update)
        return self._since(mark)

    async def press(
        self, chat: SimChat, message: Mapping[str, Any] | int, button: Any, **kwargs: Any
    ) -> list[RecordedCall]:
        mark = len(self.standin.calls)
        update = chat.press(message, button, **kwargs)
        await self.push(update)
        return self._since(mark)

    async def press_data(
        self, chat: SimChat, message: Mapping[str, Any] | int, data: str
    ) -> list[RecordedCall]:
        mark = len(self.standin.calls)
        await self.push(chat.press_data(message, data))
        return self._since(mark)


async def start_shop(
    framework: Framework,
    tmp_path: Path,
    *,
    catalog: Path | None = None,
    clock: Callable[[], datetime] = utc_now,
    database_url: str | None = None,
    fresh: bool = True,
    standin: BotApiStandIn | None = None,
    stripe: StripeStandIn | None = None,
    webhook: bool = False,
) -> RunningShop:
    """The whole shop on ``framework``, on SQLite in ``tmp_path`` (a copy of the session's
    migrated database holding the demo catalog, or ``catalog``) or on ``database_url``, a
    migrated database (the ``postgres_url`` fixture...) that gets the catalog imported.

    ``fresh=False`` starts it on a database that already holds a shop (that of a shop that ran
    before in ``tmp_path``, or ``database_url`` as it is: ``postgres_demo_url``...), and
    ``standin``/``stripe`` keep Telegram and Stripe of the shop that ran before (a restart: stop
    it with ``keep_servers=True``). ``webhook=True`` serves updates by webhook (``storefront
    webhook``'s server, on a free port) instead of long polling."""
    if standin is None:
        standin = BotApiStandIn(load_spec(), token=TOKEN, bot_username="shop_e2e_bot")
        await standin.start()
    load: Path | None = None
    if database_url is None:
        path = tmp_path / f"{framework}.db"
        if fresh:
            database_url = sqlite_database(path, demo=catalog is None)
            load = catalog
        else:
            database_url = sqlite_url(path)
    elif fresh:
        load = catalog or demo_catalog_path()
    uows = SqlUnitOfWorkFactory(make_engine(database_url))
    if load is not None:
        await import_catalog(uows, read_catalog(load))
    if stripe is None:
        stripe = StripeStandIn()
        await stripe.start()
    # Telegram's Stripe provider creates the charge; the Stripe stand-in learns of it.
    standin.state.provider_charge_listeners.append(
        lambda charge, amount, currency: stripe.register_charge(charge, amount, currency)
    )
    setup = PaymentSetup(provider_token=PROVIDER_TOKEN, shipping=_shipping_rates())
    # Buyers' alert choices apply as in production, but without default quiet hours and with a
    # roomy cap, so no test depends on the time of day it runs at (tests/e2e/test_alerts.py sets
    # the shop's real defaults).
    alerts = AlertPolicy(cap=20, quiet=None)
    config = ShopConfig(shop_name="E2E Shop", payments=setup, admin_ids=(ADMIN_ID,), alerts=alerts)
    card = StripeGateway(stripe.api_key, stripe.base_url, retries=0)
    storefront = Storefront(uows, config, clock=clock, card=card)
    worker = OutboxWorker(storefront, RefundSender(uows, card, None, clock, (ADMIN_ID,)))
    bot: PollingBot | WebhookBot
    hook: WebhookBot | None = None
    if webhook:
        storefront.redelivered = True
        bot = hook = make_webhook_bot(framework, storefront, TOKEN, standin.base_url)
    else:
        bot = make_polling(framework, storefront, TOKEN, standin.base_url, poll_timeout=1)
    drops = DropSender(uows, clock, "en", (ADMIN_ID,), signer=config.signer, alerts=alerts)
    shop = RunningShop(framework, standin, storefront, uows, bot, stripe, card, worker, drops)
    storefront.on_update_done.append(shop._finished)
    queue = standin.state.updates
    push = queue.__dict__.setdefault("_unrecorded_push", queue.push)

    def recording_push(update: dict[str, object]) -> dict[str, object]:
        stored = push(update)
        shop._pushed.append(int(str(stored["update_id"])))
        shop.pushed_updates.append(stored)
        return stored

    queue.push = recording_push  # type: ignore[method-assign]
    await bot.start()
    sender = bot.sender()
    worker.attach(sender, sender)
    drops.attach(sender)
    if hook is not None:
        await _serve_webhook(shop, hook, clock)
    return shop


@functools.cache
def _shipping_rates() -> ShippingRates:
    """The packaged shipping file, read once (the rates are frozen values)."""
    return read_rates(default_shipping_path())


async def _serve_webhook(
    shop: RunningShop, bot: WebhookBot, clock: Callable[[], datetime]
) -> None:
    """What ``storefront webhook`` does after starting the bot: metrics, the server, setWebhook."""
    metrics = ShopMetrics()
    shop.worker.refunds.on_outcome.append(metrics.refund)
    shop.drops.attach(metrics.counting(bot.sender()))
    server = WebhookServer(
        bot,
        WEBHOOK_SECRET,
        path=WEBHOOK_PATH,
        health=lambda: health(shop.uows, clock()),
        metrics=metrics,
    )
    await server.start()
    shop.server, shop.metrics = server, metrics
    await bot.set_webhook(server.local_url + WEBHOOK_PATH, WEBHOOK_SECRET)


async def stop_shop(shop: RunningShop, *, keep_servers: bool = False) -> None:
    """Stop the bot process; the stand-ins too unless ``keep_servers`` (a restart follows) or
    they belong to another shop."""
    await shop.worker.idle()
    await shop.drops.idle()
    if shop.server is not None:
        await shop.server.stop()
    await shop.bot.stop()
    await shop.card.close()
    await shop.uows.dispose()
    if not keep_servers:
        await shop.stripe.stop()
        await shop.standin.stop()


def only(calls: list[RecordedCall], method: str) -> list[RecordedCall]:
    return [c for c in calls if c.method == method]


def keyboard_texts(message: Mapping[str, Any]) -> list[str]:
    markup = message.get("reply_markup") or {}
    return [b["text"] for row in markup.get("inline_keyboard", []) for b in row]


async def archive_product(shop: RunningShop, product_id: int) -> None:
    """What a merchant's "archive" does, done directly while a buyer is looking at the card."""
    from sqlalchemy import update

    from storage.tables import ProductRow

    async with shop.uows.engine.begin() as conn:
        await conn.execute(
            update(ProductRow).where(ProductRow.id == product_id).values(active=False)  # type: ignore[arg-type]
        )


async def product_id(shop: RunningShop, word: str) -> int:
    """The one product a search for ``word`` finds."""
    async with shop.uows() as uow:
        [pid] = await uow.catalog.search_ids([word], 5)
    return pid


async def product_card(shop: RunningShop, chat: SimChat, word: str) -> dict[str, Any]:
    """The card of the product ``word`` finds, opened by its deep link."""
    await shop.send(chat, f"/start p_{await product_id(shop, word)}")
    card = chat.last_message()
    assert card is not None
    return card


def last_invoice(chat: SimChat) -> dict[str, Any]:
    message = chat.last_message()
    assert message is not None and "invoice" in message, message
    return message


async def orders_of(shop: RunningShop, user_id: int) -> list[OrderRow]:
    async with shop.uows.engine.connect() as conn:
        rows = await conn.execute(select(OrderRow).where(OrderRow.user_id == user_id))  # type: ignore[arg-type]
        return list(rows.all())  # type: ignore[arg-type]


#: The button of a flash sale of the demo konjac jelly at $2.99 (``schedule_sale``).
GRAB = "⚡ Grab it for $2.99"


async def schedule_sale(
    shop: RunningShop,
    *,
    units: int = 5,
    per_buyer: int = 1,
    starts_in: timedelta,
    lasting: timedelta = timedelta(hours=1),
) -> int:
    """A flash sale of the konjac jelly at $2.99, for ``lasting`` (an hour) from ``starts_in``;
    its id."""
    async with shop.uows() as uow:
        variant_id = await uow.catalog.variant_by_sku("KJ-10")
        assert variant_id is not None
        now = shop.now()
        sale = await flash_sales.schedule(
            uow,
            variant_id,
            Money(299, "USD"),
            units,
            per_buyer,
            now + starts_in,
            now + starts_in + lasting,
            now,
        )
        await uow.commit()
    return sale.id


async def sale_card(shop: RunningShop, chat: SimChat, sale_id: int) -> dict[str, Any]:
    """The flash sale's card, opened by its deep link."""
    await shop.send(chat, f"/start s_{sale_id}")
    card = chat.last_message()
    assert card is not None
    return card


def advance(shop: RunningShop, delta: timedelta) -> None:
    """Move the shop's clock (a ``ShopClock``) forward."""
    shop.storefront.clock.advance(delta)  # type: ignore[attr-defined]


def metric(text: str, name: str, **labels: str) -> float:
    """The value of one sample in Prometheus text."""
    for line in text.splitlines():
        if line.startswith("#") or not line.startswith(name):
            continue
        head, _, value = line.rpartition(" ")
        sample = head.split("{", 1)
        if sample[0] != name:
            continue
        found = (
            dict(part.split("=", 1) for part in sample[1].rstrip("}").split(",") if part)
            if len(sample) > 1
            else {}
        )
        if all(found.get(k) == json.dumps(v) for k, v in labels.items()):
            return float(value)
    return 0.0


def last_message(chat: SimChat) -> dict[str, Any]:
    """The bot's most recent message in ``chat`` (there must be one)."""
    message = chat.last_message()
    assert message is not None
    return message


def button_data(message: Mapping[str, Any], text: str) -> str:
    """The callback data of the inline button labelled ``text`` on ``message``."""
    for row in message["reply_markup"]["inline_keyboard"]:
        for button in row:
            if button["text"] == text:
                return str(button["callback_data"])
    raise AssertionError(f"no button {text!r} in {keyboard_texts(message)}")
