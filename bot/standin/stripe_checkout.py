"""Checkout Sessions for the Stripe stand-in: create, pay (the buyer's side), expire.

A session in ``payment`` mode is priced from ``line_items[i][price_data]`` and
``line_items[i][quantity]``; it is ``open`` until the buyer pays (``complete``, with a
PaymentIntent and a charge) or it expires (by ``expires_at`` or the expire endpoint). Stripe
creates the PaymentIntent only when the buyer pays, so an open session's ``payment_intent`` is
null; with ``payment_intent_data[capture_method]=manual`` the payment is only authorised and
the session's ``payment_status`` stays ``unpaid`` until the shop captures.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bot.standin.json_types import JsonObject
from bot.standin.stripe_ledger import CAPTURE_METHODS, StripeLedger
from bot.standin.stripe_objects import new_id
from bot.standin.stripe_params import (
    StripeApiError,
    check_known,
    get_currency,
    get_enum,
    get_int,
    get_metadata,
    get_str,
    missing,
    no_such,
    words,
)

# Top-level parameters of POST /v1/checkout/sessions (as typed in stripe-python 16).
SESSION_PARAMS = words(
    "adaptive_pricing after_expiration allow_promotion_codes allowed_payment_method_types "
    "automatic_tax billing_address_collection branding_settings cancel_url client_reference_id "
    "consent_collection currency custom_fields custom_text customer customer_account "
    "customer_creation customer_email customer_update discounts excluded_payment_method_types "
    "expires_at integration_identifier invoice_creation line_items locale managed_payments "
    "metadata mode name_collection optional_items origin_context payment_intent_data "
    "payment_method_collection payment_method_configuration payment_method_data "
    "payment_method_options payment_method_types permissions phone_number_collection "
    "redirect_on_completion return_url saved_payment_method_options setup_intent_data "
    "shipping_address_collection shipping_options submit_type subscription_data success_url "
    "tax_id_collection ui_mode wallet_options"
)
NO_PARAMS: frozenset[str] = frozenset()
SESSION_MIN_LIFETIME = 30 * 60
SESSION_MAX_LIFETIME = 24 * 60 * 60
CLOCK_SLACK = 60
MAX_LINE_ITEMS = 100


@dataclass(frozen=True)
class _PaymentTerms:
    """What a session says about the PaymentIntent it creates when the buyer pays."""

    capture_method: str
    metadata: dict[str, str]
    description: str | None


class CheckoutSessions:
    """Stripe Checkout's sessions, paying through the ledger's PaymentIntents and charges."""

    def __init__(self, ledger: StripeLedger) -> None:
        self.ledger = ledger
        self.sessions: dict[str, JsonObject] = {}
        self._terms: dict[str, _PaymentTerms] = {}

    def find(self, session_id: str) -> JsonObject:
        """The session, or Stripe's 404 ``No such checkout.session: 'cs_x'``."""
        session = self.sessions.get(session_id)
        if session is None:
            raise no_such("checkout.session", session_id)
        return session

    def create(self, params: JsonObject, base_url: str) -> JsonObject:
        """``POST /v1/checkout/sessions``; the page ``url`` points at the stand-in."""
        check_known(params, SESSION_PARAMS)
        mode = get_str(params, "mode", required=True)
        if mode != "payment":
            raise StripeApiError(
                400, f"The Stripe stand-in supports mode=payment only, not {mode}.", param="mode"
            )
        currency, total = _line_items_total(params.get("line_items"))
        now = self.ledger.now()
        expires_at = get_int(params, "expires_at")
        if expires_at is None:
            expires_at = now + SESSION_MAX_LIFETIME
        elif not (
            now + SESSION_MIN_LIFETIME - CLOCK_SLACK
            <= expires_at
            <= now + SESSION_MAX_LIFETIME + CLOCK_SLACK
        ):
            raise StripeApiError(
                400,
                "The `expires_at` timestamp must be between 30 minutes and 24 hours from "
                "Checkout Session creation.",
                param="expires_at",
            )
        intent_data = params.get("payment_intent_data") or {}
        if not isinstance(intent_data, dict):
            raise StripeApiError(
                400, "Invalid hash: payment_intent_data", param="payment_intent_data"
            )
        metadata = get_metadata(params)
        session_id = new_id("cs_test")
        self._terms[session_id] = _PaymentTerms(
            capture_method=get_enum(intent_data, "capture_method", CAPTURE_METHODS)
            or "automatic_async",
            # Stripe itself copies only payment_intent_data[metadata]; falling back to the
            # session's metadata keeps the order id on the PaymentIntent for simple shops.
            metadata=get_metadata(intent_data) or dict(metadata),
            description=get_str(intent_data, "description"),
        )
        fields: dict[str, Any] = {
            "amount_subtotal": total,
            "amount_total": total,
            "cancel_url": get_str(params, "cancel_url"),
            "client_reference_id": get_str(params, "client_reference_id"),
            "created": now,
            "currency": currency,
            "customer_email": get_str(params, "customer_email"),
            "expires_at": expires_at,
            "livemode": False,
            "metadata": metadata,
            "mode": mode,
            "success_url": get_str(params, "success_url"),
            "url": f"{base_url}/pay/{session_id}",
        }
        session = self.ledger.templates.checkout_session(session_id, fields)
        self.sessions[session_id] = session
        return session

    def expire_due(self) -> None:
        """Stripe expires an open session at its ``expires_at`` (and sends the event)."""
        now = self.ledger.now()
        for session in self.sessions.values():
            if session["status"] == "open" and session["expires_at"] <= now:
                self._expire(session)

    def expire(self, session_id: str, params: JsonObject) -> JsonObject:
        """``POST /v1/checkout/sessions/{id}/expire``: only an open session can be expired."""
        check_known(params, NO_PARAMS)
        session = self.find(session_id)
        if session["status"] != "open":
            raise StripeApiError(
                400,
                'Only Checkout Sessions with a status in ["open"] can be expired. This '
                f"Checkout Session has a status of `{session['status']}`.",
            )
        self._expire(session)
        return session

    def _expire(self, session: JsonObject) -> None:
        session.update(status="expired", url=None)
        self.ledger.emit("checkout.session.expired", session)

    def complete(self, session_id: str) -> JsonObject:
        """The buyer pays on Stripe's page; raises ``KeyError`` for an unknown session and
        ``ValueError`` for one that is no longer open (paid or expired)."""
        self.expire_due()
        session = self.sessions.get(session_id)
        if session is None:
            raise KeyError(session_id)
        if session["status"] != "open":
            msg = f"checkout session {session_id} is {session['status']}, not open"
            raise ValueError(msg)
        terms = self._terms[session_id]
        intent = self.ledger.record_payment(
            session["amount_total"],
            session["currency"],
            capture_method=terms.capture_method,
            metadata=terms.metadata,
            description=terms.description,
        )
        session.update(
            customer_details=self.ledger.templates.customer_details(),
            payment_intent=intent["id"],
            payment_status="unpaid" if terms.capture_method == "manual" else "paid",
            status="complete",
            url=None,
        )
        self.ledger.emit("checkout.session.completed", session)
        return session


def _line_items_total(items: Any) -> tuple[str, int]:
    """The one currency and the sum of ``unit_amount * quantity`` over the line items."""
    if items is None or items == "":
        raise missing("line_items")
    if not isinstance(items, list) or len(items) > MAX_LINE_ITEMS:
        raise StripeApiError(400, "Invalid array: line_items", param="line_items")
    currencies: set[str] = set()
    total = 0
    for index, item in enumerate(items):
        label = f"line_items[{index}]"
        if not isinstance(item, dict):
            raise StripeApiError(400, f"Invalid hash: {label}", param=label)
        if "price" in item:
            raise no_such("price", str(item["price"]), f"{label}[price]")
        price_data = item.get("price_data")
        if not isinstance(price_data, dict):
            raise StripeApiError(
                400,
                "You must specify either `price` or `price_data` in each line item.",
                param=label,
            )
        currencies.add(
            get_currency(price_data, "currency", label=f"{label}[price_data][currency]")
        )
        unit = get_int(
            price_data,
            "unit_amount",
            required=True,
            minimum=0,
            label=f"{label}[price_data][unit_amount]",
        )
        product = price_data.get("product_data")
        if price_data.get("product") is None and (
            not isinstance(product, dict) or not product.get("name")
        ):
            raise missing(f"{label}[price_data][product_data][name]")
        quantity = get_int(item, "quantity", required=True, minimum=1, label=f"{label}[quantity]")
        total += (unit or 0) * (quantity or 0)
    if len(currencies) != 1:
        raise StripeApiError(400, "All line items must use the same currency.", param="line_items")
    return currencies.pop(), total
