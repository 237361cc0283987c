"""Stripe objects for the local Stripe stand-in, built from Stripe's own example objects.

Every answer starts as a deep copy of the example object Stripe publishes for its type (from
``../shared/stripe-fixtures.json`` when the workspace has it, else the packaged subset
``stripe_fixtures.json``), so the SDK and the bot see every field they would see from Stripe;
only the fields that carry meaning (ids, amounts, currency, status, metadata, timestamps, links
between objects) are overwritten. Ids use Stripe's prefixes (``ch_``, ``re_``, ``pi_``,
``cs_test_``, ``evt_``) with random hex.
"""

from __future__ import annotations

import copy
import json
import secrets
from functools import lru_cache
from pathlib import Path
from typing import Any

from bot.standin.json_types import JsonObject

SHARED_FIXTURES = Path(__file__).resolve().parents[3] / "shared" / "stripe-fixtures.json"
PACKAGED_FIXTURES = Path(__file__).resolve().with_name("stripe_fixtures.json")
RESOURCE_TYPES = ("charge", "refund", "checkout.session", "payment_intent", "event")
_ID_HEX_BYTES = {"cs_test": 29, "req": 7}


def new_id(prefix: str) -> str:
    """A realistic id: Stripe's prefix plus random hex (``ch_9f2c...``)."""
    return f"{prefix}_{secrets.token_hex(_ID_HEX_BYTES.get(prefix, 12))}"


def default_fixtures_path() -> Path:
    """The shared file when it exists (it is the reference), else the packaged subset."""
    return SHARED_FIXTURES if SHARED_FIXTURES.is_file() else PACKAGED_FIXTURES


@lru_cache(maxsize=4)
def _load(path: Path) -> dict[str, JsonObject]:
    resources = json.loads(path.read_text(encoding="utf-8"))["resources"]
    missing = [name for name in RESOURCE_TYPES if name not in resources]
    if missing:
        msg = f"{path} lacks Stripe example objects: {', '.join(missing)}"
        raise ValueError(msg)
    return {name: resources[name] for name in RESOURCE_TYPES}


class StripeTemplates:
    """Stripe's example objects, copied afresh for every object the stand-in creates."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path or default_fixtures_path()
        self._resources = _load(self.path)

    def copy(self, resource: str) -> JsonObject:
        """A deep copy of the example object of one type (``"checkout.session"``, ...)."""
        return copy.deepcopy(self._resources[resource])

    def charge(
        self,
        charge_id: str,
        amount: int,
        currency: str,
        *,
        created: int,
        captured: bool,
        payment_intent: str | None,
        metadata: dict[str, str],
    ) -> JsonObject:
        """A successful card charge, captured or only authorised (``captured: false``)."""
        charge = self.copy("charge")
        charge.update(
            id=charge_id,
            amount=amount,
            amount_captured=amount if captured else 0,
            amount_refunded=0,
            captured=captured,
            balance_transaction=new_id("txn") if captured else None,
            created=created,
            currency=currency,
            description=None,
            metadata=dict(metadata),
            paid=True,
            payment_intent=payment_intent,
            payment_method=new_id("pm"),
            receipt_url=None,
            refunded=False,
            refunds={
                "object": "list",
                "data": [],
                "has_more": False,
                "url": f"/v1/charges/{charge_id}/refunds",
            },
            source=None,
            status="succeeded",
            transfer_data=None,
            outcome={
                "advice_code": None,
                "network_advice_code": None,
                "network_decline_code": None,
                "network_status": "approved_by_network",
                "reason": None,
                "risk_level": "normal",
                "seller_message": "Payment complete.",
                "type": "authorized",
            },
        )
        card = charge.get("payment_method_details", {}).get("card")
        if isinstance(card, dict):
            card["amount_authorized"] = amount
            card["overcapture"] = {"maximum_amount_capturable": amount, "status": "unavailable"}
        return charge

    def refund(
        self,
        charge: JsonObject,
        amount: int,
        *,
        created: int,
        reason: str | None,
        metadata: dict[str, str],
    ) -> JsonObject:
        """A card refund that went through at once (``status: succeeded``)."""
        refund = self.copy("refund")
        refund.update(
            id=new_id("re"),
            amount=amount,
            balance_transaction=new_id("txn"),
            charge=charge["id"],
            created=created,
            currency=charge["currency"],
            metadata=dict(metadata),
            payment_intent=charge.get("payment_intent"),
            payment_method=charge.get("payment_method"),
            reason=reason,
            status="succeeded",
        )
        return refund

    def payment_intent(
        self,
        amount: int,
        currency: str,
        *,
        created: int,
        capture_method: str,
        metadata: dict[str, str],
        description: str | None = None,
    ) -> JsonObject:
        """A PaymentIntent before payment (``requires_payment_method``); the ledger moves it."""
        intent = self.copy("payment_intent")
        intent_id = new_id("pi")
        intent.update(
            id=intent_id,
            amount=amount,
            amount_capturable=0,
            amount_received=0,
            automatic_payment_methods=None,
            canceled_at=None,
            cancellation_reason=None,
            capture_method=capture_method,
            client_secret=f"{intent_id}_secret_{secrets.token_hex(12)}",
            created=created,
            currency=currency,
            description=description,
            last_payment_error=None,
            latest_charge=None,
            metadata=dict(metadata),
            next_action=None,
            processing=None,
            status="requires_payment_method",
            transfer_data=None,
        )
        return intent

    def checkout_session(self, session_id: str, fields: dict[str, Any]) -> JsonObject:
        """An open Checkout Session; the example's sample totals and shipping are cleared."""
        session = self.copy("checkout.session")
        session.update(
            id=session_id,
            after_expiration=None,
            currency_conversion=None,
            customer_details=None,
            invoice_creation={"enabled": False, "invoice_data": None},
            payment_intent=None,
            payment_status="unpaid",
            shipping_address_collection=None,
            collected_information=None,
            shipping_cost=None,
            status="open",
            total_details={"amount_discount": 0, "amount_shipping": 0, "amount_tax": 0},
        )
        session.update(fields)
        return session

    def customer_details(self) -> Any:
        """The buyer's details Checkout collects on payment (the example's)."""
        return self.copy("checkout.session").get("customer_details")

    def event(
        self,
        event_type: str,
        data_object: JsonObject,
        *,
        created: int,
        api_version: str | None,
        request_id: str | None,
        idempotency_key: str | None,
        pending_webhooks: int,
        previous_attributes: JsonObject | None = None,
    ) -> JsonObject:
        """An event as Stripe sends it to webhooks: a snapshot of the object at that moment."""
        event = self.copy("event")
        data: JsonObject = {"object": copy.deepcopy(data_object)}
        if previous_attributes is not None:
            data["previous_attributes"] = previous_attributes
        event.update(
            id=new_id("evt"),
            api_version=api_version,
            created=created,
            data=data,
            livemode=False,
            pending_webhooks=pending_webhooks,
            request={"id": request_id, "idempotency_key": idempotency_key},
            type=event_type,
        )
        return event
