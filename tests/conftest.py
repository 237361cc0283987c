"""Shared fixtures: migrated databases (SQLite always, PostgreSQL when reachable) and a shop.

PostgreSQL tests use a real server: ``POSTGRES_TEST_URL`` or, by default, the project's machines'
``postgresql+asyncpg://postgres@127.0.0.1:5432/test``. Each test session creates its own
database there and drops it afterwards; where no server answers, those tests skip and say why.
Redis tests (the ``redis`` fixture) likewise use ``REDIS_TEST_URL`` or 127.0.0.1:6379.
"""

from __future__ import annotations

import asyncio
import os
import socket
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from sqlalchemy.engine import make_url

from bot.conversation.storefront import Storefront
from bot.conversation.turn import ShopConfig
from bot.services.catalog_import import demo_catalog_path, import_catalog, read_catalog
from storage.engine import make_engine
from storage.migrate import upgrade
from storage.unit_of_work import SqlUnitOfWorkFactory

REPO = Path(__file__).resolve().parents[1]
SHARED_SPEC = REPO.parent / "shared" / "telegram-bot-api.json"
PG_URL = os.environ.get("POSTGRES_TEST_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test")
REDIS_TEST_URL = os.environ.get("REDIS_TEST_URL", "redis://127.0.0.1:6379/0")


def _reachable(url: str) -> str | None:
    """None if a PostgreSQL server answers at the URL's host and port, else why not."""
    parsed = make_url(url)
    host, port = parsed.host or "127.0.0.1", parsed.port or 5432
    try:
        with socket.create_connection((host, port), timeout=1.0):
            return None
    except OSError as exc:
        return f"no PostgreSQL server at {host}:{port} ({exc.strerror or exc})"


@pytest.fixture(scope="session")
def postgres_server_url() -> Iterator[str]:
    """A fresh, empty PostgreSQL database for this test session (dropped at the end)."""
    why = _reachable(PG_URL)
    if why:
        pytest.skip(f"PostgreSQL tests skipped: {why}")
    import asyncpg

    base = make_url(PG_URL)
    name = f"storefront_test_{uuid.uuid4().hex[:10]}"
    admin_dsn = base.set(drivername="postgresql").render_as_string(hide_password=False)

    async def _admin(sql: str) -> None:
        conn = await asyncpg.connect(admin_dsn)
        try:
            await conn.execute(sql)
        finally:
            await conn.close()

    try:
        asyncio.run(_admin(f'CREATE DATABASE "{name}"'))
    except Exception as exc:  # no right to create databases, wrong password...
        pytest.skip(f"PostgreSQL tests skipped: cannot create a test database ({exc})")
    yield base.set(database=name).render_as_string(hide_password=False)
    asyncio.run(_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture
async def redis(request: pytest.FixtureRequest) -> AsyncIterator[RedisTarget]:
    """A real Redis (``REDIS_TEST_URL`` or 127.0.0.1:6379) and a key prefix of this test's own,
    whose keys are deleted afterwards; skips, and says why, where no server answers."""
    import redis.asyncio as aioredis

    request.applymarker(pytest.mark.redis)
    parsed = urlsplit(REDIS_TEST_URL)
    host, port = parsed.hostname or "127.0.0.1", parsed.port or 6379
    client = aioredis.Redis.from_url(REDIS_TEST_URL, socket_connect_timeout=1.0)
    try:
        await client.ping()
    except Exception as exc:
        await client.aclose()
        pytest.skip(f"Redis tests skipped: no Redis server at {host}:{port} ({exc})")
    target = RedisTarget(REDIS_TEST_URL, f"storefront_test_{uuid.uuid4().hex[:10]}", host, port)
    yield target
    keys = [key async for key in client.scan_iter(match=f"{target.prefix}:*")]
    if keys:
        await client.delete(*keys)
    await client.aclose()


@dataclass(frozen=True, slots=True)
class RedisTarget:
    url: str
    prefix: str
    host: str
    port: int


@pytest.fixture(params=["sqlite", "postgres"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Parametrizes a test over both backends; the PostgreSQL one gets a clean schema."""
    if request.param == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path / 'shop.db'}"
    url: str = request.getfixturevalue("postgres_server_url")
    request.applymarker(pytest.mark.postgres)
    return url


async def _reset_postgres(url: str) -> None:
    engine = make_engine(url)
    try:
        async with engine.begin() as conn:
            from sqlalchemy import text

            await conn.execute(text("DROP SCHEMA public CASCADE"))
            await conn.execute(text("CREATE SCHEMA public"))
    finally:
        await engine.dispose()


@pytest.fixture
async def uows(database_url: str) -> AsyncIterator[SqlUnitOfWorkFactory]:
    """A migrated, empty database on the backend under test."""
    if database_url.startswith("postgresql"):
        await _reset_postgres(database_url)
    engine = make_engine(database_url)
    await upgrade(engine)
    factory = SqlUnitOfWorkFactory(engine)
    yield factory
    await factory.dispose()


@pytest.fixture
async def sqlite_uows(tmp_path: Path) -> AsyncIterator[SqlUnitOfWorkFactory]:
    engine = make_engine(f"sqlite+aiosqlite:///{tmp_path / 'shop.db'}")
    await upgrade(engine)
    factory = SqlUnitOfWorkFactory(engine)
    yield factory
    await factory.dispose()


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
async def demo_shop(sqlite_uows: SqlUnitOfWorkFactory, clock: Clock) -> Storefront:
    """The demo catalog on SQLite behind a storefront with a hand-moved clock."""
    await import_catalog(sqlite_uows, read_catalog(demo_catalog_path()))
    return Storefront(sqlite_uows, ShopConfig(shop_name="Demo", bot_username="demo_bot"), clock)
