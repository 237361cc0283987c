"""Run Alembic from inside the application, and tell whether a database's schema is current.

Telling needs no Alembic: the bot reads the revision in ``alembic_version`` and compares it
with ``head_revision()``, read from the scripts' ``revision``/``down_revision`` lines as text,
so ``storefront run`` starts without importing Alembic (its templates and every migration
script). ``tests/storage/test_storage.py`` checks it is the head Alembic finds.
"""

from __future__ import annotations

import functools
import re
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
VERSIONS_DIR = MIGRATIONS_DIR / "versions"
_REVISION = re.compile(r'^(down_revision|revision)\b[^=\n]*=\s*(?:"([^"]*)"|None)', re.M)
#: Where Alembic keeps a database's revision (its default; ``migrations/env.py`` keeps it).
VERSION_TABLE = "alembic_version"


@functools.cache
def head_revision() -> str | None:
    """The revision no script revises (the newest one, which this code needs), or several
    joined when the scripts branch (never current: ``storefront migrate`` says so)."""
    revisions: set[str] = set()
    revised: set[str] = set()
    for script in VERSIONS_DIR.glob("*.py"):
        for name, value in _REVISION.findall(script.read_text(encoding="utf-8")):
            if value:
                (revisions if name == "revision" else revised).add(value)
    return ",".join(sorted(revisions - revised)) or None


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
    return SchemaStatus(current=current, head=head_revision())


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
