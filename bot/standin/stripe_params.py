"""Stripe's v1 request parameters and error answers, for the local Stripe stand-in.

Stripe's v1 API takes ``application/x-www-form-urlencoded`` bodies (and query strings for GET)
whose keys use bracket notation for nesting: ``metadata[order_id]=1``,
``line_items[0][price_data][unit_amount]=500``, ``expand[]=charge``. Every value is a string;
the server converts and validates per parameter. An unknown parameter, a missing required one or
a value of the wrong type is a 400 ``invalid_request_error`` naming the ``param``; the SDK turns
that into ``stripe.InvalidRequestError``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from bot.standin.json_types import JsonObject

_SEGMENT = re.compile(r"\[([^\[\]]*)\]")
METADATA_MAX_KEYS = 50
METADATA_KEY_MAX = 40
METADATA_VALUE_MAX = 500


class StripeApiError(Exception):
    """An error answer in Stripe's shape: ``{"error": {"type", "code", "message", "param"}}``.

    ``code`` and ``param`` are left out of the body when Stripe has none for the error (a bad
    API key, a reused idempotency key), as the real API does.
    """

    def __init__(
        self,
        status: int,
        message: str,
        *,
        error_type: str = "invalid_request_error",
        code: str | None = None,
        param: str | None = None,
        extra: Mapping[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.error_type = error_type
        self.code = code
        self.param = param
        self.extra = dict(extra or {})

    def body(self) -> JsonObject:
        """The JSON body Stripe answers with."""
        error: JsonObject = {"type": self.error_type, "message": self.message}
        if self.code is not None:
            error["code"] = self.code
        if self.param is not None:
            error["param"] = self.param
        error.update(self.extra)
        return {"error": error}


def missing(param: str) -> StripeApiError:
    """Stripe's answer to a required parameter that was not sent."""
    return StripeApiError(
        400, f"Missing required param: {param}.", code="parameter_missing", param=param
    )


def no_such(kind: str, object_id: str, param: str = "id") -> StripeApiError:
    """Stripe's 404 for an unknown id: ``No such charge: 'ch_x'`` (code ``resource_missing``)."""
    return StripeApiError(
        404, f"No such {kind}: '{object_id}'", code="resource_missing", param=param
    )


def parse_form(pairs: Iterable[tuple[str, str]]) -> JsonObject:
    """Nest bracket-notation pairs the way Stripe reads them.

    ``a[b]=1`` gives ``{"a": {"b": "1"}}``; index keys (``items[0][x]``, exactly ``0..n-1``) and
    ``[]`` appends (``expand[]=x``) give lists. A key used both as a scalar and as a parent is a
    400.
    """
    root: JsonObject = {}
    for raw_key, value in pairs:
        head, _, rest = raw_key.partition("[")
        path = [head, *_SEGMENT.findall("[" + rest)] if rest else [head]
        node = root
        for depth, segment in enumerate(path[:-1]):
            key = segment if segment else str(len(node))
            child = node.setdefault(key, {})
            if not isinstance(child, dict):
                raise StripeApiError(
                    400, f"Invalid nesting for {'['.join(path[: depth + 1])}", param=head
                )
            node = child
        last = path[-1] if path[-1] else str(len(node))
        if isinstance(node.get(last), dict):
            raise StripeApiError(400, f"Invalid value for {raw_key}: expected a hash", param=head)
        node[last] = value
    listed = _lists_from_indexed(root)
    assert isinstance(listed, dict)
    return listed


def _lists_from_indexed(node: Any) -> Any:
    if not isinstance(node, dict):
        return node
    converted = {key: _lists_from_indexed(value) for key, value in node.items()}
    if converted and sorted(converted) == sorted(str(index) for index in range(len(converted))):
        return [converted[str(index)] for index in range(len(converted))]
    return converted


def words(text: str) -> frozenset[str]:
    """A set of parameter names written as one space-separated string."""
    return frozenset(text.split())


def check_known(params: Mapping[str, Any], allowed: frozenset[str]) -> None:
    """Stripe rejects a parameter it does not know (``parameter_unknown``); ``expand`` is
    accepted everywhere (and ignored here: the stand-in never expands)."""
    for name in params:
        if name not in allowed and name != "expand":
            raise StripeApiError(
                400, f"Received unknown parameter: {name}", code="parameter_unknown", param=name
            )


def get_str(
    params: Mapping[str, Any], name: str, *, required: bool = False, label: str | None = None
) -> str | None:
    """A string parameter (``None`` when absent, or an empty string meaning "unset");
    ``label`` is the full bracketed name reported as ``param`` for nested values."""
    value = params.get(name)
    if value is None or value == "":
        if required:
            raise missing(label or name)
        return None
    if not isinstance(value, str):
        raise StripeApiError(400, f"Invalid string: {label or name}", param=label or name)
    return value


def get_int(
    params: Mapping[str, Any],
    name: str,
    *,
    required: bool = False,
    minimum: int | None = None,
    label: str | None = None,
) -> int | None:
    """An integer parameter; Stripe answers ``Invalid integer: abc`` for anything else."""
    label = label or name
    text = get_str(params, name, required=required, label=label)
    if text is None:
        return None
    try:
        value = int(text)
    except ValueError:
        raise StripeApiError(
            400, f"Invalid integer: {text}", code="parameter_invalid_integer", param=label
        ) from None
    if minimum is not None and value < minimum:
        raise StripeApiError(
            400,
            f"This value must be greater than or equal to {minimum}.",
            code="parameter_invalid_integer",
            param=label,
        )
    return value


def get_enum(params: Mapping[str, Any], name: str, choices: tuple[str, ...]) -> str | None:
    """A parameter limited to a set of words, e.g. a refund's ``reason``."""
    value = get_str(params, name)
    if value is not None and value not in choices:
        options = ", ".join(choices[:-1]) + f", or {choices[-1]}"
        raise StripeApiError(400, f"Invalid {name}: must be one of {options}", param=name)
    return value


def get_metadata(params: Mapping[str, Any], name: str = "metadata") -> dict[str, str]:
    """Stripe's metadata: string values, at most 50 keys of up to 40 characters and values of
    up to 500; an empty value means "no such key" (it unsets the key on updates)."""
    value = params.get(name)
    if value is None or value == "":
        return {}
    if isinstance(value, list):  # metadata[0]=..., metadata[1]=... read as a list
        value = {str(index): item for index, item in enumerate(value)}
    if not isinstance(value, dict):
        raise StripeApiError(400, f"Invalid hash: {name}", param=name)
    metadata = {str(key): str(item) for key, item in value.items() if item != ""}
    if len(metadata) > METADATA_MAX_KEYS:
        raise StripeApiError(400, f"Metadata can have up to {METADATA_MAX_KEYS} keys.", param=name)
    for key, item in metadata.items():
        if len(key) > METADATA_KEY_MAX:
            raise StripeApiError(
                400, f"Metadata keys can have up to {METADATA_KEY_MAX} characters.", param=name
            )
        if len(item) > METADATA_VALUE_MAX:
            raise StripeApiError(
                400,
                f"Metadata values can have up to {METADATA_VALUE_MAX} characters.",
                param=f"{name}[{key}]",
            )
    return metadata


def get_currency(params: Mapping[str, Any], name: str, *, label: str | None = None) -> str:
    """A three-letter ISO currency, lowercased as Stripe stores and returns it."""
    value = get_str(params, name, required=True, label=label) or ""
    if len(value) != 3 or not value.isalpha():
        raise StripeApiError(400, f"Invalid currency: {value}", param=label or name)
    return value.lower()
