"""Telegram Payments as the bot sees them: invoice, shipping query, pre-checkout, payment.

The flow Telegram runs, reproduced step by step so checkout code is tested end to end:
sendInvoice -> (a person pays) -> ``shipping_query`` for flexible invoices, answered with
options -> ``pre_checkout_query``, answered ok within 10 s -> a ``message`` carrying
``successful_payment``. Star payments (currency XTR) take no provider token and can be refunded
once with refundStarPayment, which also sends a ``refunded_payment`` service message.
"""

from __future__ import annotations

import re
import secrets

from bot.standin.chat_store import ChatRecord
from bot.standin.errors import bad_request
from bot.standin.message_content import markup_fields, reply_fields
from bot.standin.param_values import opt_bool, opt_int, opt_list, opt_str, req_str
from bot.standin.query_methods import take_query
from bot.standin.state import Charge, Handler, InvoiceRecord, PaymentAttempt, StandInState

STARS = "XTR"
_CURRENCY = re.compile(r"[A-Z]{3}")


def _prices(params: dict[str, object], name: str = "prices") -> list[dict[str, object]]:
    prices = opt_list(params, name) or []
    checked: list[dict[str, object]] = []
    for item in prices:
        if not isinstance(item, dict) or not isinstance(item.get("label"), str):
            raise bad_request(f"can't parse {name} JSON object")
        amount = item.get("amount")
        if not isinstance(amount, int) or isinstance(amount, bool):
            raise bad_request(f"can't parse {name} JSON object")
        checked.append({"label": item["label"], "amount": amount})
    return checked


def _invoice_fields(
    params: dict[str, object],
) -> tuple[dict[str, object], list[dict[str, object]]]:
    """Validate what sendInvoice and createInvoiceLink share; return Invoice and prices."""
    title = req_str(params, "title")
    description = req_str(params, "description")
    payload = req_str(params, "payload")
    currency = req_str(params, "currency")
    if not 1 <= len(title) <= 32:
        raise bad_request("TITLE_INVALID")
    if not 1 <= len(description) <= 255:
        raise bad_request("DESCRIPTION_INVALID")
    if not 1 <= len(payload.encode("utf-8")) <= 128:
        raise bad_request("INVOICE_PAYLOAD_INVALID")
    if not _CURRENCY.fullmatch(currency):
        raise bad_request("CURRENCY_INVALID")
    prices = _prices(params)
    if not prices:
        raise bad_request("can't parse prices JSON object")
    provider_token = opt_str(params, "provider_token") or ""
    if currency == STARS:
        if len(prices) != 1:
            raise bad_request("invoices in Telegram Stars must have exactly one price")
        if provider_token:
            raise bad_request("PAYMENT_PROVIDER_INVALID")
    elif not provider_token:
        raise bad_request("PAYMENT_PROVIDER_INVALID")
    total = sum(int(str(price["amount"])) for price in prices)
    if total <= 0:
        raise bad_request("TOTAL_AMOUNT_INVALID")
    invoice = {
        "title": title,
        "description": description,
        "start_parameter": opt_str(params, "start_parameter") or "",
        "currency": currency,
        "total_amount": total,
    }
    return invoice, prices


def send_invoice(state: StandInState, params: dict[str, object]) -> object:
    """sendInvoice: a message with an ``invoice``; remembered for simulated payments."""
    record = state.chats.resolve(params.get("chat_id"))
    invoice, prices = _invoice_fields(params)
    content = {**reply_fields(record, params), "invoice": invoice, **markup_fields(params)}
    stored = state.send_as_bot(record, content)
    state.invoices[(record.chat_id, stored.message_id)] = InvoiceRecord(
        chat_id=record.chat_id,
        message_id=stored.message_id,
        title=str(invoice["title"]),
        payload=req_str(params, "payload"),
        currency=str(invoice["currency"]),
        prices=prices,
        total_amount=int(str(invoice["total_amount"])),
        is_flexible=opt_bool(params, "is_flexible"),
        need_shipping_address=opt_bool(params, "need_shipping_address"),
    )
    return stored.message


def create_invoice_link(state: StandInState, params: dict[str, object]) -> object:
    """createInvoiceLink: same checks as sendInvoice, answered with a t.me link."""
    _invoice_fields(params)
    return f"https://t.me/$standin{secrets.token_urlsafe(12)}"


def start_payment(
    state: StandInState,
    record: ChatRecord,
    invoice: InvoiceRecord,
    user: dict[str, object],
    *,
    order_info: dict[str, object] | None = None,
    shipping_option_id: str | None = None,
) -> dict[str, object]:
    """A person pressed Pay: queue a shipping query (flexible invoices) or the pre-checkout."""
    attempt = PaymentAttempt(invoice, user, invoice.total_amount, order_info, shipping_option_id)
    if invoice.is_flexible:
        address = (order_info or {}).get("shipping_address") or {
            "country_code": "GB",
            "state": "",
            "city": "London",
            "street_line1": "1 High St",
            "street_line2": "",
            "post_code": "N1 1AA",
        }
        query = state.new_query("shipping_query", user, chat_id=record.chat_id, payment=attempt)
        return state.updates.push(
            {
                "shipping_query": {
                    "id": query.query_id,
                    "from": user,
                    "invoice_payload": invoice.payload,
                    "shipping_address": address,
                }
            }
        )
    return _queue_pre_checkout(state, record.chat_id, attempt)


def _queue_pre_checkout(
    state: StandInState, chat_id: int, attempt: PaymentAttempt
) -> dict[str, object]:
    query = state.new_query("pre_checkout_query", attempt.user, chat_id=chat_id, payment=attempt)
    body: dict[str, object] = {
        "id": query.query_id,
        "from": attempt.user,
        "currency": attempt.invoice.currency,
        "total_amount": attempt.total_amount,
        "invoice_payload": attempt.invoice.payload,
    }
    if attempt.shipping_option_id is not None:
        body["shipping_option_id"] = attempt.shipping_option_id
    if attempt.order_info:
        body["order_info"] = attempt.order_info
    return state.updates.push({"pre_checkout_query": body})


def answer_shipping_query(state: StandInState, params: dict[str, object]) -> object:
    """answerShippingQuery: ok with options moves on to the pre-checkout query."""
    ok = opt_bool(params, "ok")
    options = opt_list(params, "shipping_options") or []
    if ok and not options:
        raise bad_request("SHIPPING_OPTIONS_EMPTY")
    if not ok and not opt_str(params, "error_message"):
        raise bad_request("error_message is required when ok is false")
    checked = [o for o in options if isinstance(o, dict) and isinstance(o.get("id"), str)]
    if len(checked) != len(options):
        raise bad_request("can't parse ShippingOption JSON object")
    for option in checked:
        _prices(option)
    record = take_query(state, req_str(params, "shipping_query_id"), "shipping_query")
    record.answer = dict(params)
    attempt = record.payment
    if ok and attempt is not None and record.chat_id is not None:
        wanted = attempt.shipping_option_id
        chosen = next((o for o in checked if o["id"] == wanted), checked[0])
        attempt.shipping_option_id = str(chosen["id"])
        attempt.total_amount += sum(int(str(p["amount"])) for p in _prices(chosen))
        _queue_pre_checkout(state, record.chat_id, attempt)
    return True


def answer_pre_checkout_query(state: StandInState, params: dict[str, object]) -> object:
    """answerPreCheckoutQuery: ok completes the payment with a ``successful_payment``."""
    ok = opt_bool(params, "ok")
    if not ok and not opt_str(params, "error_message"):
        raise bad_request("error_message is required when ok is false")
    record = take_query(state, req_str(params, "pre_checkout_query_id"), "pre_checkout_query")
    record.answer = dict(params)
    attempt = record.payment
    if not ok or attempt is None or record.chat_id is None:
        return True
    chat = state.chats.get(record.chat_id)
    if chat is None:
        return True
    stars = attempt.invoice.currency == STARS
    charge_id = ("stxpay_" if stars else "tgpay_") + secrets.token_hex(16)
    provider_charge = "" if stars else "ch_" + secrets.token_hex(12)
    payment: dict[str, object] = {
        "currency": attempt.invoice.currency,
        "total_amount": attempt.total_amount,
        "invoice_payload": attempt.invoice.payload,
        "telegram_payment_charge_id": charge_id,
        "provider_payment_charge_id": provider_charge,
    }
    for listener in state.provider_charge_listeners if provider_charge else ():
        listener(provider_charge, attempt.total_amount, attempt.invoice.currency)
    if attempt.shipping_option_id is not None:
        payment["shipping_option_id"] = attempt.shipping_option_id
    if attempt.order_info:
        payment["order_info"] = attempt.order_info
    user_id = int(str(attempt.user["id"]))
    state.charges[charge_id] = Charge(
        charge_id,
        user_id,
        attempt.invoice.currency,
        attempt.total_amount,
        attempt.invoice.payload,
        chat.chat_id,
    )
    message = state.chats.store(
        chat, {"successful_payment": payment}, sender=attempt.user, from_bot=False
    )
    state.updates.push({"message": message.message})
    return True


def refund_star_payment(state: StandInState, params: dict[str, object]) -> object:
    """refundStarPayment: once per Star charge, by the user who paid."""
    charge = state.charges.get(req_str(params, "telegram_payment_charge_id"))
    if charge is None or charge.user_id != opt_int(params, "user_id") or charge.currency != STARS:
        raise bad_request("CHARGE_NOT_FOUND")
    if charge.refunded:
        raise bad_request("CHARGE_ALREADY_REFUNDED")
    charge.refunded = True
    chat = state.chats.get(charge.chat_id)
    user = state.users.get(charge.user_id)
    if chat is not None and user is not None:
        refunded = {
            "currency": charge.currency,
            "total_amount": charge.total_amount,
            "invoice_payload": charge.invoice_payload,
            "telegram_payment_charge_id": charge.charge_id,
        }
        message = state.chats.store(
            chat, {"refunded_payment": refunded}, sender=user, from_bot=False
        )
        state.updates.push({"message": message.message})
    return True


HANDLERS: dict[str, Handler] = {
    "sendInvoice": send_invoice,
    "createInvoiceLink": create_invoice_link,
    "answerShippingQuery": answer_shipping_query,
    "answerPreCheckoutQuery": answer_pre_checkout_query,
    "refundStarPayment": refund_star_payment,
}
