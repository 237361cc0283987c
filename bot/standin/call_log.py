"""Every Bot API call the stand-in answered, indexed by method for cheap look-ups.

End-to-end tests assert on what the bot asked Telegram to do ("the same scenario must produce
the same Bot API calls on both frameworks"), and wait for calls that happen in the bot's own
tasks. A per-method index and per-method waiters keep that cheap when a benchmark records tens
of thousands of calls.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from bot.standin.json_types import JsonObject


@dataclass(frozen=True, slots=True)
class RecordedCall:
    """One answered call: decoded parameters (uploads as ``{"upload": name}``) and the answer.

    ``response`` is the ``result`` for a successful call and the whole error body otherwise.
    """

    method: str
    params: JsonObject
    response: Any
    ok: bool
    status: int = 200
    index: int = 0

    @property
    def error_code(self) -> int | None:
        """Telegram's error code for a failed call."""
        if self.ok or not isinstance(self.response, dict):
            return None
        code = self.response.get("error_code")
        return code if isinstance(code, int) else None

    @property
    def description(self) -> str | None:
        """Telegram's error description for a failed call."""
        if self.ok or not isinstance(self.response, dict):
            return None
        text = self.response.get("description")
        return text if isinstance(text, str) else None


CallPredicate = Callable[[RecordedCall], bool]


@dataclass(slots=True)
class _Waiter:
    predicate: CallPredicate | None
    future: asyncio.Future[RecordedCall]
    after: int = 0


@dataclass(slots=True)
class CallLog:
    """The list of calls in order, plus an index and waiters by lower-cased method name."""

    calls: list[RecordedCall] = field(default_factory=list)
    _by_method: dict[str, list[RecordedCall]] = field(default_factory=dict)
    _waiters: dict[str, list[_Waiter]] = field(default_factory=dict)

    def record(
        self, method: str, params: dict[str, object], response: object, ok: bool, status: int
    ) -> RecordedCall:
        """Append a call and wake whoever waits for one like it."""
        call = RecordedCall(method, params, response, ok, status, len(self.calls))
        self.calls.append(call)
        key = method.lower()
        self._by_method.setdefault(key, []).append(call)
        waiters = self._waiters.get(key)
        if waiters:
            remaining: list[_Waiter] = []
            for waiter in waiters:
                if waiter.future.done():
                    continue
                if call.index >= waiter.after and _accepts(waiter.predicate, call):
                    waiter.future.set_result(call)
                else:
                    remaining.append(waiter)
            self._waiters[key] = remaining
        return call

    def named(self, method: str) -> list[RecordedCall]:
        """Calls of one method (any letter case), oldest first."""
        return list(self._by_method.get(method.lower(), ()))

    def clear(self) -> None:
        """Forget recorded calls (waiters stay)."""
        self.calls.clear()
        self._by_method.clear()

    async def wait_for(
        self,
        method: str,
        predicate: CallPredicate | None = None,
        timeout: float = 5.0,
        *,
        after: int = 0,
    ) -> RecordedCall:
        """The first call of ``method`` at position ``after`` or later matching ``predicate``,
        already recorded or still to come; TimeoutError names what was seen instead."""
        key = method.lower()
        for call in self._by_method.get(key, ()):
            if call.index >= after and _accepts(predicate, call):
                return call
        future: asyncio.Future[RecordedCall] = asyncio.get_running_loop().create_future()
        waiter = _Waiter(predicate, future, after)
        self._waiters.setdefault(key, []).append(waiter)
        try:
            return await asyncio.wait_for(future, timeout)
        except TimeoutError:
            seen = [call.params for call in self._by_method.get(key, ())][-5:]
            msg = f"no matching {method} call within {timeout}s; last ones seen: {seen}"
            raise TimeoutError(msg) from None
        finally:
            waiters = self._waiters.get(key)
            if waiters and waiter in waiters:
                waiters.remove(waiter)


def _accepts(predicate: CallPredicate | None, call: RecordedCall) -> bool:
    return predicate is None or predicate(call)
