"""The type of Bot API JSON objects handed to tests and the sandbox.

Updates, messages and recorded parameters are nested JSON that callers index into freely
(``update["callback_query"]["message"]["message_id"]``); typing them ``dict[str, Any]`` keeps
that readable under strict mypy, while the server's internals stay on ``dict[str, object]``.
"""

from __future__ import annotations

from typing import Any

JsonObject = dict[str, Any]
