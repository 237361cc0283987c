"""Run Alembic from inside the application, and tell whether a database's schema is current.

Telling needs no Alembic: the bot reads the revision in ``alembic_version`` and compares it
with ``HEAD``, so ``storefront run`` starts without importing Alembic (its templates and
every migration script). ``tests/storage/test_storage.py`` checks ``HEAD`` is the scripts'
head: a new migration moves it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

import migrations

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS_DIR = Path(migrations.__file__).resolve().parent
#: The newest revision under ``migrations/versions`` (the one this code needs).
HEAD = "0012"
#: Where Alembic keeps a database's revision (its default; ``migrations/env.py`` keeps it).
VERSION_TABLE = "alembic_version"


def alembic_config() -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    return config


@dataclass(frozen=True, slots=True)
class SchemaStatus:
    current: str | None
    head: str | None

    @property
    def is_current(self) -> bool:
        return self.current == self.head


def _current(connection: Connection) -> str | None:
    """The database's revision (None: never migrated; several heads read as one joined name,
    which is never current)."""
    if not inspect(connection).has_table(VERSION_TABLE):
        return None
    rows = connection.execute(text(f"SELECT version_num FROM {VERSION_TABLE}")).scalars().all()
    return ",".join(sorted(str(row) for row in rows)) or None


async def schema_status(engine: AsyncEngine) -> SchemaStatus:
    async with engine.connect() as connection:
        current = await connection.run_sync(_current)
    return SchemaStatus(current=current, head=HEAD)


def _upgrade(connection: Connection, revision: str) -> None:
    from alembic import command

    config = alembic_config()
    config.attributes["connection"] = connection
    command.upgrade(config, revision)


async def upgrade(engine: AsyncEngine, revision: str = "head") -> SchemaStatus:
    """Apply migrations up to ``revision`` in one transaction; the resulting status."""
    async with engine.begin() as connection:
        await connection.run_sync(_upgrade, revision)
    return await schema_status(engine)
