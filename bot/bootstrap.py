"""The composition root: settings -> engine -> unit of work -> storefront. Nothing at import."""

from __future__ import annotations

from dataclasses import dataclass

from bot.config import Settings
from bot.conversation.storefront import Storefront
from bot.conversation.turn import ShopConfig
from storage.engine import make_engine
from storage.migrate import schema_status
from storage.unit_of_work import SqlUnitOfWorkFactory


class SchemaBehind(RuntimeError):
    """The database has not been migrated to this version of the bot."""


@dataclass(slots=True)
class App:
    settings: Settings
    uows: SqlUnitOfWorkFactory
    storefront: Storefront

    async def close(self) -> None:
        await self.uows.dispose()


async def build_app(settings: Settings, *, require_current_schema: bool = True) -> App:
    """Wire the shop; refuse (``SchemaBehind``) to run on a database that is not migrated."""
    engine = make_engine(settings.database_url)
    if require_current_schema:
        status = await schema_status(engine)
        if not status.is_current:
            await engine.dispose()
            raise SchemaBehind(
                f"The database schema is at {status.current or 'nothing (empty database)'}, "
                f"this bot needs {status.head}. Run `storefront migrate` first."
            )
    uows = SqlUnitOfWorkFactory(engine)
    config = ShopConfig(
        shop_name=settings.shop_name,
        default_locale=settings.default_locale,
        max_per_line=settings.max_quantity_per_line,
    )
    return App(settings, uows, Storefront(uows, config))
