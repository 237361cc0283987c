"""``storefront sandbox``: the whole shop against the local Bot API stand-in, in a terminal.

``terminal`` runs the session; ``shop`` starts and stops what it talks to; ``commands`` reads
what the person types; ``render`` and ``feed`` turn the bot's messages into lines to print.
Nothing is imported here, so ``import bot.sandbox`` stays cheap for the CLI.
"""
