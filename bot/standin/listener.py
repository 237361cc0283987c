"""What both stand-ins (the Bot API's and Stripe's) do as local HTTP servers: listen on a port,
stop, serve as ``async with``, and say their ``base_url``.

A stand-in supplies its aiohttp application (``_application``), what to do once it listens
(``_started``) and what to finish before it closes (``_stopping``).
"""

from __future__ import annotations

import logging
from abc import ABC, abstractmethod
from types import TracebackType
from typing import Self

from aiohttp import web


class LocalListener(ABC):
    """An aiohttp server on ``host:port`` (port 0 picks a free one); use as ``async with``."""

    #: How the log line "... listening on" names the server.
    _name = "stand-in"
    #: How the error "the ... is not started" names it.
    _not_started_name = "stand-in"

    def __init__(self) -> None:
        self._runner: web.AppRunner | None = None
        self._host = "127.0.0.1"
        self._port = 0

    @abstractmethod
    def _application(self) -> web.Application:
        """The routes to serve."""

    @abstractmethod
    def _started(self) -> None:
        """Called once the server listens."""

    @abstractmethod
    async def _stopping(self) -> None:
        """Called before the listener closes (pending work to finish or cancel)."""

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> None:
        """Listen on ``host:port`` (port 0 picks a free one; see ``base_url``)."""
        runner = web.AppRunner(self._application(), access_log=None, shutdown_timeout=1.0)
        await runner.setup()
        await web.TCPSite(runner, host, port).start()
        self._runner = runner
        self._host = host
        self._port = int(runner.addresses[0][1])
        self._started()
        # The subclass's module names the logger, as before the fold.
        logging.getLogger(type(self).__module__).debug(
            "%s listening on %s", self._name, self.base_url
        )

    async def stop(self) -> None:
        """Finish what ``_stopping`` says, then close the listener."""
        await self._stopping()
        if self._runner is not None:
            runner, self._runner = self._runner, None
            await runner.cleanup()

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.stop()

    @property
    def base_url(self) -> str:
        """``http://host:port`` of the running server."""
        if self._runner is None:
            msg = f"the {self._not_started_name} is not started"
            raise RuntimeError(msg)
        return f"http://{self._host}:{self._port}"
