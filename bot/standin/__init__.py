"""A local stand-in for the Telegram Bot API, for end-to-end tests, benchmarks and the sandbox.

Real aiogram and python-telegram-bot clients talk to it over HTTP; it checks every call against
the Bot API description and behaves like Telegram where bots usually get it wrong.

Names are imported lazily so that ``python -m bot.standin.spec`` runs without importing the
server (and without runpy's warning about a pre-imported module).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.standin.call_log import RecordedCall
    from bot.standin.chat_store import ChatEvent
    from bot.standin.errors import ApiError
    from bot.standin.server import BotApiStandIn
    from bot.standin.simulation import SimChat, SimUser
    from bot.standin.spec import BotApiSpec

_EXPORTS = {
    "ApiError": "bot.standin.errors",
    "BotApiSpec": "bot.standin.spec",
    "BotApiStandIn": "bot.standin.server",
    "ChatEvent": "bot.standin.chat_store",
    "RecordedCall": "bot.standin.call_log",
    "SimChat": "bot.standin.simulation",
    "SimUser": "bot.standin.simulation",
}

__all__ = [
    "ApiError",
    "BotApiSpec",
    "BotApiStandIn",
    "ChatEvent",
    "RecordedCall",
    "SimChat",
    "SimUser",
]


def __getattr__(name: str) -> object:
    """Import an exported name on first use."""
    module = _EXPORTS.get(name)
    if module is None:
        msg = f"module 'bot.standin' has no attribute {name!r}"
        raise AttributeError(msg)
    return getattr(importlib.import_module(module), name)
