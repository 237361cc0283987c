"""Adapters: the only code that knows aiogram or python-telegram-bot.

Each turns Telegram updates into ``bot.conversation.events`` and delivers replies through its
framework's ``Bot``. No shop logic lives here.
"""
