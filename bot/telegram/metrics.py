"""Prometheus metrics of one bot process, in a registry of its own (not the global one), so
that several shops can run in one process (tests) without sharing counters.

Served at ``GET /metrics`` by the webhook server (``bot.telegram.webhook``); long polling counts
into one too (``bot.telegram.inbox``).
"""

from __future__ import annotations

import logging
from typing import Any

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram
from prometheus_client.exposition import generate_latest

#: Seconds: most updates take milliseconds; a payment with a Stripe call takes longer.
_LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)


class ShopMetrics:
    content_type = CONTENT_TYPE_LATEST

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.updates = Counter(
            "storefront_updates",
            "Telegram updates, by type and outcome (ok; unavailable: the database was "
            "unreachable and Telegram will resend it; dropped: over its chat's rate, "
            "acknowledged unhandled; poison: can never be handled (malformed, refused by the "
            "framework, a bug), acknowledged and logged with its update_id)",
            ["type", "outcome"],
            registry=r,
        )
        self.latency = Histogram(
            "storefront_update_seconds",
            "Time from receiving an update to its replies delivered, by type",
            ["type"],
            buckets=_LATENCY_BUCKETS,
            registry=r,
        )
        self.flood_notices = Counter(
            "storefront_flood_notices",
            "Chats told to slow down (once per flood episode; their dropped updates are "
            'storefront_updates_total{outcome="dropped"})',
            registry=r,
        )
        self.refused = Counter(
            "storefront_webhook_refused",
            "Webhook requests refused (unauthorized, bad_request, too_large)",
            ["reason"],
            registry=r,
        )
        self.payments = Counter(
            "storefront_payments",
            "successful_payment updates handled, by currency",
            ["currency"],
            registry=r,
        )
        self.payment_amount = Counter(
            "storefront_payment_amount_minor",
            "Amount of the successful payments handled, in minor units (cents), by currency",
            ["currency"],
            registry=r,
        )
        self.refunds = Counter(
            "storefront_refunds",
            "Refund and capture attempts from the outbox, by method and outcome "
            "(sent, retrying, failed: for good, the merchant is told)",
            ["method", "outcome"],
            registry=r,
        )
        self.anomalies = Counter(
            "storefront_payment_anomalies",
            "Payment reports that made no sense and were capped or refused, by kind "
            "(over_refund: Stripe reported more refunded than the order had left)",
            ["kind"],
            registry=r,
        )
        self.broadcast = Counter(
            "storefront_broadcast_messages",
            "Messages the drop sender sent (each buyer's drop, and the merchant's progress "
            "message); rate() of it is the broadcast rate",
            registry=r,
        )
        self.errors = Counter(
            "storefront_errors",
            "Errors: lines logged at ERROR or above, by logger",
            ["logger"],
            registry=r,
        )
        self.poison = Counter(
            "storefront_poison_updates",
            "Updates that could never be handled (malformed, refused by the framework, failing "
            "again and again): marked done with their error and never tried again, by type",
            ["type"],
            registry=r,
        )
        self.replayed = Counter(
            "storefront_inbox_replayed",
            "Updates whose stored replies the polling inbox sent at start-up: their transaction "
            "had committed when the last process stopped; a duplicate for the person if the "
            "replies had reached Telegram already",
            registry=r,
        )

    def render(self) -> bytes:
        return generate_latest(self.registry)

    def payment(self, currency: str, amount: int) -> None:
        self.payments.labels(currency).inc()
        self.payment_amount.labels(currency).inc(amount)

    def refund(self, method: str, outcome: str) -> None:
        self.refunds.labels(method, outcome).inc()

    def anomaly(self, kind: str) -> None:
        self.anomalies.labels(kind).inc()

    def error_counter(self) -> logging.Handler:
        """A logging handler that counts ERROR lines (add it to the root logger)."""
        return _ErrorCounter(self)

    def counting(self, sender: Any) -> Any:
        """``sender`` (a ``Sender``), counting the messages it sends (the drop sender's)."""
        return _CountingSender(sender, self.broadcast)


class _ErrorCounter(logging.Handler):
    def __init__(self, metrics: ShopMetrics) -> None:
        super().__init__(logging.ERROR)
        self._errors = metrics.errors

    def emit(self, record: logging.LogRecord) -> None:
        self._errors.labels(record.name).inc()


class _CountingSender:
    def __init__(self, sender: Any, counter: Counter) -> None:
        self._sender = sender
        self._counter = counter

    async def send_text(self, *args: Any, **kwargs: Any) -> Any:
        sent = await self._sender.send_text(*args, **kwargs)
        self._counter.inc()
        return sent

    async def send_media(self, *args: Any, **kwargs: Any) -> Any:
        sent = await self._sender.send_media(*args, **kwargs)
        self._counter.inc()
        return sent

    def __getattr__(self, name: str) -> Any:
        return getattr(self._sender, name)
