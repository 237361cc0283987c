"""Failures on demand: the 429s, 403s and 5xxs a production bot has to survive.

Tests use these to prove that the broadcast worker honours ``retry_after``, marks blocked users
as unsubscribed and resumes after errors; the rate limits imitate Telegram's flood control
(about 30 messages a second overall, one a second per chat, 20 a minute per group) with token
buckets so a benchmark sees 429s exactly when it sends too fast.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from bot.standin.errors import (
    BLOCKED_BY_USER,
    KICKED_FROM_GROUP,
    NOT_IN_CHANNEL,
    ApiError,
    default_description,
)

# Methods that deliver something into a chat: the ones blocks and flood limits apply to.
SENDING_PREFIXES = ("send", "copy", "forward", "edit")
ANY_METHOD = "*"

ChatKey = int | str


def chat_key(value: object) -> ChatKey | None:
    """Normalise a ``chat_id`` parameter (123, "123" or "@name") for comparisons."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str):
        if value.lstrip("-").isdigit():
            return int(value)
        return value.lower()
    return None


def is_sending(method: str) -> bool:
    """Whether ``method`` puts or changes a message in a chat."""
    return method.lower().startswith(SENDING_PREFIXES)


@dataclass(slots=True)
class PlannedFault:
    """One ``fail_next`` request, used up after ``remaining`` matching calls."""

    method: str
    error_code: int
    description: str | None
    retry_after: int | None
    chat_id: ChatKey | None
    remaining: int

    def matches(self, method: str, chat: ChatKey | None) -> bool:
        """Whether a call to ``method`` in ``chat`` should get this fault."""
        if self.method not in (ANY_METHOD, method.lower()):
            return False
        return self.chat_id is None or self.chat_id == chat

    def error(self) -> ApiError:
        """The error to answer with."""
        retry_after = self.retry_after
        if retry_after is None and self.error_code == 429:
            retry_after = 1
        description = self.description or default_description(self.error_code, retry_after)
        return ApiError(self.error_code, description, retry_after=retry_after)


class TokenBucket:
    """``rate`` tokens a second, holding at most ``capacity``."""

    def __init__(self, rate: float, capacity: float, now: float) -> None:
        self.rate = rate
        self.capacity = capacity
        self.tokens = capacity
        self.updated = now

    def wait_time(self, now: float) -> float:
        """Seconds until one token is available (0 when one is there now)."""
        self.tokens = min(self.capacity, self.tokens + (now - self.updated) * self.rate)
        self.updated = now
        return 0.0 if self.tokens >= 1 else (1 - self.tokens) / self.rate

    def take(self) -> None:
        """Spend one token (call after ``wait_time`` returned 0)."""
        self.tokens -= 1


class FaultInjector:
    """Planned faults, blocked chats and flood limits, checked before each method runs."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._planned: list[PlannedFault] = []
        self.blocked: set[ChatKey] = set()
        self._per_second: float | None = None
        self._per_chat: float | None = None
        self._per_group_minute: float | None = None
        self._global: TokenBucket | None = None
        self._chat_buckets: dict[ChatKey, TokenBucket] = {}
        self._group_buckets: dict[ChatKey, TokenBucket] = {}
        self.rate_limited = 0

    def fail_next(
        self,
        method: str,
        *,
        error_code: int = 429,
        description: str | None = None,
        retry_after: int | None = None,
        chat_id: int | str | None = None,
        times: int = 1,
    ) -> None:
        """Make the next ``times`` calls of ``method`` (``"*"`` = any) fail like Telegram."""
        name = method if method == ANY_METHOD else method.lower()
        self._planned.append(
            PlannedFault(name, error_code, description, retry_after, chat_key(chat_id), times)
        )

    def block_chat(self, chat_id: int | str) -> None:
        """Every send into this chat now fails with 403, as after a user blocks the bot."""
        key = chat_key(chat_id)
        if key is not None:
            self.blocked.add(key)

    def unblock_chat(self, chat_id: int | str) -> None:
        """Undo ``block_chat``."""
        key = chat_key(chat_id)
        if key is not None:
            self.blocked.discard(key)

    def rate_limit(
        self,
        per_second: float | None,
        per_chat_per_second: float | None,
        *,
        per_group_per_minute: float | None = None,
    ) -> None:
        """Enable (or with None, disable) flood limits; buckets start full."""
        now = self._clock()
        self._per_second = per_second
        self._per_chat = per_chat_per_second
        self._per_group_minute = per_group_per_minute
        self._global = TokenBucket(per_second, max(1.0, per_second), now) if per_second else None
        self._chat_buckets.clear()
        self._group_buckets.clear()

    @property
    def planned(self) -> int:
        """How many planned failures are still waiting."""
        return sum(fault.remaining for fault in self._planned)

    def check(
        self,
        method: str,
        params: Mapping[str, object],
        chat_type_of: Callable[[ChatKey], str | None],
    ) -> ApiError | None:
        """The fault for this call, or None to let it run."""
        chat = chat_key(params.get("chat_id"))
        for fault in self._planned:
            if fault.remaining > 0 and fault.matches(method, chat):
                fault.remaining -= 1
                if fault.remaining == 0:
                    self._planned.remove(fault)
                return fault.error()
        if chat is None or not is_sending(method):
            return None
        if chat in self.blocked:
            return ApiError(403, _blocked_description(chat_type_of(chat)))
        return self._flood_check(chat, chat_type_of(chat))

    def _flood_check(self, chat: ChatKey, chat_type: str | None) -> ApiError | None:
        if self._global is None and self._per_chat is None and self._per_group_minute is None:
            return None
        now = self._clock()
        buckets: list[TokenBucket] = []
        if self._global is not None:
            buckets.append(self._global)
        if self._per_chat:
            buckets.append(self._bucket(self._chat_buckets, chat, self._per_chat, now))
        if self._per_group_minute and chat_type in ("group", "supergroup"):
            rate = self._per_group_minute / 60.0
            buckets.append(
                self._bucket(self._group_buckets, chat, rate, now, self._per_group_minute)
            )
        wait = max(bucket.wait_time(now) for bucket in buckets)
        if wait > 0:
            self.rate_limited += 1
            retry_after = max(1, math.ceil(wait))
            return ApiError(
                429, f"Too Many Requests: retry after {retry_after}", retry_after=retry_after
            )
        for bucket in buckets:
            bucket.take()
        return None

    @staticmethod
    def _bucket(
        table: dict[ChatKey, TokenBucket],
        chat: ChatKey,
        rate: float,
        now: float,
        capacity: float | None = None,
    ) -> TokenBucket:
        bucket = table.get(chat)
        if bucket is None:
            bucket = TokenBucket(rate, capacity or max(1.0, rate), now)
            table[chat] = bucket
        return bucket


def _blocked_description(chat_type: str | None) -> str:
    if chat_type == "group":
        return KICKED_FROM_GROUP
    if chat_type == "supergroup":
        return "Forbidden: bot was kicked from the supergroup chat"
    if chat_type == "channel":
        return NOT_IN_CHANNEL
    return BLOCKED_BY_USER
