"""The payment gateways the use cases need: card payments through Stripe, Telegram Stars.

``bot.payments`` implements the card side with the Stripe SDK; the Stars side is a Bot API call
(``refundStarPayment``) that the Telegram adapter implements with the running bot.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from bot.domain.money import Money


class PaymentError(Exception):
    """A gateway refused or failed. ``retryable`` says whether trying again later may work
    (network, 5xx, rate limits) or not (no such charge, already refunded)."""

    def __init__(self, message: str, *, retryable: bool, code: str | None = None) -> None:
        super().__init__(message)
        self.retryable = retryable
        self.code = code


@dataclass(frozen=True, slots=True)
class CheckoutLink:
    session_id: str
    url: str


@dataclass(frozen=True, slots=True)
class LinkItem:
    name: str
    unit_amount: int
    quantity: int


class CardGateway(Protocol):
    async def refund(
        self, *, charge_id: str | None, payment_intent: str | None, amount: Money, key: str
    ) -> str:
        """Refund ``amount`` of a charge (or payment intent); Stripe's refund id."""
        ...

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
    ) -> CheckoutLink: ...

    async def capture(self, payment_intent: str, *, key: str) -> None: ...
    async def cancel_authorization(self, payment_intent: str, *, key: str) -> None: ...


class StarsGateway(Protocol):
    async def refund_stars(self, user_id: int, telegram_charge_id: str) -> None: ...
