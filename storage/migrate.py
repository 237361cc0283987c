"""Run Alembic from inside the application, and tell whether a database's schema is current."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

import migrations

MIGRATIONS_DIR = Path(migrations.__file__).resolve().parent


def alembic_config() -> Config:
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


def _status(connection: Connection) -> SchemaStatus:
    script = ScriptDirectory.from_config(alembic_config())
    current = MigrationContext.configure(connection).get_current_revision()
    return SchemaStatus(current=current, head=script.get_current_head())


async def schema_status(engine: AsyncEngine) -> SchemaStatus:
    async with engine.connect() as connection:
        return await connection.run_sync(_status)


def _upgrade(connection: Connection, revision: str) -> None:
    config = alembic_config()
    config.attributes["connection"] = connection
    command.upgrade(config, revision)


async def upgrade(engine: AsyncEngine, revision: str = "head") -> SchemaStatus:
    """Apply migrations up to ``revision`` in one transaction; the resulting status."""
    async with engine.begin() as connection:
        await connection.run_sync(_upgrade, revision)
    return await schema_status(engine)
