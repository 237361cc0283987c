"""The dashboard's initData check: valid, forged, expired, another bot's, missing fields."""

from __future__ import annotations

import hashlib
import hmac
import json
from urllib.parse import parse_qsl, quote, urlencode

import pytest

from bot.dashboard.auth import InitDataError, Problem, check_init_data, sign_init_data

TOKEN = "123456:TEST-TOKEN"
NOW = 1_800_000_000.0
DAY = 86_400.0
ANN = {"id": 42, "first_name": "Ann", "language_code": "zh-hans", "username": "ann"}


def _by_hand(fields: dict[str, str], token: str) -> str:
    """The signature as Telegram's documentation describes it, written out independently."""
    check = "\n".join(f"{k}={v}" for k, v in sorted(fields.items()))
    key = hmac.new(b"WebAppData", token.encode(), hashlib.sha256).digest()
    return hmac.new(key, check.encode(), hashlib.sha256).hexdigest()


def _problem(init_data: str, token: str = TOKEN, now: float = NOW) -> Problem:
    with pytest.raises(InitDataError) as caught:
        check_init_data(init_data, token, now, DAY)
    return caught.value.problem


def test_valid_init_data_names_the_user() -> None:
    fields = {
        "query_id": "AAH",
        "user": json.dumps(ANN),
        "auth_date": str(int(NOW) - 60),
    }
    fields["hash"] = _by_hand(fields, TOKEN)
    user = check_init_data(urlencode(fields, quote_via=quote), TOKEN, NOW, DAY)
    assert (user.id, user.first_name, user.language_code, user.username) == (
        42,
        "Ann",
        "zh-hans",
        "ann",
    )


def test_signed_by_the_helper_checks_and_is_telegrams_format() -> None:
    signed = sign_init_data(ANN, TOKEN, NOW - 5, query_id="x")
    fields = dict(parse_qsl(signed))
    assert fields["hash"] == _by_hand({k: v for k, v in fields.items() if k != "hash"}, TOKEN)
    assert check_init_data(signed, TOKEN, NOW, DAY).id == 42


def test_a_changed_field_or_hash_is_forged() -> None:
    fields = dict(parse_qsl(sign_init_data(ANN, TOKEN, NOW)))
    fields["user"] = json.dumps({**ANN, "id": 1})  # someone else, the old hash
    assert _problem(urlencode(fields)) is Problem.FORGED
    fields = dict(parse_qsl(sign_init_data(ANN, TOKEN, NOW)))
    fields["hash"] = "0" * 64
    assert _problem(urlencode(fields)) is Problem.FORGED
    fields["hash"] = "not hex at all"
    assert _problem(urlencode(fields)) is Problem.FORGED


def test_another_bots_token_is_forged() -> None:
    assert _problem(sign_init_data(ANN, "999:OTHER", NOW)) is Problem.FORGED
    assert _problem(sign_init_data(ANN, TOKEN, NOW), token="999:OTHER") is Problem.FORGED


def test_too_old_or_from_the_future_is_expired() -> None:
    assert _problem(sign_init_data(ANN, TOKEN, NOW - DAY - 1)) is Problem.EXPIRED
    assert check_init_data(sign_init_data(ANN, TOKEN, NOW - DAY), TOKEN, NOW, DAY).id == 42
    assert _problem(sign_init_data(ANN, TOKEN, NOW + 3600)) is Problem.EXPIRED


@pytest.mark.parametrize("drop", ["hash", "auth_date", "user"])
def test_missing_fields(drop: str) -> None:
    fields = dict(parse_qsl(sign_init_data(ANN, TOKEN, NOW)))
    del fields[drop]
    if drop != "hash":  # re-signed without it: still refused
        fields["hash"] = _by_hand({k: v for k, v in fields.items() if k != "hash"}, TOKEN)
    assert _problem(urlencode(fields)) is Problem.MISSING


def test_empty_garbage_and_repeated_keys() -> None:
    assert _problem("") is Problem.MISSING
    assert _problem("no-equals-sign") is Problem.MALFORMED
    assert _problem("x" * 5000) is Problem.MALFORMED
    signed = sign_init_data(ANN, TOKEN, NOW)
    assert _problem(signed + "&user=" + quote(json.dumps({"id": 1}))) is Problem.MALFORMED


def test_a_signed_user_without_an_integer_id_is_malformed() -> None:
    assert _problem(sign_init_data({"id": "42"}, TOKEN, NOW)) is Problem.MALFORMED
    fields = {"user": "not json", "auth_date": str(int(NOW))}
    fields["hash"] = _by_hand(fields, TOKEN)
    assert _problem(urlencode(fields)) is Problem.MALFORMED
