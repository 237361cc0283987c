"""The conversation: events in, neutral replies out. Knows no framework.

Both adapters (aiogram and python-telegram-bot) translate Telegram updates into
``bot.conversation.events`` and deliver ``bot.conversation.replies`` as Bot API calls.
"""
