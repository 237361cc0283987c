"""Logging set-up: readable text by default, one JSON object per line with LOG_FORMAT=json.

Every line carries the update id, chat id and order id it concerns, where known: the adapters
and the storefront set them for the update being handled (``log_context``, ``bind_order``), in
a context variable, so concurrent updates never mix. What a buyer types into a payment sheet
(phone number, address, email) is not logged; as a safety net, such fields are masked in any
line that quotes them (a framework's debug dump of an update).
"""

from __future__ import annotations

import contextlib
import json
import logging
import re
from collections.abc import Iterator
from contextvars import ContextVar
from datetime import UTC, datetime
from types import TracebackType

_update_id: ContextVar[int | None] = ContextVar("log_update_id", default=None)
_chat_id: ContextVar[int | None] = ContextVar("log_chat_id", default=None)
_order_id: ContextVar[int | None] = ContextVar("log_order_id", default=None)
_FIELDS = (("update_id", _update_id), ("chat_id", _chat_id), ("order_id", _order_id))

#: Payment-sheet fields (OrderInfo, ShippingAddress) as a dict, JSON or object repr shows them.
_PERSONAL = re.compile(
    r"""(?P<key>['"]?\b(?:phone_number|email|street_line1|street_line2|post_code|city|state"""
    r"""|shipping_address|order_info)['"]?\s*[:=]\s*)"""
    r"""(?P<value>'[^']*'|"[^"]*"|[A-Za-z]*\([^)]*\)|\{[^}]*\}|[^,)}\s]+)"""
)


@contextlib.contextmanager
def log_context(update_id: int | None = None, chat_id: int | None = None) -> Iterator[None]:
    """Lines logged inside name this update and chat (and an order bound meanwhile)."""
    tokens = (_update_id.set(update_id), _chat_id.set(chat_id), _order_id.set(None))
    try:
        yield
    finally:
        for (_, var), token in zip(_FIELDS, tokens, strict=True):
            var.reset(token)


def bind_update(update_id: int | None, chat_id: int | None) -> None:
    """Name this update and chat in the lines logged from here on (in this task)."""
    if update_id is not None:
        _update_id.set(update_id)
    if chat_id is not None:
        _chat_id.set(chat_id)


def bind_order(order_id: int | None) -> None:
    """Name this order in the lines logged from here on (in this task)."""
    if order_id is not None:
        _order_id.set(order_id)


@contextlib.contextmanager
def order_context(order_id: int) -> Iterator[None]:
    """Lines logged inside name this order (work outside an update: refunds, captures)."""
    token = _order_id.set(order_id)
    try:
        yield
    finally:
        _order_id.reset(token)


def mask_personal(text: str) -> str:
    """``text`` with the values of phone, email and address fields replaced by ``***``."""
    if not any(key in text for key in ("phone", "email", "street", "post_code", "address")):
        return text
    return _PERSONAL.sub(lambda m: f"{m.group('key')}***", text)


class ContextFilter(logging.Filter):
    """Puts the update, chat and order ids on each record; masks personal fields."""

    def filter(self, record: logging.LogRecord) -> bool:
        for name, var in _FIELDS:
            if getattr(record, name, None) is None:
                setattr(record, name, var.get())
        message = record.getMessage()
        masked = mask_personal(message)
        if masked != message:
            record.msg, record.args = masked, None
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for name, _ in _FIELDS:
            value = getattr(record, name, None)
            if value is not None:
                entry[name] = value
        if record.exc_info:
            entry["error"] = mask_personal(self.formatException(record.exc_info))
        return json.dumps(entry, ensure_ascii=False)


class TextFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        ids = " ".join(
            f"{name.removesuffix('_id')}={value}"
            for name, _ in _FIELDS
            if (value := getattr(record, name, None)) is not None
        )
        return f"{line} [{ids}]" if ids else line

    def formatException(  # noqa: N802
        self,
        ei: tuple[type[BaseException], BaseException, TracebackType | None]
        | tuple[None, None, None],
    ) -> str:
        return mask_personal(super().formatException(ei))


def configure_logging(level: str = "INFO", fmt: str = "text") -> None:
    handler = logging.StreamHandler()
    if fmt == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(TextFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(ContextFilter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    # Each framework logs every poll at INFO; keep the shop's own lines readable. matplotlib,
    # imported when a command builds the app (after this), says at INFO that it made its font
    # cache: a line on a command's stderr that used to be one clear line.
    for noisy in (
        "aiogram.event",
        "httpx",
        "apscheduler.executors.default",
        "alembic",
        "matplotlib",
    ):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    # Their debug lines quote whole requests and answers (a receipt with the buyer's address,
    # the update with their phone number): never below INFO, even with LOG_LEVEL=DEBUG.
    for chatty in (
        "telegram",
        "aiogram",
        "httpcore",
        "aiohttp",
        "sqlalchemy",
        "aiosqlite",
        "asyncpg",
    ):
        if logging.getLogger(chatty).getEffectiveLevel() < logging.INFO:
            logging.getLogger(chatty).setLevel(logging.INFO)
