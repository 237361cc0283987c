"""python-telegram-bot's Bot API requests over aiohttp (``AiohttpRequest``), instead of its
default httpx client.

A paid drop sends 1,000 messages a second. Through httpx each of them costs several times the
CPU it costs through aiohttp (httpcore's pool walks every open connection on each request and
asks its socket whether it is still readable; anyio wraps every read and write), so on a busy
machine python-telegram-bot reached a fraction of the limit where aiogram, on aiohttp, kept
up. PTB lets a bot bring its own ``BaseRequest``: this one sends the same form (the parameters
JSON-encoded one by one, as ``HTTPXRequest`` does; multipart when there are files), keeps at
most ``connections`` connections open to the Bot API, and maps its failures to PTB's:
timeouts to ``TimedOut``, anything else on the wire to ``NetworkError``. PTB itself turns the
answers (429, 403, 400...) into its exceptions, as with any ``BaseRequest``.
"""

from __future__ import annotations

from typing import Any

import aiohttp
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData

#: Seconds: connecting, reading an answer, sending a request (an upload gets ``MEDIA_WRITE``),
#: waiting for a free connection. httpx's defaults in PTB, except the pool's (1 s there): a
#: drop keeps every connection busy, and a send waiting a little longer is no failure.
CONNECT = 5.0
READ = 5.0
WRITE = 5.0
MEDIA_WRITE = 20.0
POOL = 30.0


class AiohttpRequest(BaseRequest):
    """A ``BaseRequest`` on one ``aiohttp.ClientSession`` of at most ``connections``."""

    def __init__(self, connections: int) -> None:
        self.connections = connections
        self._session: aiohttp.ClientSession | None = None

    @property
    def read_timeout(self) -> float | None:
        return READ

    async def initialize(self) -> None:
        if self._session is None or self._session.closed:
            connector = aiohttp.TCPConnector(limit=self.connections)
            self._session = aiohttp.ClientSession(connector=connector)

    async def shutdown(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()
        self._session = None

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: Any = BaseRequest.DEFAULT_NONE,
        write_timeout: Any = BaseRequest.DEFAULT_NONE,
        connect_timeout: Any = BaseRequest.DEFAULT_NONE,
        pool_timeout: Any = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        if self._session is None or self._session.closed:
            raise RuntimeError("This AiohttpRequest is not initialized!")
        files = request_data.multipart_data if request_data else {}
        fields = request_data.json_parameters if request_data else {}
        body: aiohttp.FormData | dict[str, str] | None = fields or None
        if files:
            form = aiohttp.FormData()
            for name, value in fields.items():
                form.add_field(name, value)
            for name, (filename, content, mime) in files.items():
                form.add_field(name, content, filename=filename, content_type=mime)
            body = form
        # aiohttp has no timeout for writing alone: sending and reading share ``sock_read``.
        write = _given(write_timeout, MEDIA_WRITE if files else WRITE)
        timeout = aiohttp.ClientTimeout(
            total=None,
            connect=_seconds(_given(pool_timeout, POOL), _given(connect_timeout, CONNECT)),
            sock_connect=_given(connect_timeout, CONNECT),
            sock_read=_seconds(_given(read_timeout, READ), write),
        )
        try:
            async with self._session.request(
                method,
                url,
                data=body,
                headers={"User-Agent": self.USER_AGENT},
                timeout=timeout,
            ) as response:
                return response.status, await response.read()
        except TimeoutError as exc:
            raise TimedOut(f"aiohttp: {method} {_method_of(url)} timed out") from exc
        except aiohttp.ClientError as exc:
            raise NetworkError(f"aiohttp.{exc.__class__.__name__}: {exc}") from exc


def _given(value: Any, default: float) -> float | None:
    """A timeout PTB passed, or ours when it left the default (None: no limit)."""
    if isinstance(value, type(BaseRequest.DEFAULT_NONE)):
        return default
    return None if value is None else float(value)


def _seconds(*parts: float | None) -> float | None:
    """The sum of timeouts (None if any is unlimited)."""
    if any(p is None for p in parts):
        return None
    return sum(p for p in parts if p is not None)


def _method_of(url: str) -> str:
    return url.rsplit("/", 1)[-1]
