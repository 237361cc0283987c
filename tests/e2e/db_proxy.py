"""A TCP proxy in front of PostgreSQL that the tests can pull the plug on.

``arm(trigger)``: the moment a client sends bytes containing ``trigger`` (a statement's text,
say ``INSERT INTO cart_line``), every connection is cut and new ones are closed on arrival,
until ``up()``. The database really goes away mid-update; nothing in the shop is mocked.

``hold(trigger, then=None)``: the one connection that sends ``trigger`` (or, with ``then``, the
first ``then`` it sends after ``trigger``, e.g. ``b"COMMIT"``) is stopped there: those bytes and
whatever follows never reach the server, which keeps the transaction open, and ``held`` is set.
When the client goes away (killed), the server connection is closed too and PostgreSQL rolls
the transaction back, as it would for a process that died mid-transaction.

``blackhole()``: the database accepts connections and never answers (a frozen server, a
firewall dropping packets): new connections are accepted and whatever they send is swallowed;
the connections open now go silent too. ``up()`` lets new connections through again; the ones
silenced stay silent for good (their TCP sessions were lost in the outage, with no reset to
tell the client), so a pool that kept them would hang on them.
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
        self._clients: set[asyncio.StreamWriter] = set()
        self.went_down = asyncio.Event()
        self._hold: tuple[bytes, bytes | None] | None = None
        self._hold_armed = False
        self.held = asyncio.Event()
        self.silent = False
        #: Connections (by their client-side writer) that went silent; they stay silent.
        self._silenced: set[asyncio.StreamWriter] = set()
        #: Connections accepted while silent (never connected to the server).
        self.swallowed = 0

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

    def hold(self, trigger: bytes, then: bytes | None = None) -> None:
        self._hold, self._hold_armed = (trigger, then), False
        self.held.clear()

    def _stops(self, data: bytes, armed: bool) -> tuple[bool, bool]:
        """(stop here, this connection is armed) for a chunk a client sent."""
        if self._hold is None:
            return False, False
        trigger, then = self._hold
        if not armed and not self._hold_armed and trigger in data:
            after = data[data.index(trigger) :]
            if then is None or then in after:
                return True, True
            self._hold_armed = True
            return False, True
        return bool(armed and then is not None and then in data), armed

    def up(self) -> None:
        self.down = False
        self.silent = False

    def blackhole(self) -> None:
        self.silent = True
        self._silenced.update(w for w in self._writers if w in self._clients)

    def _cut(self) -> None:
        for writer in list(self._writers):
            writer.transport.abort()
        self._writers.clear()
        self._clients.clear()
        self._silenced.clear()

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
        if self.silent:
            await self._swallow(reader, writer)
            return
        try:
            up_reader, up_writer = await asyncio.open_connection(*self.target)
        except OSError:
            writer.transport.abort()
            return
        self._writers.update((writer, up_writer))
        self._clients.add(writer)

        async def pipe(src: asyncio.StreamReader, dst: asyncio.StreamWriter, watch: bool) -> None:
            armed = False
            with contextlib.suppress(OSError, asyncio.IncompleteReadError):
                while data := await src.read(65536):
                    if writer in self._silenced:
                        continue  # swallowed, both ways
                    if watch:
                        stop, armed = self._stops(data, armed)
                        if stop:
                            self._hold = None
                            self.held.set()
                            while await src.read(65536):  # nothing more reaches the server
                                pass
                            break
                    if watch and self._trigger is not None and self._trigger in data:
                        self._go_down()
                        return
                    dst.write(data)
                    await dst.drain()
            dst.transport.abort()

        await asyncio.gather(pipe(reader, up_writer, True), pipe(up_reader, writer, False))
        self._writers.difference_update((writer, up_writer))
        self._clients.discard(writer)
        self._silenced.discard(writer)

    async def _swallow(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        """Accepted, never answered: read until the client gives up."""
        self.swallowed += 1
        self._writers.add(writer)
        with contextlib.suppress(OSError):
            while await reader.read(65536):
                pass
        writer.transport.abort()
        self._writers.discard(writer)
