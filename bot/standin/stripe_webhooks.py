"""Webhook delivery for the Stripe stand-in, signed the way Stripe signs.

Stripe POSTs each event as JSON to the endpoint with a ``Stripe-Signature`` header
``t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>" keyed with the endpoint's secret>``;
the SDK's ``stripe.Webhook.construct_event`` checks the HMAC and that ``t`` is within its
tolerance (300 seconds by default). The body must reach the handler byte for byte, so the
signature is computed over exactly the bytes sent. Stripe does not promise any order between
events; the stand-in sends them one at a time, in the order they happened, which keeps tests
deterministic.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import json
import logging
import time
from dataclasses import dataclass

import aiohttp

from bot.standin.json_types import JsonObject

SIGNATURE_HEADER = "Stripe-Signature"
USER_AGENT = "Stripe/1.0 (+https://stripe.com/docs/webhooks)"
_log = logging.getLogger(__name__)


def sign_payload(payload: bytes, secret: str, timestamp: int | None = None) -> str:
    """The ``Stripe-Signature`` header value for ``payload`` (now, unless ``timestamp``)."""
    stamp = int(time.time()) if timestamp is None else timestamp
    signed = f"{stamp}.".encode() + payload
    digest = hmac.new(secret.encode("utf-8"), signed, hashlib.sha256).hexdigest()
    return f"t={stamp},v1={digest}"


def encode_event(event: JsonObject) -> bytes:
    """The webhook body: the event as pretty-printed JSON, as Stripe sends it."""
    return json.dumps(event, indent=2).encode("utf-8")


@dataclass(frozen=True)
class StripeDelivery:
    """One webhook POST: which event, where, and the endpoint's HTTP status (0: no answer)."""

    event_id: str
    event_type: str
    url: str
    status: int
    error: str | None = None


class StripeWebhookSender:
    """Posts signed events, in the background for emitted events or directly for replays."""

    def __init__(self, secret: str, *, timeout: float = 5.0) -> None:
        self.secret = secret
        self.timeout = timeout
        self.deliveries: list[StripeDelivery] = []
        self._tasks: set[asyncio.Task[None]] = set()
        self._order = asyncio.Lock()
        self._session: aiohttp.ClientSession | None = None

    async def deliver(
        self,
        event: JsonObject,
        url: str,
        *,
        secret: str | None = None,
        timestamp: int | None = None,
    ) -> int:
        """POST one event now and return the endpoint's HTTP status (recorded either way)."""
        payload = encode_event(event)
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            "User-Agent": USER_AGENT,
            SIGNATURE_HEADER: sign_payload(payload, secret or self.secret, timestamp),
        }
        if self._session is None:
            self._session = aiohttp.ClientSession()
        try:
            async with self._session.post(
                url, data=payload, headers=headers, timeout=aiohttp.ClientTimeout(self.timeout)
            ) as response:
                await response.read()
                status = response.status
        except (aiohttp.ClientError, TimeoutError, OSError) as exc:
            self.deliveries.append(StripeDelivery(event["id"], event["type"], url, 0, repr(exc)))
            raise
        self.deliveries.append(StripeDelivery(event["id"], event["type"], url, status))
        return status

    def schedule(self, event: JsonObject, url: str) -> None:
        """Send an emitted event in a background task, after the events before it."""
        task = asyncio.get_running_loop().create_task(self._send_in_order(event, url))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _send_in_order(self, event: JsonObject, url: str) -> None:
        async with self._order:
            try:
                await self.deliver(event, url)
            except (aiohttp.ClientError, TimeoutError, OSError) as exc:
                _log.info("Stripe stand-in: webhook %s to %s failed: %r", event["id"], url, exc)

    @property
    def pending(self) -> int:
        """Deliveries scheduled and not finished yet."""
        return len(self._tasks)

    async def wait(self) -> None:
        """Until every scheduled delivery (including ones scheduled meanwhile) is done."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    async def close(self, grace: float = 2.0) -> None:
        """Let deliveries finish for ``grace`` seconds, cancel the rest, close the session."""
        if self._tasks:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.wait(), grace)
        for task in list(self._tasks):
            task.cancel()
        if self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)
        if self._session is not None:
            session, self._session = self._session, None
            await session.close()
