"""The local Stripe stand-in: an aiohttp server the real ``stripe`` SDK talks to over HTTP.

Point the SDK at it with ``stripe.StripeClient(key, base_addresses={"api": base_url},
http_client=stripe.AIOHTTPClient())``. It serves the v1 endpoints a shop needs (refunds, charges,
Checkout Sessions, PaymentIntent capture and cancel), answers errors in Stripe's shape and
status codes, honours ``Idempotency-Key`` the way Stripe does, records every request, sends
signed webhooks, and lets tests inject faults and play the buyer (``complete_session``) or
Telegram's Stripe provider (``register_charge``).
"""

from __future__ import annotations

import copy
import html
import logging
import re
import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import parse_qsl

from aiohttp import web

from bot.standin.json_types import JsonObject
from bot.standin.listener import LocalListener
from bot.standin.stripe_checkout import NO_PARAMS, CheckoutSessions
from bot.standin.stripe_gate import FaultPlan, IdempotencyStore, StripeRequest, check_api_key
from bot.standin.stripe_ledger import StripeLedger
from bot.standin.stripe_objects import StripeTemplates, new_id
from bot.standin.stripe_params import StripeApiError, check_known, parse_form
from bot.standin.stripe_webhooks import StripeDelivery, StripeWebhookSender, sign_payload

__all__ = ["StripeDelivery", "StripeRequest", "StripeStandIn", "sign_payload"]

DEFAULT_API_VERSION = "2026-10-28.endive"  # the version stripe-python 16.1 pins
_log = logging.getLogger(__name__)
Handler = Callable[[JsonObject, tuple[str, ...]], JsonObject]


class StripeStandIn(LocalListener):
    """A fake Stripe API (v1, test mode) on 127.0.0.1; use as ``async with``.

    ``base_url`` is for ``StripeClient(base_addresses={"api": base_url})``."""

    _name = "Stripe stand-in"
    _not_started_name = "Stripe stand-in"

    def __init__(
        self,
        api_key: str = "sk_test_standin",
        webhook_secret: str = "whsec_standin",
        fixtures_path: Path | None = None,
        *,
        webhook_url: str | None = None,
        api_version: str = DEFAULT_API_VERSION,
        clock: Callable[[], float] = time.time,
    ) -> None:
        super().__init__()
        self.api_key = api_key
        self.webhook_secret = webhook_secret
        self.webhook_url = webhook_url
        self.api_version = api_version
        self.templates = StripeTemplates(fixtures_path)
        self.ledger = StripeLedger(self.templates, clock)
        self.checkout = CheckoutSessions(self.ledger)
        self.events: list[JsonObject] = []
        self.requests: list[StripeRequest] = []
        self._sender = StripeWebhookSender(webhook_secret)
        self._faults = FaultPlan()
        self._idempotent = IdempotencyStore()
        self._routes = self._route_table()

    # Lifecycle --------------------------------------------------------------------------

    def _application(self) -> web.Application:
        app = web.Application()
        app.router.add_route("GET", "/pay/{session_id}", self._handle_pay_page)
        app.router.add_route("POST", "/pay/{session_id}", self._handle_pay)
        app.router.add_route("*", "/{tail:.*}", self._handle_api)
        return app

    def _started(self) -> None:
        """Nothing to prepare: the ledger and the webhook sender work from the start."""

    async def _stopping(self) -> None:
        """Finish (or cancel) webhook deliveries (``stop`` then closes the listener)."""
        await self._sender.close()

    # The other side: Telegram's Stripe provider, the buyer, faults ------------------------

    def register_charge(
        self, charge_id: str, amount: int, currency: str, *, payment_intent: str | None = None
    ) -> JsonObject:
        """Declare a captured charge made outside our API calls (Telegram Payments with the
        Stripe provider charges the buyer itself; refunds then go through our API)."""
        return copy.deepcopy(
            self.ledger.register_charge(charge_id, amount, currency, payment_intent=payment_intent)
        )

    def complete_session(self, session_id: str) -> JsonObject:
        """The buyer pays on the Checkout page: creates the PaymentIntent and its charge and
        sends ``checkout.session.completed``. Raises if the session is not open."""
        try:
            session = self.checkout.complete(session_id)
        finally:
            self._publish(None)
        return copy.deepcopy(session)

    def fail_next(
        self,
        path_prefix: str,
        status: int = 500,
        *,
        times: int = 1,
        error_type: str = "api_error",
        code: str | None = None,
        message: str | None = None,
        method: str | None = None,
        should_retry: bool | None = None,
    ) -> None:
        """Answer the next ``times`` requests whose path starts with ``path_prefix`` with an
        error; nothing is executed or stored for the idempotency key, so the SDK's retry with
        the same key then succeeds. ``should_retry`` sets Stripe's ``Stripe-Should-Retry``."""
        if times < 1:
            msg = f"times must be at least 1, not {times}"
            raise ValueError(msg)
        text = message or (
            "An unknown error occurred" if error_type == "api_error" else "Injected fault"
        )
        error = StripeApiError(status, text, error_type=error_type, code=code)
        self._faults.add(path_prefix, error, times=times, method=method, should_retry=should_retry)

    def decline_next_capture(self) -> None:
        """The next capture fails with a 402 ``card_declined`` card error."""
        self.ledger.declines_pending += 1

    # What happened ------------------------------------------------------------------------

    @property
    def charges(self) -> dict[str, JsonObject]:
        """Charges by id (live objects)."""
        return self.ledger.charges

    @property
    def refunds(self) -> dict[str, JsonObject]:
        """Refunds by id (live objects)."""
        return self.ledger.refunds

    @property
    def payment_intents(self) -> dict[str, JsonObject]:
        """PaymentIntents by id (live objects)."""
        return self.ledger.payment_intents

    @property
    def sessions(self) -> dict[str, JsonObject]:
        """Checkout Sessions by id (live objects)."""
        return self.checkout.sessions

    @property
    def deliveries(self) -> list[StripeDelivery]:
        """Webhook POSTs made so far (event id, type, url, HTTP status; 0 for no answer)."""
        return self._sender.deliveries

    def requests_to(self, path_prefix: str, method: str | None = None) -> list[StripeRequest]:
        """Recorded requests whose path starts with ``path_prefix``."""
        return [
            record
            for record in self.requests
            if record.path.startswith(path_prefix)
            and (method is None or record.method == method.upper())
        ]

    def events_of(self, event_type: str) -> list[JsonObject]:
        """Emitted events of one type, oldest first."""
        return [event for event in self.events if event["type"] == event_type]

    # Webhooks -----------------------------------------------------------------------------

    async def deliver(
        self,
        event: JsonObject,
        url: str | None = None,
        *,
        secret: str | None = None,
        timestamp: int | None = None,
    ) -> int:
        """POST an event now (a replay, a wrong ``secret``, an old ``timestamp``) to ``url`` or
        the webhook URL; returns the HTTP status and records the delivery."""
        target = url or self.webhook_url
        if target is None:
            msg = "no url given and no webhook_url set"
            raise ValueError(msg)
        return await self._sender.deliver(event, target, secret=secret, timestamp=timestamp)

    async def wait_deliveries(self) -> None:
        """Until every background webhook delivery has been answered (or failed)."""
        await self._sender.wait()

    def _publish(self, request: StripeRequest | None) -> None:
        pending, self.ledger.outbox = self.ledger.outbox, []
        for item in pending:
            event = self.templates.event(
                item.type,
                item.data_object,
                created=self.ledger.now(),
                api_version=self.api_version,
                request_id=request.request_id if request else None,
                idempotency_key=request.idempotency_key if request else None,
                pending_webhooks=1 if self.webhook_url else 0,
                previous_attributes=item.previous_attributes,
            )
            self.events.append(event)
            if self.webhook_url:
                self._sender.schedule(event, self.webhook_url)

    # HTTP ---------------------------------------------------------------------------------

    def _route_table(self) -> list[tuple[str, re.Pattern[str], Handler]]:
        ledger, checkout = self.ledger, self.checkout

        def fetch(find: Callable[[str], JsonObject]) -> Handler:
            def handler(params: JsonObject, ids: tuple[str, ...]) -> JsonObject:
                check_known(params, NO_PARAMS)
                return find(ids[0])

            return handler

        routes: list[tuple[str, str, Handler]] = [
            ("POST", r"/v1/refunds", lambda p, _: ledger.create_refund(p)),
            ("GET", r"/v1/refunds/([^/]+)", fetch(lambda i: ledger.find("refund", i))),
            ("GET", r"/v1/charges/([^/]+)", fetch(lambda i: ledger.find("charge", i))),
            ("POST", r"/v1/checkout/sessions", lambda p, _: checkout.create(p, self.base_url)),
            ("GET", r"/v1/checkout/sessions/([^/]+)", fetch(checkout.find)),
            (
                "POST",
                r"/v1/checkout/sessions/([^/]+)/expire",
                lambda p, i: checkout.expire(i[0], p),
            ),
            ("POST", r"/v1/payment_intents", lambda p, _: ledger.create_intent(p)),
            (
                "GET",
                r"/v1/payment_intents/([^/]+)",
                fetch(lambda i: ledger.find("payment_intent", i)),
            ),
            ("POST", r"/v1/payment_intents/([^/]+)/capture", lambda p, i: ledger.capture(i[0], p)),
            ("POST", r"/v1/payment_intents/([^/]+)/cancel", lambda p, i: ledger.cancel(i[0], p)),
        ]
        return [(method, re.compile(pattern), handler) for method, pattern, handler in routes]

    async def _handle_api(self, request: web.Request) -> web.Response:
        raw = request.query_string if request.method in ("GET", "DELETE") else await request.text()
        record = StripeRequest(
            method=request.method,
            path=request.path,
            params={},
            idempotency_key=request.headers.get("Idempotency-Key"),
            stripe_version=request.headers.get("Stripe-Version"),
            request_id=new_id("req"),
        )
        self.requests.append(record)
        headers = {
            "Request-Id": record.request_id,
            "Stripe-Version": record.stripe_version or self.api_version,
        }
        if record.idempotency_key:
            headers["Idempotency-Key"] = record.idempotency_key
        try:
            record.params = parse_form(parse_qsl(raw, keep_blank_values=True))
            status, body = self._answer(record, request.headers.get("Authorization", ""), headers)
        except StripeApiError as error:
            status, body = error.status, error.body()
            self.ledger.outbox.clear()
        record.status = status
        return web.json_response(body, status=status, headers=headers)

    def _answer(
        self, record: StripeRequest, authorization: str, headers: dict[str, str]
    ) -> tuple[int, JsonObject]:
        self._faults.take(record, headers)
        check_api_key(authorization, self.api_key)
        handler, ids = self._route(record)
        replayed = self._idempotent.replay(record, headers)
        if replayed is not None:
            return replayed
        self.checkout.expire_due()
        self._publish(None)
        try:
            status, body = 200, copy.deepcopy(handler(record.params, ids))
        except StripeApiError as error:
            if error.status != 402:  # a card decline executed; a validation error did not
                raise
            status, body = error.status, error.body()
        self._publish(record)
        self._idempotent.store(record, status, body)
        return status, body

    def _route(self, record: StripeRequest) -> tuple[Handler, tuple[str, ...]]:
        for method, pattern, handler in self._routes:
            match = pattern.fullmatch(record.path)
            if match and method == record.method:
                return handler, match.groups()
        raise StripeApiError(
            404,
            f"Unrecognized request URL ({record.method}: {record.path}). Please see "
            "https://stripe.com/docs or we can help at https://support.stripe.com/.",
        )

    # The Checkout page (so a session's url leads somewhere in the sandbox) -----------------

    async def _handle_pay_page(self, request: web.Request) -> web.Response:
        session = self.checkout.sessions.get(request.match_info["session_id"])
        if session is None:
            return web.Response(status=404, text="No such checkout session")
        amount = f"{session['amount_total']} {session['currency'].upper()} (minor units)"
        button = '<form method="post"><button>Pay</button></form>'
        page = (
            f"<h1>Stripe stand-in checkout</h1><p>{html.escape(session['id'])}: {amount}, "
            f"{html.escape(session['status'])}</p>{button if session['status'] == 'open' else ''}"
        )
        return web.Response(text=page, content_type="text/html")

    async def _handle_pay(self, request: web.Request) -> web.Response:
        session_id = request.match_info["session_id"]
        try:
            session = self.complete_session(session_id)
        except KeyError:
            return web.Response(status=404, text="No such checkout session")
        except ValueError as error:
            return web.Response(status=409, text=str(error))
        location = session.get("success_url") or f"{self.base_url}/pay/{session_id}"
        raise web.HTTPSeeOther(location=location.replace("{CHECKOUT_SESSION_ID}", session_id))
