"""Alembic environment: SQLModel's metadata, async engines, batch mode for SQLite.

``storefront migrate`` passes an open connection in ``config.attributes["connection"]``; the
plain ``alembic`` command (with alembic.ini) makes its own engine from ``DATABASE_URL``.
"""

from __future__ import annotations

import asyncio
import os
from typing import Any

from alembic import context
from sqlalchemy import MetaData
from sqlalchemy.engine import Connection

from storage.engine import make_engine

config = context.config


def _target_metadata() -> MetaData | None:
    """The tables, which only ``alembic revision --autogenerate`` (the plain ``alembic``
    command) compares against; ``storefront migrate`` (a connection passed in) only applies
    the revisions, which need none, and so does not import every table module."""
    if config.attributes.get("connection") is not None:
        return None
    from storage.tables import metadata

    return metadata


def _configure(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=_target_metadata(),
        compare_type=True,
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()


async def _run_async(url: str) -> None:
    engine = make_engine(url, statement_timeout=None)  # a migration may rewrite large tables
    try:
        async with engine.connect() as connection:
            await connection.run_sync(_configure)
            await connection.commit()
    finally:
        await engine.dispose()


def run() -> None:
    connection: Any = config.attributes.get("connection")
    if connection is not None:
        _configure(connection)
        return
    url = os.environ.get("DATABASE_URL") or config.get_main_option("sqlalchemy.url")
    if not url:
        raise SystemExit("Set DATABASE_URL (e.g. sqlite+aiosqlite:///storefront.db)")
    asyncio.run(_run_async(url))


if context.is_offline_mode():
    context.configure(
        url=config.get_main_option("sqlalchemy.url"), target_metadata=_target_metadata()
    )
    with context.begin_transaction():
        context.run_migrations()
else:
    run()
