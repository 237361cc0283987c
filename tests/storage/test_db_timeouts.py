"""Bounded waits on the database: a lock held too long, a statement over its time, a full pool
and a server that accepts connections and never answers all end in ``StorageUnavailable`` (an
outage: the webhook answers 500 and Telegram resends), not in a hang; and the same engine works
again once the database answers.

Real servers and processes: a second process holds SQLite's write lock; a second PostgreSQL
connection holds a row lock; a TCP proxy in front of PostgreSQL goes silent (``blackhole``).
The elapsed times are printed; the only bound asserted is a generous one (3x the configured
time) that tells a bounded wait from the driver's minute-long or endless one.
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from bot.config import Settings
from bot.services.ports import StorageUnavailable
from storage.engine import CONNECT_TIMEOUT, STATEMENT_TIMEOUT, make_engine
from storage.maintenance import set_variant_stock
from storage.unit_of_work import SqlUnitOfWorkFactory
from tests.databases import sqlite_database
from tests.e2e.db_proxy import DbProxy

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
#: The bounds these tests configure (seconds): short, so that a test takes seconds.
CONNECT = 1.5
STATEMENT = 1.5
#: A bounded wait ends well within this; the driver's own defaults wait 60 s or for ever.
HANG = 3 * (STATEMENT + 1.0)


def test_the_settings_default_to_the_engines_bounds() -> None:
    fields = Settings.model_fields
    assert fields["db_connect_timeout"].default == CONNECT_TIMEOUT
    assert fields["db_statement_timeout"].default == STATEMENT_TIMEOUT


async def _touch(uows: SqlUnitOfWorkFactory, user: int) -> None:
    """A buyer's first message: the write every update starts with."""
    async with uows() as uow:
        await uow.buyers.touch(user, "Ann", None, "en", NOW)
        await uow.commit()


async def _failure_time(call: object) -> float:
    assert asyncio.iscoroutine(call)
    started = time.perf_counter()
    with pytest.raises(StorageUnavailable):
        await call
    return time.perf_counter() - started


async def test_sqlite_a_write_lock_held_longer_than_the_timeout_is_storage_unavailable(
    tmp_path: Path,
) -> None:
    path = tmp_path / "shop.db"
    engine = make_engine(sqlite_database(path), statement_timeout=STATEMENT)
    uows = SqlUnitOfWorkFactory(engine)
    await _touch(uows, 1)  # the pool has a connection that wrote before
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sqlite3, sys, time\n"
            f"db = sqlite3.connect({str(path)!r}, isolation_level=None)\n"
            "db.execute('BEGIN IMMEDIATE')\n"  # the write lock, held until killed
            "print('locked', flush=True)\n"
            "time.sleep(120)\n",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
        waited = await _failure_time(_touch(uows, 2))
        print(f"\nSQLite write behind a lock held by another process: failed in {waited:.2f} s")
        assert waited < HANG
        async with uows() as uow:  # reading goes on beside the writer (WAL)
            assert await uow.catalog.categories() == []
    finally:
        holder.kill()
        holder.wait()
    await _touch(uows, 2)  # the lock gone, the same engine writes again
    async with engine.connect() as conn:
        assert await conn.scalar(text("SELECT count(*) FROM shop_user")) == 2
    await uows.dispose()


@pytest.fixture
def pg_url(postgres_demo_url: str) -> str:
    """A migrated PostgreSQL database with the demo catalog."""
    return postgres_demo_url


@pytest.mark.postgres
async def test_postgres_a_statement_over_its_time_is_storage_unavailable_then_works(
    pg_url: str,
) -> None:
    """The server cancels the statement (``statement_timeout``) while another transaction
    holds the row's lock; the connection stays good for what comes next."""
    engine = make_engine(pg_url, connect_timeout=CONNECT, statement_timeout=STATEMENT)
    other = make_engine(pg_url)
    try:
        async with other.begin() as holder:
            await holder.execute(text("UPDATE variant SET stock = stock WHERE sku = 'KJ-10'"))
            waited = await _failure_time(set_variant_stock(engine, "KJ-10", 5))
        print(f"\nPostgreSQL statement behind a row lock: failed in {waited:.2f} s")
        assert waited < HANG
        await set_variant_stock(engine, "KJ-10", 5)  # the lock gone: works, same engine
        async with engine.connect() as conn:
            stock = await conn.scalar(text("SELECT stock FROM variant WHERE sku = 'KJ-10'"))
        assert stock == 5
    finally:
        await engine.dispose()
        await other.dispose()


@pytest.mark.postgres
async def test_postgres_a_checkout_from_a_full_pool_is_storage_unavailable(pg_url: str) -> None:
    engine = make_engine(pg_url, connect_timeout=CONNECT, statement_timeout=STATEMENT)
    held: list[AsyncConnection] = []
    try:
        for _ in range(20):  # pool_size 10 + max_overflow 10: every connection taken
            conn = await engine.connect()
            await conn.execute(text("SELECT 1"))
            held.append(conn)
        waited = await _failure_time(_select_one(engine))
        print(f"\nPostgreSQL checkout from a full pool: failed in {waited:.2f} s")
        assert waited < HANG
        await held.pop().close()
        assert await _select_one(engine) == 1
    finally:
        for conn in held:
            await conn.close()
        await engine.dispose()


async def _select_one(engine: AsyncEngine) -> int:
    async with engine.connect() as conn:
        return int(await conn.scalar(text("SELECT 1")) or 0)


@pytest.mark.postgres
async def test_postgres_a_silent_server_fails_each_use_in_time_and_the_engine_recovers(
    pg_url: str,
) -> None:
    """Through a proxy that goes silent (connections accepted, nothing answered; the pooled
    connections silent for good): writes fail as outages, a statement already running when
    the server went silent too; once the proxy lets new connections through, the same engine
    works at once, without trying its lost connections first (each try would fail)."""
    url = make_url(pg_url)
    proxy = DbProxy(url.host or "127.0.0.1", url.port or 5432)
    port = await proxy.start()
    through = url.set(host="127.0.0.1", port=port).render_as_string(hide_password=False)
    engine = make_engine(through, connect_timeout=CONNECT, statement_timeout=STATEMENT)
    uows = SqlUnitOfWorkFactory(engine)
    try:
        await _warm(uows, 1)
        proxy.blackhole()  # the pool idle: its five connections go silent
        timings = [await _failure_time(_touch(uows, user)) for user in (10, 11)]
        print("\nsilent PostgreSQL, seconds to fail each write:", [f"{t:.2f}" for t in timings])
        assert max(timings) < HANG
        proxy.up()
        for user in range(20, 26):  # more writes than connections lost in the pool
            await _touch(uows, user)

        await _warm(uows, 30)

        async def running_when_silenced() -> None:
            async with engine.connect() as conn:
                await conn.execute(text("SELECT pg_sleep(0.5)"))

        async def silence_soon() -> None:
            await asyncio.sleep(0.2)
            proxy.blackhole()

        started = time.perf_counter()
        running, _ = await asyncio.gather(
            running_when_silenced(), silence_soon(), return_exceptions=True
        )
        waited = time.perf_counter() - started
        print(f"a statement running when the server went silent: failed in {waited:.2f} s")
        assert isinstance(running, StorageUnavailable), running
        assert waited < HANG
        assert await _failure_time(_touch(uows, 40)) < HANG
        proxy.up()
        started = time.perf_counter()
        for user in range(50, 56):
            await _touch(uows, user)
        print(f"after the outage, 6 writes took {time.perf_counter() - started:.2f} s in all")
        async with engine.connect() as conn:
            rows = await conn.scalar(text("SELECT count(*) FROM shop_user WHERE id >= 10"))
        assert rows == 6 + 5 + 6  # none of the failed writes, all of the others
    finally:
        await uows.dispose()
        await proxy.stop()


async def _warm(uows: SqlUnitOfWorkFactory, first: int) -> None:
    """Five writes at once: five connections in the pool."""
    await asyncio.gather(*(_touch(uows, user) for user in range(first, first + 5)))
