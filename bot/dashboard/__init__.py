"""The merchant dashboard: a Telegram Mini App served by the shop's own web server."""
