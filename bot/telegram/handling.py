"""What both adapters do with an update once their framework has parsed it into an event.

The aiogram router and the python-telegram-bot handlers differ only in how they read an update
and which ``Sender`` they build; handling the event, delivering its replies and closing the
update (``Storefront.finish_update``) are the same and live here.
"""

from __future__ import annotations

from bot.conversation.delivery import deliver
from bot.conversation.events import Event
from bot.conversation.storefront import Storefront
from bot.telegram.sending import BotApiSender


async def bot_username(storefront: Storefront, sender: BotApiSender) -> str | None:
    """The bot's @username, asked of the framework once and then kept in the shop's config
    (deep links and inline sharing need it)."""
    if storefront.config.bot_username is None:
        storefront.config.bot_username = await sender.username()
    return storefront.config.bot_username


async def run_update(
    storefront: Storefront, sender: BotApiSender, update_id: int, event: Event | None
) -> None:
    """Handle one update's event (none: a kind the shop ignores), send its replies, and close
    the update whatever happened, saying whether every reply reached Telegram."""
    delivered = False
    try:
        if event is not None:
            replies = await storefront.handle(event)
            delivered = await deliver(replies, sender, storefront.remember_file_id)
    finally:
        await storefront.finish_update(update_id, delivered=delivered)
