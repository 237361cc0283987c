"""Telegram Mini App ``initData``: who opened the dashboard, checked without a network call.

Telegram hands the page a query string (``query_id=…&user=…&auth_date=…&hash=…``). Its
``hash`` is HMAC-SHA256 over the *data-check-string* (every other field as ``key=value``,
sorted by key, joined by line feeds) with the key ``HMAC_SHA256(key="WebAppData",
msg=bot_token)``. Only the bot's token makes a valid hash, so a page cannot claim to be
someone else; ``auth_date`` bounds how long a captured string stays usable.

Pure: the standard library only, the clock passed in.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from dataclasses import dataclass
from enum import StrEnum
from urllib.parse import parse_qsl, urlencode

#: Longest initData accepted (Telegram's are well under 1 KB).
MAX_INIT_DATA = 4096


class Problem(StrEnum):
    MISSING = "missing"  # no initData, or no hash / auth_date / user in it
    MALFORMED = "malformed"  # not a query string, or a field of the wrong shape
    FORGED = "forged"  # the hash does not match (another token, a changed field)
    EXPIRED = "expired"  # auth_date older than the limit (or in the future)


class InitDataError(ValueError):
    def __init__(self, problem: Problem) -> None:
        super().__init__(problem.value)
        self.problem = problem


@dataclass(frozen=True, slots=True)
class WebAppUser:
    id: int
    first_name: str
    language_code: str | None
    username: str | None
    auth_date: int


def secret_key(bot_token: str) -> bytes:
    return hmac.new(b"WebAppData", bot_token.encode(), hashlib.sha256).digest()


def data_check_string(fields: dict[str, str]) -> str:
    return "\n".join(f"{k}={fields[k]}" for k in sorted(fields) if k != "hash")


def _hash(fields: dict[str, str], bot_token: str) -> str:
    check = data_check_string(fields).encode()
    return hmac.new(secret_key(bot_token), check, hashlib.sha256).hexdigest()


def check_init_data(init_data: str, bot_token: str, now: float, max_age: float) -> WebAppUser:
    """The user ``init_data`` was signed for by ``bot_token``, signed at most ``max_age``
    seconds before ``now`` (Unix seconds); ``InitDataError`` otherwise."""
    if not init_data or not bot_token:
        raise InitDataError(Problem.MISSING)
    if len(init_data) > MAX_INIT_DATA:
        raise InitDataError(Problem.MALFORMED)
    try:
        pairs = parse_qsl(init_data, keep_blank_values=True, strict_parsing=True)
    except ValueError as exc:
        raise InitDataError(Problem.MALFORMED) from exc
    fields = dict(pairs)
    if len(fields) != len(pairs):  # a repeated key: which one was signed?
        raise InitDataError(Problem.MALFORMED)
    given = fields.get("hash", "")
    if not given or "auth_date" not in fields or "user" not in fields:
        raise InitDataError(Problem.MISSING)
    if not hmac.compare_digest(given.lower(), _hash(fields, bot_token)):
        raise InitDataError(Problem.FORGED)
    raw_date = fields["auth_date"]
    if not raw_date.isascii() or not raw_date.isdigit():
        raise InitDataError(Problem.MALFORMED)
    auth_date = int(raw_date)
    if now - auth_date > max_age or auth_date - now > 60:  # a minute of clock skew
        raise InitDataError(Problem.EXPIRED)
    return _user(fields["user"], auth_date)


def _user(raw: str, auth_date: int) -> WebAppUser:
    try:
        user = json.loads(raw)
    except ValueError as exc:
        raise InitDataError(Problem.MALFORMED) from exc
    if not isinstance(user, dict) or type(user.get("id")) is not int:
        raise InitDataError(Problem.MALFORMED)
    language = user.get("language_code")
    username = user.get("username")
    return WebAppUser(
        id=user["id"],
        first_name=str(user.get("first_name") or ""),
        language_code=language if isinstance(language, str) else None,
        username=username if isinstance(username, str) else None,
        auth_date=auth_date,
    )


def sign_init_data(
    user: dict[str, object], bot_token: str, auth_date: float | None = None, **extra: str
) -> str:
    """initData for ``user`` as Telegram would sign it for this bot (tests, the sandbox)."""
    fields = {
        "auth_date": str(int(time.time() if auth_date is None else auth_date)),
        "user": json.dumps(user, separators=(",", ":"), ensure_ascii=False),
        **extra,
    }
    fields["hash"] = _hash(fields, bot_token)
    return urlencode(fields)
