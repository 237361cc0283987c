"""The local Bot API stand-in: an aiohttp server that real aiogram and python-telegram-bot
clients talk to instead of api.telegram.org.

It serves ``/bot<token>/<method>`` and ``/file/bot<token>/<path>``, checks every call against
the Bot API description, keeps realistic state (chats, messages, files, updates, payments) and
lets tests play the people on the other side, inject faults and wait for the bot's calls.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any

from aiohttp import web

from bot.standin.call_log import CallLog, CallPredicate, RecordedCall
from bot.standin.chat_store import ChatEvent, ChatType
from bot.standin.dispatch import Envelope, MethodDispatcher
from bot.standin.errors import ApiError
from bot.standin.faults import FaultInjector
from bot.standin.file_store import FileStore
from bot.standin.json_types import JsonObject
from bot.standin.listener import LocalListener
from bot.standin.request_decoding import RawRequest, read_request
from bot.standin.simulation import SimChat, SimUser, new_user, random_user_id
from bot.standin.spec import BotApiSpec
from bot.standin.state import StandInState
from bot.standin.webhook_delivery import WebhookDelivery

_log = logging.getLogger(__name__)
MAX_REQUEST_BYTES = 60 * 1024 * 1024


class BotApiStandIn(LocalListener):
    """A fake Telegram Bot API server with simulated people; use as ``async with``.

    ``base_url`` for the clients: aiogram ``TelegramAPIServer.from_base(base_url)``; PTB
    ``base_url=f"{base_url}/bot"``, ``base_file_url=f"{base_url}/file/bot"``."""

    _name = "Bot API stand-in"

    def __init__(
        self,
        spec: BotApiSpec | None = None,
        token: str = "123456:STANDIN",
        bot_username: str = "storefront_test_bot",
        *,
        bot_first_name: str = "Storefront",
        webhook_retry_delay: float = 0.05,
        webhook_timeout: float = 10.0,
        check_calls: bool = True,
    ) -> None:
        """``check_calls=False`` is the benchmarks' fast path: calls are not checked against
        the Bot API description (each still runs, changes the state and is recorded), so the
        stand-in spends less of a shared machine than the bots it measures."""
        super().__init__()
        self.spec = spec or BotApiSpec.default()
        self.token = token
        prefix = token.split(":", 1)[0]
        bot_id = int(prefix) if prefix.isdigit() else 123456
        bot_from = {
            "id": bot_id,
            "is_bot": True,
            "first_name": bot_first_name,
            "username": bot_username,
        }
        bot_profile: dict[str, object] = {
            **bot_from,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": True,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }
        self.state = StandInState(self.spec, token, bot_from, bot_profile)
        self.violations: list[str] = []
        self.faults = FaultInjector()
        self._log = CallLog()
        self._dispatcher = MethodDispatcher(
            self.state, self.faults, self._log, self.violations, check_calls=check_calls
        )
        self.state.webhook = WebhookDelivery(
            self.state.updates,
            self._webhook_reply,
            retry_delay=webhook_retry_delay,
            timeout=webhook_timeout,
        )

    # Lifecycle --------------------------------------------------------------------------

    def _application(self) -> web.Application:
        app = web.Application(client_max_size=MAX_REQUEST_BYTES)
        app.router.add_route("*", "/bot{token}/{method}", self._handle_api)
        app.router.add_get("/file/bot{token}/{file_path:.+}", self._handle_file)
        return app

    def _started(self) -> None:
        self.state.updates.closing = False

    async def _stopping(self) -> None:
        """Answer pending long polls and stop webhook delivery (``stop`` then closes)."""
        self.state.updates.close()
        assert self.state.webhook is not None
        await self.state.webhook.close()

    @property
    def bot_id(self) -> int:
        """The bot's user id."""
        return self.state.bot_id

    # HTTP ---------------------------------------------------------------------------------

    async def _handle_api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        try:
            raw = await read_request(request)
        except ApiError as error:
            return _json(error.error_code, error.payload())
        except Exception as exc:  # a request the stand-in cannot read is its bug or the bot's
            _log.exception("unreadable request for %s", method)
            self.violations.append(f"{method}: unreadable request {exc!r}")
            return _json(400, ApiError(400, f"Bad Request: unreadable request {exc!r}").payload())
        if request.match_info["token"] != self.token:
            status, body = self._dispatcher.record_unauthorized(method, raw)
        else:
            status, body = await self._dispatcher.execute(method, raw)
        return _json(status, body)

    async def _handle_file(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return _json(401, ApiError(401, "Unauthorized").payload())
        stored = self.state.files.by_path(request.match_info["file_path"])
        if stored is None or stored.content is None:
            return _json(404, ApiError(404, "Not Found").payload())
        return web.Response(
            body=stored.content, content_type=stored.mime_type or "application/octet-stream"
        )

    async def _webhook_reply(self, body: dict[str, object]) -> None:
        fields = {key: value for key, value in body.items() if key != "method"}
        await self._dispatcher.execute(str(body["method"]), RawRequest(fields, {}))

    async def call(self, method: str, **params: object) -> Any:
        """Run a Bot API method in-process (recorded and checked like an HTTP call)."""
        status, body = await self._dispatcher.execute(method, RawRequest(dict(params), {}))
        if not body.get("ok"):
            raise ApiError(status, str(body.get("description")))
        return body.get("result")

    # Recorded calls -----------------------------------------------------------------------

    @property
    def calls(self) -> list[RecordedCall]:
        """Every call answered so far, in order."""
        return self._log.calls

    def calls_named(self, method: str) -> list[RecordedCall]:
        """Calls of one method (any letter case), oldest first."""
        return self._log.named(method)

    async def wait_for_call(
        self,
        method: str,
        predicate: CallPredicate | None = None,
        timeout: float = 5.0,
        *,
        after: int = 0,
    ) -> RecordedCall:
        """The first matching call (from position ``after``), recorded now or later."""
        return await self._log.wait_for(method, predicate, timeout, after=after)

    def clear_calls(self) -> None:
        """Forget recorded calls and violations (e.g. after a scenario's set-up)."""
        self._log.clear()
        self.violations.clear()

    # Files ----------------------------------------------------------------------------------

    @property
    def files(self) -> FileStore:
        """Files minted so far."""
        return self.state.files

    @property
    def uploads(self) -> int:
        """How many files were uploaded as bytes (reusing a file_id does not count)."""
        return self.state.files.uploads

    # Chats and people -----------------------------------------------------------------------

    def user(
        self,
        user_id: int,
        first_name: str = "Ann",
        *,
        username: str | None = None,
        language_code: str | None = "en",
        last_name: str | None = None,
    ) -> SimUser:
        """A simulated person (also known to getChatMember)."""
        return new_user(
            self.state,
            user_id,
            first_name,
            username=username,
            language_code=language_code,
            last_name=last_name,
        )

    def private_chat(
        self,
        user_id: int,
        first_name: str = "Ann",
        language_code: str = "en",
        username: str | None = None,
    ) -> SimChat:
        """The private chat between a new person and the bot."""
        person = self.user(user_id, first_name, username=username, language_code=language_code)
        chat: dict[str, object] = {"id": user_id, "type": "private", "first_name": first_name}
        if username:
            chat["username"] = username
        return SimChat(self.state, self.state.chats.add(chat, "private"), person)

    def group_chat(
        self, chat_id: int, title: str = "Group", *, default_user: SimUser | None = None
    ) -> SimChat:
        """A group (ids below -10**12 become supergroups, as Telegram numbers them)."""
        if chat_id >= 0:
            msg = "group chat ids are negative"
            raise ValueError(msg)
        chat_type: ChatType = "supergroup" if chat_id <= -(10**12) else "group"
        record = self.state.chats.add(
            {"id": chat_id, "type": chat_type, "title": title}, chat_type
        )
        member = default_user or self.user(random_user_id(), "Member")
        return SimChat(self.state, record, member)

    def channel_chat(
        self, chat_id: int, title: str = "Channel", *, username: str | None = None
    ) -> SimChat:
        """A channel the bot posts to (posts carry ``sender_chat``, not ``from``)."""
        chat: dict[str, object] = {"id": chat_id, "type": "channel", "title": title}
        if username:
            chat["username"] = username
        return SimChat(self.state, self.state.chats.add(chat, "channel"), None)

    def add_listener(self, listener: Callable[[ChatEvent], None]) -> None:
        """Be told about every message sent, edited, deleted or received (the sandbox UI)."""
        self.state.chats.add_listener(listener)

    # Updates ----------------------------------------------------------------------------------

    def push_update(self, update: JsonObject) -> JsonObject:
        """Queue a raw update; the next update_id is assigned unless the dict has one."""
        return self.state.updates.push(update)

    @property
    def pending_updates(self) -> int:
        """Updates not yet confirmed."""
        return len(self.state.updates)

    @property
    def updates_confirmed(self) -> int:
        """The highest update_id the bot has confirmed (offset or webhook 2xx)."""
        return self.state.updates.confirmed

    async def wait_until_confirmed(self, update_id: int, timeout: float = 5.0) -> None:
        """Wait for the bot to confirm ``update_id``."""
        await self.state.updates.wait_confirmed(update_id, timeout)

    def webhook_info(self) -> JsonObject:
        """What getWebhookInfo would answer now."""
        assert self.state.webhook is not None
        return self.state.webhook.info()

    # Faults ------------------------------------------------------------------------------------

    def fail_next(
        self,
        method: str,
        *,
        error_code: int = 429,
        description: str | None = None,
        retry_after: int | None = None,
        chat_id: int | str | None = None,
        times: int = 1,
    ) -> None:
        """Make the next ``times`` calls of ``method`` (``"*"`` = any) fail like Telegram."""
        self.faults.fail_next(
            method,
            error_code=error_code,
            description=description,
            retry_after=retry_after,
            chat_id=chat_id,
            times=times,
        )

    def deny_pins(self, chat_id: int | str, denied: bool = True) -> None:
        """The bot loses (or, ``denied=False``, gets back) the right to pin in this chat:
        pinChatMessage and unpinChatMessage answer "not enough rights" meanwhile."""
        self.state.chats.resolve(chat_id).bot_can_pin = not denied

    def block_chat(self, chat_id: int | str) -> None:
        """Every send into this chat now answers 403 (the person blocked the bot)."""
        self.faults.block_chat(chat_id)

    def unblock_chat(self, chat_id: int | str) -> None:
        """Undo ``block_chat``."""
        self.faults.unblock_chat(chat_id)

    def rate_limit(
        self,
        per_second: float | None,
        per_chat_per_second: float | None = None,
        *,
        per_group_per_minute: float | None = None,
    ) -> None:
        """Telegram-like flood control with token buckets (None disables a limit)."""
        self.faults.rate_limit(
            per_second, per_chat_per_second, per_group_per_minute=per_group_per_minute
        )


def _json(status: int, body: Envelope) -> web.Response:
    return web.Response(
        body=json.dumps(body, ensure_ascii=False).encode("utf-8"),
        status=status,
        content_type="application/json",
    )
