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
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from sqlalchemy.engine import make_url

from bot.conversation.storefront import Storefront
from bot.conversation.turn import ShopConfig
from storage.engine import make_engine
from storage.unit_of_work import SqlUnitOfWorkFactory
from tests import databases
from tests.databases import PostgresTemplates, run_aside, sqlite_database
from tests.helpers import Clock, RedisTarget


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Tests marked ``slow`` (real processes, benchmarks: 5 to 40 s each) run first, the
    rest after them in their usual order: the workers start on the long ones together and
    end on short ones, instead of one worker finishing a long test while the other idles."""
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)


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


@pytest.fixture(scope="session", autouse=True)
def _sqlite_templates(tmp_path_factory: pytest.TempPathFactory) -> None:
    """This session's SQLite templates live in its temp folder (made on first use)."""
    databases.use_folder(tmp_path_factory.mktemp("templates"))


@pytest.fixture(scope="session")
def postgres_templates(postgres_server_url: str) -> Iterator[PostgresTemplates]:
    """This session's template databases (made on first use), dropped at its end."""
    templates = PostgresTemplates(postgres_server_url)
    yield templates
    templates.close()


def _postgres_copy(request: pytest.FixtureRequest, demo: bool) -> Iterator[str]:
    request.applymarker(pytest.mark.postgres)
    templates: PostgresTemplates = request.getfixturevalue("postgres_templates")
    url = run_aside(lambda: templates.copy(demo=demo))
    yield url
    templates.drop(url)


@pytest.fixture
def postgres_url(request: pytest.FixtureRequest) -> Iterator[str]:
    """A migrated, empty PostgreSQL database of this test's own (dropped afterwards)."""
    yield from _postgres_copy(request, demo=False)


@pytest.fixture
def postgres_demo_url(request: pytest.FixtureRequest) -> Iterator[str]:
    """A migrated PostgreSQL database of this test's own holding the demo catalog."""
    yield from _postgres_copy(request, demo=True)


@pytest.fixture(params=["sqlite", "postgres"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Parametrizes a test over both backends: a migrated, empty database of its own."""
    if request.param == "sqlite":
        return sqlite_database(tmp_path / "shop.db")
    url: str = request.getfixturevalue("postgres_url")
    return url


@pytest.fixture(params=["sqlite", "postgres"])
def demo_database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Parametrizes a test over both backends: a migrated database of its own holding the demo
    catalog."""
    if request.param == "sqlite":
        return sqlite_database(tmp_path / "shop.db", demo=True)
    url: str = request.getfixturevalue("postgres_demo_url")
    return url


@pytest.fixture
async def uows(database_url: str) -> AsyncIterator[SqlUnitOfWorkFactory]:
    """A migrated, empty database on the backend under test."""
    factory = SqlUnitOfWorkFactory(make_engine(database_url))
    yield factory
    await factory.dispose()


@pytest.fixture
async def demo_uows(demo_database_url: str) -> AsyncIterator[SqlUnitOfWorkFactory]:
    """A migrated database holding the demo catalog, on the backend under test."""
    factory = SqlUnitOfWorkFactory(make_engine(demo_database_url))
    yield factory
    await factory.dispose()


@pytest.fixture
async def sqlite_uows(tmp_path: Path) -> AsyncIterator[SqlUnitOfWorkFactory]:
    """A migrated, empty SQLite database."""
    factory = SqlUnitOfWorkFactory(make_engine(sqlite_database(tmp_path / "shop.db")))
    yield factory
    await factory.dispose()


@pytest.fixture
async def sqlite_demo_uows(tmp_path: Path) -> AsyncIterator[SqlUnitOfWorkFactory]:
    """A migrated SQLite database holding the demo catalog."""
    url = sqlite_database(tmp_path / "shop.db", demo=True)
    factory = SqlUnitOfWorkFactory(make_engine(url))
    yield factory
    await factory.dispose()


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
async def demo_shop(sqlite_demo_uows: SqlUnitOfWorkFactory, clock: Clock) -> Storefront:
    """The demo catalog on SQLite behind a storefront with a hand-moved clock."""
    return Storefront(
        sqlite_demo_uows, ShopConfig(shop_name="Demo", bot_username="demo_bot"), clock
    )
