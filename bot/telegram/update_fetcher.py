"""``getUpdates`` as raw JSON, for the polling inbox.

The frameworks' own polling loops confirm an update (the next call's ``offset``) as soon as they
have read it, before it was handled; a process that dies then loses it. The inbox instead asks
for updates itself, stores them, and only then confirms them, so this client does no more than
one call: the updates exactly as Telegram sent them (dicts, not framework objects: they are
stored, and the framework parses them when it handles them), or an error saying how long to
wait before asking again.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Sequence
from typing import Any

import aiohttp

log = logging.getLogger(__name__)

#: getUpdates returns at most 100 updates a call.
LIMIT = 100
#: Longest pause after failures in a row (network, 5xx, 409 while another instance polls).
MAX_BACKOFF = 30.0


class FetchFailed(Exception):
    """getUpdates did not answer with updates; wait ``retry_after`` seconds (if Telegram said)
    or back off."""

    def __init__(
        self, reason: str, *, status: int | None = None, retry_after: float | None = None
    ):
        super().__init__(reason)
        self.status = status
        self.retry_after = retry_after


def backoff(failures: int, error: FetchFailed | None = None) -> float:
    """Seconds to wait after ``failures`` failures in a row: what a 429 asks, else doubling from
    half a second up to ``MAX_BACKOFF``."""
    if error is not None and error.retry_after is not None:
        return max(error.retry_after, 0.0)
    return float(min(MAX_BACKOFF, 0.5 * 2 ** max(failures - 1, 0)))


class UpdateFetcher:
    """One aiohttp session making ``getUpdates`` calls with a long-poll ``timeout``."""

    def __init__(
        self,
        token: str,
        api_base: str,
        allowed_updates: Sequence[str],
        poll_timeout: int = 30,
    ) -> None:
        self._url = f"{api_base.rstrip('/')}/bot{token}/getUpdates"
        self.allowed_updates = list(allowed_updates)
        self.poll_timeout = poll_timeout
        self._session: aiohttp.ClientSession | None = None

    async def fetch(self, offset: int | None) -> list[dict[str, Any]]:
        """Updates from ``offset`` on (which confirms every update before it), waiting up to
        ``poll_timeout`` seconds for one to arrive. Raises ``FetchFailed``."""
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession()
        params: dict[str, object] = {
            "limit": LIMIT,
            "timeout": self.poll_timeout,
            "allowed_updates": self.allowed_updates,
        }
        if offset is not None:
            params["offset"] = offset
        timeout = aiohttp.ClientTimeout(total=self.poll_timeout + 15)
        try:
            async with self._session.post(self._url, json=params, timeout=timeout) as response:
                status = response.status
                body = await response.read()
        except (aiohttp.ClientError, TimeoutError, OSError) as exc:
            raise FetchFailed(f"getUpdates failed: {type(exc).__name__} {exc}") from exc
        try:
            answer = json.loads(body)
        except ValueError as exc:
            raise FetchFailed(f"getUpdates answered {status} with no JSON", status=status) from exc
        if not isinstance(answer, dict):
            raise FetchFailed(f"getUpdates answered {status}: {answer!r:.200}", status=status)
        if answer.get("ok") is not True:
            parameters = answer.get("parameters")
            retry = parameters.get("retry_after") if isinstance(parameters, dict) else None
            raise FetchFailed(
                f"getUpdates refused ({answer.get('error_code', status)}): "
                f"{answer.get('description', '')}",
                status=int(answer.get("error_code") or status),
                retry_after=float(retry) if isinstance(retry, int | float) else None,
            )
        result = answer.get("result")
        if not isinstance(result, list):
            raise FetchFailed(f"getUpdates answered without a list: {result!r:.200}")
        return [u for u in result if isinstance(u, dict)]

    async def close(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()
            # Let aiohttp close its connections before the loop goes (no "unclosed" warning).
            await asyncio.sleep(0)
        self._session = None
