"""``storefront sandbox``: the whole shop against the local Bot API stand-in, in a terminal.

``terminal`` runs the session; ``shop`` starts and stops what it talks to (the shop as
``storefront run`` runs it, background work included); ``people`` are the demo people and their
group; ``commands`` reads what the person types; ``render`` and ``feed`` turn the bot's messages
into lines to print; ``media`` saves the files the bot sends and reads the ones a person sends.
Nothing is imported here, so ``import bot.sandbox`` stays cheap for the CLI.
"""
