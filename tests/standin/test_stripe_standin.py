"""The Stripe stand-in, driven by the real ``stripe`` SDK (async, over HTTP).

Each test talks to a fresh stand-in through ``stripe.StripeClient`` with ``AIOHTTPClient``, the
way the bot does, and checks the Stripe behaviour the shop relies on: refund limits, idempotent
retries, Checkout with manual capture, Stripe's error classes and signed webhooks.
"""

from __future__ import annotations

import socket
import time
from collections.abc import AsyncIterator
from typing import Any

import pytest
import pytest_asyncio
import stripe
from aiohttp import web

from bot.standin.stripe_objects import PACKAGED_FIXTURES, SHARED_FIXTURES, default_fixtures_path
from bot.standin.stripe_params import parse_form
from bot.standin.stripe_standin import StripeStandIn, sign_payload

API_KEY = "sk_test_standin"
SECRET = "whsec_standin"


def _client(
    base_url: str, http_client: stripe.AIOHTTPClient, **kwargs: Any
) -> stripe.StripeClient:
    return stripe.StripeClient(
        kwargs.pop("api_key", API_KEY),
        base_addresses={"api": base_url},
        http_client=http_client,
        max_network_retries=kwargs.pop("max_network_retries", 0),
    )


@pytest_asyncio.fixture
async def stripe_standin() -> AsyncIterator[StripeStandIn]:
    async with StripeStandIn(api_key=API_KEY, webhook_secret=SECRET) as server:
        yield server


@pytest_asyncio.fixture
async def http_client() -> AsyncIterator[stripe.AIOHTTPClient]:
    """The SDK's aiohttp client; its session must be closed or aiohttp warns (an error here)."""
    client = stripe.AIOHTTPClient()
    try:
        yield client
    finally:
        await client.close_async()


@pytest.fixture
def client(
    stripe_standin: StripeStandIn, http_client: stripe.AIOHTTPClient
) -> stripe.StripeClient:
    return _client(stripe_standin.base_url, http_client)


class Receiver:
    """A webhook endpoint: keeps each raw body with its ``Stripe-Signature`` header."""

    def __init__(self) -> None:
        self.received: list[tuple[bytes, str]] = []
        self.url = ""

    async def handle(self, request: web.Request) -> web.Response:
        self.received.append((await request.read(), request.headers["Stripe-Signature"]))
        return web.Response(text="ok")


@pytest_asyncio.fixture
async def receiver() -> AsyncIterator[Receiver]:
    endpoint = Receiver()
    app = web.Application()
    app.router.add_post("/stripe", endpoint.handle)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    endpoint.url = f"http://127.0.0.1:{runner.addresses[0][1]}/stripe"
    try:
        yield endpoint
    finally:
        await runner.cleanup()


def _session_params(capture: str = "manual") -> Any:
    """Two EUR line items (2 x 500 + 1 x 250), an order id, manual capture unless told."""
    return {
        "mode": "payment",
        "line_items": [
            {
                "price_data": {
                    "currency": "EUR",
                    "unit_amount": 500,
                    "product_data": {"name": "Tee"},
                },
                "quantity": 2,
            },
            {
                "price_data": {
                    "currency": "eur",
                    "unit_amount": 250,
                    "product_data": {"name": "Socks"},
                },
                "quantity": 1,
            },
        ],
        "payment_intent_data": {"capture_method": capture},
        "success_url": "https://shop.example/ok",
        "cancel_url": "https://shop.example/cancel",
        "metadata": {"order_id": "42"},
        "client_reference_id": "order-42",
    }


# Fixtures and form encoding ------------------------------------------------------------------


def test_fixtures_come_from_the_shared_file_with_a_packaged_fallback() -> None:
    assert SHARED_FIXTURES.parts[-2:] == ("shared", "stripe-fixtures.json")
    assert PACKAGED_FIXTURES.is_file()
    expected = SHARED_FIXTURES if SHARED_FIXTURES.is_file() else PACKAGED_FIXTURES
    assert default_fixtures_path() == expected
    packaged = StripeStandIn(fixtures_path=PACKAGED_FIXTURES)
    charge = packaged.register_charge("ch_pack", 100, "USD")
    assert set(charge) == set(packaged.templates.copy("charge"))


def test_bracket_notation_nests_into_dicts_and_lists() -> None:
    params = parse_form(
        [
            ("metadata[order_id]", "1"),
            ("line_items[0][price_data][unit_amount]", "500"),
            ("line_items[0][quantity]", "2"),
            ("line_items[1][quantity]", "1"),
            ("expand[]", "charge"),
            ("expand[]", "payment_intent"),
            ("metadata[note]", ""),
        ]
    )
    assert params == {
        "metadata": {"order_id": "1", "note": ""},
        "line_items": [{"price_data": {"unit_amount": "500"}, "quantity": "2"}, {"quantity": "1"}],
        "expand": ["charge", "payment_intent"],
    }


# Refunds -------------------------------------------------------------------------------------


async def test_partial_then_full_refund_updates_the_charge(
    stripe_standin: StripeStandIn, client: stripe.StripeClient
) -> None:
    stripe_standin.register_charge("ch_tg_1", 1500, "EUR")
    refund = await client.v1.refunds.create_async(
        params={"charge": "ch_tg_1", "amount": 500, "metadata": {"order_id": "1"}},
        options={"idempotency_key": "refund-7"},
    )
    assert refund.id.startswith("re_")
    assert (refund.amount, refund.currency, refund.status) == (500, "eur", "succeeded")
    assert refund.metadata.to_dict() == {"order_id": "1"}
    charge = await client.v1.charges.retrieve_async("ch_tg_1")
    assert (charge.amount_refunded, charge.refunded) == (500, False)

    rest = await client.v1.refunds.create_async(params={"charge": "ch_tg_1"})
    assert rest.amount == 1000
    charge = await client.v1.charges.retrieve_async("ch_tg_1")
    assert (charge.amount_refunded, charge.refunded) == (1500, True)
    fetched = await client.v1.refunds.retrieve_async(refund.id)
    assert fetched.amount == 500

    with pytest.raises(stripe.InvalidRequestError) as error:
        await client.v1.refunds.create_async(params={"charge": "ch_tg_1"})
    assert error.value.code == "charge_already_refunded"
    assert [event["type"] for event in stripe_standin.events] == [
        "charge.refunded",
        "refund.created",
        "charge.refunded",
        "refund.created",
    ]
    first = stripe_standin.events[0]
    assert first["data"]["previous_attributes"] == {"amount_refunded": 0, "refunded": False}
    assert first["request"]["idempotency_key"] == "refund-7"
    seen = stripe_standin.requests_to("/v1/refunds", "POST")[0]
    assert seen.params == {"charge": "ch_tg_1", "amount": "500", "metadata": {"order_id": "1"}}
    assert seen.idempotency_key == "refund-7"
    assert seen.stripe_version  # the SDK pins its API version on every request


async def test_refund_by_payment_intent_and_over_refund(
    stripe_standin: StripeStandIn, client: stripe.StripeClient
) -> None:
    stripe_standin.register_charge("ch_tg_2", 1000, "usd", payment_intent="pi_tg_2")
    with pytest.raises(stripe.InvalidRequestError) as error:
        await client.v1.refunds.create_async(params={"payment_intent": "pi_tg_2", "amount": 1001})
    assert (error.value.http_status, error.value.code, error.value.param) == (
        400,
        "amount_too_large",
        "amount",
    )
    refund = await client.v1.refunds.create_async(params={"payment_intent": "pi_tg_2"})
    assert (refund.charge, refund.payment_intent, refund.amount) == ("ch_tg_2", "pi_tg_2", 1000)


async def test_unknown_charge_is_a_404(client: stripe.StripeClient) -> None:
    with pytest.raises(stripe.InvalidRequestError) as error:
        await client.v1.refunds.create_async(params={"charge": "ch_x"})
    assert error.value.http_status == 404
    assert error.value.code == "resource_missing"
    assert error.value.user_message == "No such charge: 'ch_x'"
    assert error.value.json_body["error"]["type"] == "invalid_request_error"


async def test_unknown_parameter_is_refused(
    stripe_standin: StripeStandIn, client: stripe.StripeClient
) -> None:
    stripe_standin.register_charge("ch_tg_3", 100, "usd")
    typo: Any = {"charge": "ch_tg_3", "amout": 5}
    with pytest.raises(stripe.InvalidRequestError) as error:
        await client.v1.refunds.create_async(params=typo)
    assert (error.value.code, error.value.param) == ("parameter_unknown", "amout")


# Idempotency ---------------------------------------------------------------------------------


async def test_same_idempotency_key_replays_the_first_refund(
    stripe_standin: StripeStandIn, client: stripe.StripeClient
) -> None:
    stripe_standin.register_charge("ch_tg_4", 1500, "eur")
    params: dict[str, Any] = {"charge": "ch_tg_4", "amount": 500}
    first = await client.v1.refunds.create_async(params=params, options={"idempotency_key": "k1"})
    again = await client.v1.refunds.create_async(params=params, options={"idempotency_key": "k1"})
    assert again.id == first.id
    assert again.last_response.headers["Idempotent-Replayed"] == "true"
    assert len(stripe_standin.refunds) == 1
    assert stripe_standin.charges["ch_tg_4"]["amount_refunded"] == 500
    assert len(stripe_standin.events) == 2
    assert [record.replayed for record in stripe_standin.requests] == [False, True]

    with pytest.raises(stripe.IdempotencyError):
        await client.v1.refunds.create_async(
            params={"charge": "ch_tg_4", "amount": 600}, options={"idempotency_key": "k1"}
        )
    assert len(stripe_standin.refunds) == 1


# Checkout, capture, cancel, expire -----------------------------------------------------------


async def test_checkout_session_complete_then_capture(
    stripe_standin: StripeStandIn, client: stripe.StripeClient
) -> None:
    session = await client.v1.checkout.sessions.create_async(params=_session_params())
    assert session.id.startswith("cs_test_")
    assert session.url == f"{stripe_standin.base_url}/pay/{session.id}"
    assert (session.status, session.payment_status, session.payment_intent) == (
        "open",
        "unpaid",
        None,
    )
    assert (session.amount_subtotal, session.amount_total, session.currency) == (1250, 1250, "eur")
    assert session.client_reference_id == "order-42"
    assert session.metadata.to_dict() == {"order_id": "42"}

    stripe_standin.complete_session(session.id)
    paid = await client.v1.checkout.sessions.retrieve_async(session.id)
    assert (paid.status, paid.payment_status) == ("complete", "unpaid")
    intent = await client.v1.payment_intents.retrieve_async(str(paid.payment_intent))
    assert (intent.status, intent.amount, intent.amount_capturable) == (
        "requires_capture",
        1250,
        1250,
    )
    assert intent.metadata.to_dict() == {"order_id": "42"}
    assert stripe_standin.charges[str(intent.latest_charge)]["captured"] is False

    captured = await client.v1.payment_intents.capture_async(
        intent.id, params={"amount_to_capture": 1000}
    )
    assert (captured.status, captured.amount_received) == ("succeeded", 1000)
    charge = await client.v1.charges.retrieve_async(str(captured.latest_charge))
    assert (charge.captured, charge.amount_captured, charge.amount_refunded) == (True, 1000, 250)
    assert [event["type"] for event in stripe_standin.events] == [
        "checkout.session.completed",
        "payment_intent.succeeded",
    ]
    with pytest.raises(stripe.InvalidRequestError) as error:
        await client.v1.payment_intents.capture_async(intent.id)
    assert error.value.code == "payment_intent_unexpected_state"


async def test_automatic_capture_pays_at_once_and_cannot_be_cancelled(
    stripe_standin: StripeStandIn, client: stripe.StripeClient
) -> None:
    session = await client.v1.checkout.sessions.create_async(
        params=_session_params(capture="automatic")
    )
    paid = stripe_standin.complete_session(session.id)
    assert paid["payment_status"] == "paid"
    intent = stripe_standin.payment_intents[paid["payment_intent"]]
    assert (intent["status"], intent["amount_received"]) == ("succeeded", 1250)
    with pytest.raises(stripe.InvalidRequestError) as error:
        await client.v1.payment_intents.cancel_async(intent["id"])
    assert error.value.code == "payment_intent_unexpected_state"
    with pytest.raises(ValueError, match="not open"):
        stripe_standin.complete_session(session.id)


async def test_cancel_releases_the_authorization(
    stripe_standin: StripeStandIn, client: stripe.StripeClient
) -> None:
    session = await client.v1.checkout.sessions.create_async(params=_session_params())
    intent_id = stripe_standin.complete_session(session.id)["payment_intent"]
    canceled = await client.v1.payment_intents.cancel_async(
        intent_id, params={"cancellation_reason": "abandoned"}
    )
    assert (canceled.status, canceled.cancellation_reason) == ("canceled", "abandoned")
    assert canceled.canceled_at is not None
    charge = stripe_standin.charges[str(canceled.latest_charge)]
    assert (charge["refunded"], charge["amount_refunded"]) == (True, 1250)
    assert stripe_standin.events[-1]["type"] == "payment_intent.canceled"
    with pytest.raises(stripe.InvalidRequestError):
        await client.v1.payment_intents.capture_async(intent_id)


async def test_expire_an_open_session_once(
    stripe_standin: StripeStandIn, client: stripe.StripeClient
) -> None:
    session = await client.v1.checkout.sessions.create_async(params=_session_params())
    expired = await client.v1.checkout.sessions.expire_async(session.id)
    assert (expired.status, expired.url) == ("expired", None)
    assert stripe_standin.events[-1]["type"] == "checkout.session.expired"
    with pytest.raises(stripe.InvalidRequestError, match="can be expired"):
        await client.v1.checkout.sessions.expire_async(session.id)
    with pytest.raises(ValueError, match="expired"):
        stripe_standin.complete_session(session.id)


async def test_declined_capture_is_a_card_error(
    stripe_standin: StripeStandIn, client: stripe.StripeClient
) -> None:
    session = await client.v1.checkout.sessions.create_async(params=_session_params())
    intent_id = stripe_standin.complete_session(session.id)["payment_intent"]
    stripe_standin.decline_next_capture()
    with pytest.raises(stripe.CardError) as error:
        await client.v1.payment_intents.capture_async(intent_id)
    assert (error.value.http_status, error.value.code) == (402, "card_declined")
    assert stripe_standin.payment_intents[intent_id]["status"] == "requires_capture"


# Authentication and faults -------------------------------------------------------------------


async def test_wrong_api_key_is_an_authentication_error(
    stripe_standin: StripeStandIn, http_client: stripe.AIOHTTPClient
) -> None:
    wrong = _client(stripe_standin.base_url, http_client, api_key="sk_test_wrong_key_1234")
    with pytest.raises(stripe.AuthenticationError) as error:
        await wrong.v1.charges.retrieve_async("ch_any")
    assert error.value.http_status == 401
    assert error.value.json_body["error"]["type"] == "invalid_request_error"


async def test_fail_next_answers_500_then_the_retry_succeeds(
    stripe_standin: StripeStandIn, client: stripe.StripeClient
) -> None:
    stripe_standin.register_charge("ch_tg_5", 800, "eur")
    stripe_standin.fail_next("/v1/refunds", 500)
    options: Any = {"idempotency_key": "refund-retry"}
    with pytest.raises(stripe.APIError) as error:
        await client.v1.refunds.create_async(params={"charge": "ch_tg_5"}, options=options)
    assert error.value.http_status == 500
    assert stripe_standin.refunds == {}
    refund = await client.v1.refunds.create_async(params={"charge": "ch_tg_5"}, options=options)
    assert refund.amount == 800
    assert [record.status for record in stripe_standin.requests] == [500, 200]


async def test_sdk_retries_a_500_with_the_same_idempotency_key(
    stripe_standin: StripeStandIn,
    http_client: stripe.AIOHTTPClient,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(http_client, "_sleep_time_seconds", lambda num_retries: 0.0)
    retrying = _client(stripe_standin.base_url, http_client, max_network_retries=2)
    stripe_standin.register_charge("ch_tg_6", 300, "eur")
    stripe_standin.fail_next("/v1/refunds", 503, times=2)
    refund = await retrying.v1.refunds.create_async(params={"charge": "ch_tg_6"})
    assert refund.amount == 300
    seen = stripe_standin.requests_to("/v1/refunds")
    assert [record.status for record in seen] == [503, 503, 200]
    assert len({record.idempotency_key for record in seen}) == 1


# Webhooks ------------------------------------------------------------------------------------


async def test_webhooks_are_signed_the_way_stripe_signs(
    stripe_standin: StripeStandIn, client: stripe.StripeClient, receiver: Receiver
) -> None:
    stripe_standin.webhook_url = receiver.url
    stripe_standin.register_charge("ch_tg_7", 1200, "eur")
    await client.v1.refunds.create_async(params={"charge": "ch_tg_7", "amount": 200})
    await stripe_standin.wait_deliveries()

    assert [delivery.status for delivery in stripe_standin.deliveries] == [200, 200]
    types = []
    for payload, signature in receiver.received:
        event = stripe.Webhook.construct_event(payload, signature, SECRET)
        types.append(event.type)
        assert event.livemode is False and event.pending_webhooks == 1
    assert types == ["charge.refunded", "refund.created"]
    charge_event = stripe.Webhook.construct_event(*receiver.received[0], SECRET)
    assert charge_event.data.object["amount_refunded"] == 200

    payload, signature = receiver.received[0]
    with pytest.raises(stripe.SignatureVerificationError):
        stripe.Webhook.construct_event(payload, signature, "whsec_wrong")

    event = stripe_standin.events[0]
    assert await stripe_standin.deliver(event, timestamp=int(time.time()) - 1000) == 200
    stale_payload, stale_signature = receiver.received[-1]
    with pytest.raises(stripe.SignatureVerificationError):
        stripe.Webhook.construct_event(stale_payload, stale_signature, SECRET)
    assert await stripe_standin.deliver(event, secret="whsec_other") == 200
    with pytest.raises(stripe.SignatureVerificationError):
        stripe.Webhook.construct_event(*receiver.received[-1], SECRET)
    assert len(stripe_standin.deliveries) == 4


def test_sign_payload_matches_the_sdk() -> None:
    payload = b'{"id": "evt_1", "object": "event"}'
    header = sign_payload(payload, SECRET, timestamp=1_700_000_000)
    expected = stripe.WebhookSignature._compute_signature(f"1700000000.{payload.decode()}", SECRET)
    assert header == f"t=1700000000,v1={expected}"


async def test_failed_deliveries_are_recorded(
    stripe_standin: StripeStandIn, client: stripe.StripeClient, receiver: Receiver
) -> None:
    stripe_standin.webhook_url = receiver.url.replace("/stripe", "/missing")
    session = await client.v1.checkout.sessions.create_async(params=_session_params())
    stripe_standin.complete_session(session.id)
    await stripe_standin.wait_deliveries()
    assert [delivery.status for delivery in stripe_standin.deliveries] == [404]
    with socket.socket() as probe:  # a port nobody listens on any more
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    stripe_standin.webhook_url = f"http://127.0.0.1:{port}/stripe"
    await client.v1.checkout.sessions.expire_async(
        (await client.v1.checkout.sessions.create_async(params=_session_params())).id
    )
    await stripe_standin.wait_deliveries()
    assert stripe_standin.deliveries[-1].status == 0
    assert stripe_standin.deliveries[-1].event_type == "checkout.session.expired"
