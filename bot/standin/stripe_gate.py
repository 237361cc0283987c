"""What the Stripe stand-in does before it executes a request: faults, API key, idempotency.

- Injected faults answer before anything runs, as an outage in front of Stripe would; nothing is
  stored for the idempotency key, so the SDK's retry with the same key succeeds.
- Stripe takes the secret key as Bearer auth (or as the Basic auth user name) and answers 401
  with an ``invalid_request_error`` (no ``code``) otherwise.
- Idempotency: Stripe stores the result of an executed POST under its ``Idempotency-Key`` and
  replays it for a retry with the same endpoint and parameters (header
  ``Idempotent-Replayed: true``); another endpoint or other parameters under the same key is a
  400 ``idempotency_error``. Requests that failed validation are not stored (a fixed retry may
  run), results that executed are, card declines (402) included.
"""

from __future__ import annotations

import base64
import copy
from dataclasses import dataclass

from bot.standin.json_types import JsonObject
from bot.standin.stripe_params import StripeApiError

NO_KEY = (
    "You did not provide an API key. You need to provide your API key in the Authorization "
    "header, using Bearer auth (e.g. 'Authorization: Bearer YOUR_SECRET_KEY'). See "
    "https://stripe.com/docs/api#authentication for details, or we can help at "
    "https://support.stripe.com/."
)


@dataclass
class StripeRequest:
    """One API request as the stand-in saw it; ``status`` is filled in once answered."""

    method: str
    path: str
    params: JsonObject
    idempotency_key: str | None
    stripe_version: str | None
    request_id: str
    status: int = 0
    replayed: bool = False


@dataclass
class _Fault:
    path_prefix: str
    method: str | None
    times: int
    error: StripeApiError
    should_retry: bool | None


class FaultPlan:
    """Errors to answer the next matching requests with, oldest plan first."""

    def __init__(self) -> None:
        self._faults: list[_Fault] = []

    def add(
        self,
        path_prefix: str,
        error: StripeApiError,
        *,
        times: int,
        method: str | None,
        should_retry: bool | None,
    ) -> None:
        """Fail the next ``times`` requests whose path starts with ``path_prefix``."""
        upper = method.upper() if method else None
        self._faults.append(_Fault(path_prefix, upper, times, error, should_retry))

    def take(self, record: StripeRequest, headers: dict[str, str]) -> None:
        """Raise the planned error for this request, if any (``Stripe-Should-Retry`` too)."""
        for fault in self._faults:
            if record.path.startswith(fault.path_prefix) and fault.method in (None, record.method):
                fault.times -= 1
                if fault.times <= 0:
                    self._faults.remove(fault)
                if fault.should_retry is not None:
                    headers["Stripe-Should-Retry"] = str(fault.should_retry).lower()
                raise fault.error


def check_api_key(authorization: str, api_key: str) -> None:
    """Accept ``Bearer <key>`` or Basic auth with the key as user name; 401 otherwise."""
    scheme, _, value = authorization.partition(" ")
    key: str | None = None
    if scheme.lower() == "bearer" and value:
        key = value.strip()
    elif scheme.lower() == "basic" and value:
        try:
            key = base64.b64decode(value).decode("utf-8").split(":", 1)[0]
        except ValueError:
            key = value
    if not key:
        raise StripeApiError(401, NO_KEY)
    if key != api_key:
        shown = f"{key[:8]}{'*' * max(len(key) - 12, 0)}{key[-4:]}"
        raise StripeApiError(401, f"Invalid API Key provided: {shown}")


@dataclass(frozen=True)
class _StoredResult:
    method: str
    path: str
    params: JsonObject
    status: int
    body: JsonObject
    request_id: str


class IdempotencyStore:
    """Results kept by idempotency key (Stripe keeps them 24 hours; the stand-in, forever)."""

    def __init__(self) -> None:
        self._results: dict[str, _StoredResult] = {}

    def replay(
        self, record: StripeRequest, headers: dict[str, str]
    ) -> tuple[int, JsonObject] | None:
        """The stored answer for a retried POST, or ``None`` when the key is new."""
        key = record.idempotency_key
        stored = self._results.get(key) if key and record.method == "POST" else None
        if stored is None:
            return None
        if (stored.method, stored.path) != (record.method, record.path):
            raise StripeApiError(
                400,
                "Keys for idempotent requests can only be used for the same endpoint they were "
                f"first used for ('{stored.method} {stored.path}' vs '{record.method} "
                f"{record.path}'). Try using a key other than '{key}' if you meant to execute a "
                "different request.",
                error_type="idempotency_error",
            )
        if stored.params != record.params:
            raise StripeApiError(
                400,
                "Keys for idempotent requests can only be used with the same parameters they "
                f"were first used with. Try using a key other than '{key}' if you meant to "
                "execute a different request.",
                error_type="idempotency_error",
            )
        record.replayed = True
        headers.update({"Idempotent-Replayed": "true", "Original-Request": stored.request_id})
        return stored.status, copy.deepcopy(stored.body)

    def store(self, record: StripeRequest, status: int, body: JsonObject) -> None:
        """Keep an executed POST's answer (a snapshot) under its key."""
        if record.idempotency_key and record.method == "POST":
            self._results[record.idempotency_key] = _StoredResult(
                record.method,
                record.path,
                copy.deepcopy(record.params),
                status,
                copy.deepcopy(body),
                record.request_id,
            )
