"""The Stripe stand-in's money state: charges, refunds and PaymentIntents.

Each operation follows the Stripe rule a shop depends on: refunds never exceed what was
captured, a PaymentIntent is captured only from ``requires_capture`` and cancelled only before
it succeeds. Operations raise ``StripeApiError`` with Stripe's status, code and wording, and
queue the events Stripe would send in ``outbox``; the server turns those into event objects and
webhook deliveries. Checkout Sessions live in ``stripe_checkout`` and create their PaymentIntent
and charge here.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass

from bot.standin.json_types import JsonObject
from bot.standin.stripe_objects import StripeTemplates, new_id
from bot.standin.stripe_params import (
    StripeApiError,
    check_known,
    get_currency,
    get_enum,
    get_int,
    get_metadata,
    get_str,
    no_such,
    words,
)

# Top-level parameters of each endpoint in Stripe's API (as typed in stripe-python 16).
REFUND_PARAMS = words(
    "amount charge currency customer instructions_email metadata origin payment_intent reason "
    "refund_application_fee reverse_transfer"
)
INTENT_PARAMS = words(
    "amount currency capture_method confirm customer description metadata payment_method "
    "payment_method_types receipt_email statement_descriptor"
)
CAPTURE_PARAMS = words(
    "amount_details amount_to_capture application_fee_amount final_capture hooks metadata "
    "payment_details statement_descriptor statement_descriptor_suffix transfer_data"
)
CANCEL_PARAMS = frozenset({"cancellation_reason"})
REFUND_REASONS = ("duplicate", "fraudulent", "requested_by_customer")
CANCELLATION_REASONS = ("duplicate", "fraudulent", "requested_by_customer", "abandoned")
CAPTURE_METHODS = ("automatic", "automatic_async", "manual")
CANCELABLE = (
    "requires_payment_method",
    "requires_capture",
    "requires_confirmation",
    "requires_action",
    "processing",
)


@dataclass(frozen=True)
class PendingEvent:
    """An event Stripe would send: its type, the object, and what an update changed."""

    type: str
    data_object: JsonObject
    previous_attributes: JsonObject | None = None


class StripeLedger:
    """Stripe's objects by id, and the operations that move them."""

    def __init__(self, templates: StripeTemplates, clock: Callable[[], float]) -> None:
        self.templates = templates
        self.clock = clock
        self.charges: dict[str, JsonObject] = {}
        self.refunds: dict[str, JsonObject] = {}
        self.payment_intents: dict[str, JsonObject] = {}
        self.outbox: list[PendingEvent] = []
        self.declines_pending = 0

    def now(self) -> int:
        """Stripe's timestamps are whole Unix seconds."""
        return int(self.clock())

    def emit(self, event_type: str, obj: JsonObject, previous: JsonObject | None = None) -> None:
        self.outbox.append(PendingEvent(event_type, copy.deepcopy(obj), previous))

    def find(self, kind: str, object_id: str, param: str = "id") -> JsonObject:
        """The stored object, or Stripe's 404 ``No such charge: 'ch_x'``."""
        table = {
            "charge": self.charges,
            "refund": self.refunds,
            "payment_intent": self.payment_intents,
        }[kind]
        found = table.get(object_id)
        if found is None:
            raise no_such(kind, object_id, param)
        return found

    # Charges made elsewhere (Telegram Payments with the Stripe provider) ---------------------

    def register_charge(
        self, charge_id: str, amount: int, currency: str, *, payment_intent: str | None = None
    ) -> JsonObject:
        """A captured charge that exists because someone paid outside our API calls."""
        if charge_id in self.charges:
            msg = f"charge {charge_id} is already registered"
            raise ValueError(msg)
        charge = self.templates.charge(
            charge_id,
            amount,
            currency.lower(),
            created=self.now(),
            captured=True,
            payment_intent=payment_intent,
            metadata={},
        )
        self.charges[charge_id] = charge
        if payment_intent is not None and payment_intent not in self.payment_intents:
            intent = self.templates.payment_intent(
                amount,
                currency.lower(),
                created=self.now(),
                capture_method="automatic",
                metadata={},
            )
            intent.update(
                id=payment_intent,
                amount_received=amount,
                latest_charge=charge_id,
                payment_method=charge["payment_method"],
                status="succeeded",
            )
            self.payment_intents[payment_intent] = intent
        return charge

    def record_payment(
        self,
        amount: int,
        currency: str,
        *,
        capture_method: str,
        metadata: dict[str, str],
        description: str | None,
    ) -> JsonObject:
        """A buyer paid by card: a PaymentIntent and its charge, which is only authorised
        (``requires_capture``) when the capture method is ``manual``."""
        manual = capture_method == "manual"
        now = self.now()
        intent = self.templates.payment_intent(
            amount,
            currency,
            created=now,
            capture_method=capture_method,
            metadata=metadata,
            description=description,
        )
        charge = self.templates.charge(
            new_id("ch"),
            amount,
            currency,
            created=now,
            captured=not manual,
            payment_intent=intent["id"],
            metadata=metadata,
        )
        intent.update(
            amount_capturable=amount if manual else 0,
            amount_received=0 if manual else amount,
            latest_charge=charge["id"],
            payment_method=charge["payment_method"],
            status="requires_capture" if manual else "succeeded",
        )
        self.charges[charge["id"]] = charge
        self.payment_intents[intent["id"]] = intent
        return intent

    # Refunds -----------------------------------------------------------------------------

    def create_refund(self, params: JsonObject) -> JsonObject:
        """``POST /v1/refunds``: by ``charge`` or ``payment_intent``, the rest by default."""
        check_known(params, REFUND_PARAMS)
        charge_id = get_str(params, "charge")
        intent_id = get_str(params, "payment_intent")
        if charge_id is not None:
            charge = self.find("charge", charge_id, "charge")
        elif intent_id is not None:
            intent = self.find("payment_intent", intent_id, "payment_intent")
            if intent["latest_charge"] is None:
                raise StripeApiError(
                    400,
                    f"This PaymentIntent ({intent_id}) does not have a successful charge to "
                    "refund.",
                    code="charge_not_refundable",
                    param="payment_intent",
                )
            charge = self.charges[intent["latest_charge"]]
        else:
            raise StripeApiError(
                400,
                "One of the following params should be provided for this request: "
                "payment_intent or charge.",
            )
        if not charge["captured"]:
            raise StripeApiError(
                400,
                f"Charge {charge['id']} has not been captured; cancel its PaymentIntent to "
                "release the authorization.",
                code="charge_not_refundable",
            )
        left = charge["amount"] - charge["amount_refunded"]
        if left <= 0:
            raise StripeApiError(
                400,
                f"Charge {charge['id']} has already been refunded.",
                code="charge_already_refunded",
            )
        amount = get_int(params, "amount", minimum=1)
        if amount is None:
            amount = left
        elif amount > left:
            raise StripeApiError(
                400,
                f"Refund amount ({amount}) is greater than unrefunded amount on charge ({left})",
                code="amount_too_large",
                param="amount",
            )
        reason = get_enum(params, "reason", REFUND_REASONS)
        refund = self.templates.refund(
            charge, amount, created=self.now(), reason=reason, metadata=get_metadata(params)
        )
        previous = {"amount_refunded": charge["amount_refunded"], "refunded": charge["refunded"]}
        charge["amount_refunded"] += amount
        charge["refunded"] = charge["amount_refunded"] >= charge["amount"]
        charge["refunds"]["data"].insert(0, copy.deepcopy(refund))
        self.refunds[refund["id"]] = refund
        self.emit("charge.refunded", charge, previous)
        self.emit("refund.created", refund)
        return refund

    # PaymentIntents ----------------------------------------------------------------------

    def create_intent(self, params: JsonObject) -> JsonObject:
        """``POST /v1/payment_intents`` (unconfirmed: ``requires_payment_method``)."""
        check_known(params, INTENT_PARAMS)
        amount = get_int(params, "amount", required=True, minimum=1) or 0
        intent = self.templates.payment_intent(
            amount,
            get_currency(params, "currency"),
            created=self.now(),
            capture_method=get_enum(params, "capture_method", CAPTURE_METHODS)
            or "automatic_async",
            metadata=get_metadata(params),
            description=get_str(params, "description"),
        )
        self.payment_intents[intent["id"]] = intent
        self.emit("payment_intent.created", intent)
        return intent

    def capture(self, intent_id: str, params: JsonObject) -> JsonObject:
        """``POST /v1/payment_intents/{id}/capture``; the uncaptured rest is released."""
        check_known(params, CAPTURE_PARAMS)
        intent = self.find("payment_intent", intent_id)
        if intent["status"] != "requires_capture":
            raise StripeApiError(
                400,
                "This PaymentIntent could not be captured because it has a status of "
                f"{intent['status']}. Only a PaymentIntent with one of the following statuses "
                "may be captured: requires_capture.",
                code="payment_intent_unexpected_state",
                extra={"payment_intent": copy.deepcopy(intent)},
            )
        capturable = intent["amount_capturable"]
        amount = get_int(params, "amount_to_capture", minimum=1)
        amount = capturable if amount is None else amount
        if amount > capturable:
            raise StripeApiError(
                400,
                f"The amount to capture ({amount}) is greater than the amount capturable "
                f"({capturable}).",
                code="amount_too_large",
                param="amount_to_capture",
            )
        charge = self.charges[intent["latest_charge"]]
        if self.declines_pending > 0:
            self.declines_pending -= 1
            raise StripeApiError(
                402,
                "Your card was declined.",
                error_type="card_error",
                code="card_declined",
                extra={
                    "decline_code": "generic_decline",
                    "charge": charge["id"],
                    "payment_intent": copy.deepcopy(intent),
                },
            )
        charge.update(
            amount_captured=amount,
            amount_refunded=charge["amount"] - amount,
            balance_transaction=new_id("txn"),
            captured=True,
        )
        intent["metadata"].update(get_metadata(params))
        intent.update(amount_capturable=0, amount_received=amount, status="succeeded")
        self.emit("payment_intent.succeeded", intent)
        return intent

    def cancel(self, intent_id: str, params: JsonObject) -> JsonObject:
        """``POST /v1/payment_intents/{id}/cancel``: releases an authorization; a succeeded or
        already cancelled PaymentIntent cannot be cancelled."""
        check_known(params, CANCEL_PARAMS)
        intent = self.find("payment_intent", intent_id)
        reason = get_enum(params, "cancellation_reason", CANCELLATION_REASONS)
        if intent["status"] not in CANCELABLE:
            raise StripeApiError(
                400,
                "You cannot cancel this PaymentIntent because it has a status of "
                f"{intent['status']}. Only a PaymentIntent with one of the following statuses "
                f"may be canceled: {', '.join(CANCELABLE)}.",
                code="payment_intent_unexpected_state",
                extra={"payment_intent": copy.deepcopy(intent)},
            )
        charge = self.charges.get(intent["latest_charge"] or "")
        if charge is not None and not charge["captured"]:
            charge.update(amount_refunded=charge["amount"], refunded=True)
        intent.update(
            amount_capturable=0,
            canceled_at=self.now(),
            cancellation_reason=reason,
            status="canceled",
        )
        self.emit("payment_intent.canceled", intent)
        return intent
