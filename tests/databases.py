"""Migrated databases for tests, made once per test session and copied for each test.

Migrating a database (Alembic, every revision) takes about half a second and importing the demo
catalog a fifth of one; most tests want just that, so they get a copy of a database made once:

- SQLite: ``sqlite_database(path)`` copies a migrated template file to ``path`` (0600, as the
  shop makes its databases: ``storage.private_files``), ``demo=True`` one that also holds the
  demo catalog. The templates are made on first use, in a folder of the test session
  (``use_folder``, called by ``tests/conftest.py``).
- PostgreSQL: ``PostgresTemplates`` migrates a template database (and a second one with the
  demo catalog) once per session; each test gets ``CREATE DATABASE ... TEMPLATE`` of it, dropped
  after the test (in the background: the next test need not wait for the server's checkpoint).

Tests of the migrations themselves (``tests/storage/test_storage.py``, ``storefront migrate``)
still migrate real databases; so does anything that makes its database through
``storage.engine.make_engine`` and ``storage.migrate.upgrade`` on purpose.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import tempfile
import threading
import uuid
from collections.abc import Callable, Coroutine
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy.engine import make_url

from bot.services.catalog_import import demo_catalog_path, import_catalog, read_catalog
from storage.engine import make_engine
from storage.migrate import upgrade
from storage.private_files import PRIVATE, SQLITE_SIDE_FILES
from storage.unit_of_work import SqlUnitOfWorkFactory

T = TypeVar("T")


def sqlite_url(path: Path) -> str:
    return f"sqlite+aiosqlite:///{path}"


def run_aside(make: Callable[[], Coroutine[Any, Any, T]]) -> T:
    """Run a coroutine to its end on an event loop of its own, in a thread of its own: works
    from synchronous code and from inside a running event loop (which it blocks meanwhile)."""
    done: Future[T] = Future()

    def target() -> None:
        try:
            done.set_result(asyncio.run(make()))
        except BaseException as exc:
            done.set_exception(exc)

    thread = threading.Thread(target=target, name="test-database-template")
    thread.start()
    thread.join()
    return done.result()


async def migrate(url: str) -> None:
    """Migrate the database at ``url`` to the head revision."""
    engine = make_engine(url, statement_timeout=None)
    try:
        await upgrade(engine)
    finally:
        await engine.dispose()


async def import_demo(url: str) -> None:
    """Import the demo catalog into the (migrated) database at ``url``."""
    uows = SqlUnitOfWorkFactory(make_engine(url))
    try:
        await import_catalog(uows, read_catalog(demo_catalog_path()))
    finally:
        await uows.dispose()


class SqliteTemplates:
    """Two SQLite files in ``folder``, each made on first use: migrated, and migrated with the
    demo catalog imported."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._lock = threading.Lock()
        self._made: dict[bool, Path] = {}

    def template(self, demo: bool) -> Path:
        with self._lock:
            return self._template(demo)

    def _template(self, demo: bool) -> Path:
        if demo in self._made:
            return self._made[demo]
        path = self.folder / ("demo.db" if demo else "migrated.db")
        if demo:
            _copy(self._template(False), path)
            run_aside(lambda: import_demo(sqlite_url(path)))
        else:
            run_aside(lambda: migrate(sqlite_url(path)))
        # The engine is gone: SQLite checkpointed its write-ahead log into the file at the
        # last close and removed it, so the file alone is the whole database.
        wal = path.with_name(path.name + "-wal")
        assert not wal.exists() or wal.stat().st_size == 0, f"{wal} was left behind"
        self._made[demo] = path
        return path

    def copy(self, dest: Path, *, demo: bool = False) -> str:
        _copy(self.template(demo), dest)
        return sqlite_url(dest)


def _copy(template: Path, dest: Path) -> None:
    """``template``'s bytes at ``dest``, a file only its owner may read or write."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    for side in SQLITE_SIDE_FILES:  # a log of another database must not be replayed into it
        dest.with_name(dest.name + side).unlink(missing_ok=True)
    fd = os.open(dest, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, PRIVATE)
    os.close(fd)
    shutil.copyfile(template, dest)  # writes into the file above, whose mode it keeps
    os.chmod(dest, PRIVATE)


_templates: SqliteTemplates | None = None


def use_folder(folder: Path) -> None:
    """Where this test session keeps its SQLite templates (pytest's session temp folder)."""
    global _templates
    _templates = SqliteTemplates(folder)


def sqlite_database(path: Path, *, demo: bool = False) -> str:
    """A migrated SQLite database at ``path`` (holding the demo catalog if ``demo``), copied
    from this session's template; its URL."""
    global _templates
    if _templates is None:  # outside a pytest session (the harness used on its own)
        _templates = SqliteTemplates(Path(tempfile.mkdtemp(prefix="storefront-templates-")))
    return _templates.copy(path, demo=demo)


class PostgresTemplates:
    """Template databases on the PostgreSQL server of ``admin_url`` (a database there that
    serves for ``CREATE DATABASE``), each made on first use: migrated, and migrated with the
    demo catalog. ``copy`` makes a database of a test's own from one; ``drop`` removes it in
    the background; ``close`` waits for the drops and drops the templates."""

    def __init__(self, admin_url: str) -> None:
        base = make_url(admin_url)
        self._base = base
        self._admin_dsn = base.set(drivername="postgresql").render_as_string(hide_password=False)
        self.prefix = f"storefront_test_{uuid.uuid4().hex[:8]}"
        self._templates: dict[bool, str] = {}
        self._lock = threading.Lock()
        self._dropping = ThreadPoolExecutor(max_workers=1, thread_name_prefix="drop-database")
        self._drops: list[Future[None]] = []

    def url(self, name: str) -> str:
        return self._base.set(database=name).render_as_string(hide_password=False)

    async def _admin(self, *statements: str) -> None:
        import asyncpg

        conn = await asyncpg.connect(self._admin_dsn)
        try:
            for sql in statements:
                await conn.execute(sql)
        finally:
            await conn.close()

    def template(self, demo: bool) -> str:
        with self._lock:
            return self._template(demo)

    def _template(self, demo: bool) -> str:
        if demo in self._templates:
            return self._templates[demo]
        name = f"{self.prefix}_{'demo' if demo else 'migrated'}"
        if demo:
            plain = self._template(False)
            run_aside(lambda: self._admin(f'CREATE DATABASE "{name}" TEMPLATE "{plain}"'))
            run_aside(lambda: import_demo(self.url(name)))
        else:
            run_aside(lambda: self._admin(f'CREATE DATABASE "{name}"'))
            run_aside(lambda: migrate(self.url(name)))
        # The engine that made it is disposed; from now on nobody may connect to it (a database
        # with a session open cannot be copied), not even a test by mistake.
        run_aside(lambda: self._admin(f'ALTER DATABASE "{name}" WITH ALLOW_CONNECTIONS false'))
        self._templates[demo] = name
        return name

    async def copy(self, *, demo: bool = False) -> str:
        """A new database of a test's own, a copy of a template; its URL."""
        template = self.template(demo)
        name = f"{self.prefix}_{uuid.uuid4().hex[:10]}"
        await self._admin(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
        return self.url(name)

    def drop(self, url: str) -> None:
        """Drop the database at ``url`` (closing what is still connected) while tests go on."""
        sql = f'DROP DATABASE IF EXISTS "{make_url(url).database}" WITH (FORCE)'
        self._drops.append(self._dropping.submit(lambda: asyncio.run(self._admin(sql))))

    def close(self) -> None:
        self._dropping.shutdown(wait=True)
        for drop in self._drops:
            drop.result()
        names = list(self._templates.values())
        if names:
            run_aside(
                lambda: self._admin(
                    *(f'DROP DATABASE IF EXISTS "{n}" WITH (FORCE)' for n in names)
                )
            )
