"""A TCP proxy in front of PostgreSQL that the tests can pull the plug on.

``arm(trigger)``: the moment a client sends bytes containing ``trigger`` (a statement's text,
say ``INSERT INTO cart_line``), every connection is cut and new ones are closed on arrival,
until ``up()``. The database really goes away mid-update; nothing in the shop is mocked.
"""

from __future__ import annotations

import asyncio
import contextlib


class DbProxy:
    def __init__(self, target_host: str, target_port: int) -> None:
        self.target = (target_host, target_port)
        self.down = False
        self.cuts = 0
        self._trigger: bytes | None = None
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        self.went_down = asyncio.Event()

    async def start(self) -> int:
        self._server = await asyncio.start_server(self._client, "127.0.0.1", 0)
        return int(self._server.sockets[0].getsockname()[1])

    async def stop(self) -> None:
        self._cut()
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()

    def arm(self, trigger: bytes) -> None:
        self._trigger = trigger

    def up(self) -> None:
        self.down = False

    def _cut(self) -> None:
        for writer in list(self._writers):
            writer.transport.abort()
        self._writers.clear()

    def _go_down(self) -> None:
        self.down = True
        self.cuts += 1
        self._trigger = None
        self._cut()
        self.went_down.set()

    async def _client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if self.down:
            writer.transport.abort()
            return
        try:
            up_reader, up_writer = await asyncio.open_connection(*self.target)
        except OSError:
            writer.transport.abort()
            return
        self._writers.update((writer, up_writer))

        async def pipe(src: asyncio.StreamReader, dst: asyncio.StreamWriter, watch: bool) -> None:
            with contextlib.suppress(OSError, asyncio.IncompleteReadError):
                while data := await src.read(65536):
                    if watch and self._trigger is not None and self._trigger in data:
                        self._go_down()
                        return
                    dst.write(data)
                    await dst.drain()
            dst.transport.abort()

        await asyncio.gather(pipe(reader, up_writer, True), pipe(up_reader, writer, False))
        self._writers.difference_update((writer, up_writer))
