"""The card gateway on Stripe's SDK, async (its aiohttp client), pointed at ``STRIPE_API_BASE``
when set (the tests' local Stripe stand-in) and at Stripe otherwise.

Telegram Payments with the Stripe provider leaves a Stripe charge id in
``provider_payment_charge_id``; refunds go to that charge. Every call that moves money carries
an idempotency key derived from our own row ids, so a retry after a lost answer moves it once.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

import stripe

if TYPE_CHECKING:
    from stripe.params import RefundCreateParams
    from stripe.params.checkout import SessionCreateParams

from bot.domain.money import Money
from bot.services.payment_port import CheckoutLink, LinkItem, PaymentError

_RETRYABLE = (
    stripe.APIConnectionError,
    stripe.APIError,
    stripe.RateLimitError,
)


class StripeGateway:
    def __init__(self, api_key: str, api_base: str | None = None, *, retries: int = 2) -> None:
        self._http = stripe.AIOHTTPClient()
        addresses: Any = {"api": api_base.rstrip("/")} if api_base else {}
        self.client = stripe.StripeClient(
            api_key,
            base_addresses=addresses,
            http_client=self._http,
            max_network_retries=retries,
        )

    async def close(self) -> None:
        await self._http.close_async()  # type: ignore[no-untyped-call]  # untyped in the SDK

    async def _do(self, call: Any) -> Any:
        try:
            return await call
        except _RETRYABLE as exc:
            raise PaymentError(str(exc), retryable=True, code=exc.code) from exc
        except stripe.StripeError as exc:
            raise PaymentError(str(exc), retryable=False, code=exc.code) from exc

    async def refund(
        self, *, charge_id: str | None, payment_intent: str | None, amount: Money, key: str
    ) -> str:
        params: RefundCreateParams = {"amount": amount.amount}
        if charge_id:
            params["charge"] = charge_id
        elif payment_intent is not None:  # the SDK leaves a None out of the request anyway
            params["payment_intent"] = payment_intent
        refund = await self._do(
            self.client.v1.refunds.create_async(params=params, options={"idempotency_key": key})
        )
        return str(refund.id)

    async def create_checkout_link(
        self,
        *,
        order_id: int,
        currency: str,
        items: list[LinkItem],
        manual_capture: bool,
        expires_at: datetime,
        success_url: str,
        cancel_url: str,
        key: str,
    ) -> CheckoutLink:
        params: SessionCreateParams = {
            "mode": "payment",
            "line_items": [
                {
                    "price_data": {
                        "currency": currency.lower(),
                        "unit_amount": item.unit_amount,
                        "product_data": {"name": item.name},
                    },
                    "quantity": item.quantity,
                }
                for item in items
            ],
            "payment_intent_data": {
                "capture_method": "manual" if manual_capture else "automatic",
                "metadata": {"order_id": str(order_id)},
            },
            "metadata": {"order_id": str(order_id)},
            "client_reference_id": str(order_id),
            "expires_at": int(expires_at.timestamp()),
            "success_url": success_url,
            "cancel_url": cancel_url,
        }
        session = await self._do(
            self.client.v1.checkout.sessions.create_async(
                params=params, options={"idempotency_key": key}
            )
        )
        return CheckoutLink(str(session.id), str(session.url))

    async def capture(self, payment_intent: str, *, key: str) -> None:
        await self._do(
            self.client.v1.payment_intents.capture_async(
                payment_intent, options={"idempotency_key": key}
            )
        )

    async def cancel_authorization(self, payment_intent: str, *, key: str) -> None:
        await self._do(
            self.client.v1.payment_intents.cancel_async(
                payment_intent, options={"idempotency_key": key}
            )
        )
