"""The flood gate in front of the update handlers, in both run modes: ``Throttle.admit``.

``await throttle.admit(update)`` (the raw update, before it is parsed or queued) answers
True (handle it) or False (it was acknowledged and dropped). Webhook mode answers a dropped
update 200 at once; the polling inbox marks it done. Either way a flood of one chat costs a
dictionary look-up per update (or one Redis script), never a database transaction or a place
in the queue.

- A chat's rate is ``bot.domain.flood``'s token bucket (``FLOOD_RATE`` updates per
  ``FLOOD_WINDOW_SECONDS``); the counts live in this process (``LocalFloodCounts``) or, with
  ``REDIS_URL``, in Redis for every process (``storage.redis_flood.RedisFloodCounts``).
- **Never dropped, never counted**: what money rides on or a payment needs answered in time —
  ``pre_checkout_query`` and ``shipping_query`` (Telegram cancels the payment if they go
  unanswered), and messages carrying ``successful_payment`` or ``refunded_payment``. So is an
  update that names no chat and no person: there is nothing to count it against.
- The first dropped update of a flood episode sends the slow-down notice, once, in the
  person's language, through ``Storefront.slow_down`` (a message in the chat; for a pressed
  button, an alert on the press; nothing for an inline query). It goes out in the background,
  so the drop is still answered at once.
- **A dropped button press still gets an empty ``answerCallbackQuery``**: without it the
  button spins for seconds and the person presses again, feeding the flood. It is one Bot API
  call, no database, presses come from fingers (a few a second at most), and at most
  ``max_background`` such calls are in flight (past that, the press is left to spin).
- Counting fails open: if the counts cannot be read (Redis fails and so does its fallback),
  the update is handled.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections.abc import Callable, Coroutine
from typing import Any

from bot.conversation.delivery import Sender, deliver
from bot.conversation.events import Person
from bot.conversation.replies import AnswerCallback
from bot.conversation.storefront import Storefront
from bot.domain.flood import FloodCounts, FloodLimiter, FloodRule, Verdict
from bot.telegram.lanes import lane_key, update_kind
from bot.telegram.metrics import ShopMetrics

log = logging.getLogger(__name__)

#: Update types a payment needs answered, never dropped.
_PAYMENT_QUERIES = ("pre_checkout_query", "shipping_query")
#: Message fields that carry money.
_PAYMENT_MESSAGES = ("successful_payment", "refunded_payment")
#: Slow-down notices and empty press answers in flight at most (a bound, not a queue).
MAX_BACKGROUND = 64


class LocalFloodCounts:
    """The buckets in this process (``FloodCounts``): each process counts alone."""

    def __init__(self, rule: FloodRule, clock: Callable[[], float] = time.monotonic) -> None:
        self.rule = rule
        self.limiter = FloodLimiter(rule)
        self._clock = clock

    async def hit(self, chat_id: int) -> Verdict:
        return self.limiter.hit(chat_id, self._clock())


def carries_payment(update: dict[str, Any]) -> bool:
    """Whether dropping the update could lose money or break a payment."""
    if any(kind in update for kind in _PAYMENT_QUERIES):
        return True
    message = update.get("message")
    return isinstance(message, dict) and any(f in message for f in _PAYMENT_MESSAGES)


def _person(update: dict[str, Any]) -> Person | None:
    body = next((v for k, v in update.items() if k != "update_id"), None)
    sender = body.get("from") if isinstance(body, dict) else None
    if not isinstance(sender, dict) or not isinstance(sender.get("id"), int):
        return None
    language = sender.get("language_code")
    return Person(
        sender["id"],
        str(sender.get("first_name") or ""),
        sender.get("username") if isinstance(sender.get("username"), str) else None,
        language if isinstance(language, str) else None,
    )


def _callback_id(update: dict[str, Any]) -> str | None:
    query = update.get("callback_query")
    if isinstance(query, dict) and isinstance(query.get("id"), str):
        return str(query["id"])
    return None


def _chat_of_message(update: dict[str, Any]) -> int | None:
    """The chat a dropped message came from (where the notice goes)."""
    message = update.get("message")
    chat = message.get("chat") if isinstance(message, dict) else None
    if isinstance(chat, dict) and isinstance(chat.get("id"), int):
        return int(chat["id"])
    return None


class Throttle:
    """``admit`` for the polling inbox and the webhook server (see the module's notes)."""

    def __init__(
        self,
        counts: FloodCounts,
        storefront: Storefront,
        sender: Sender,
        metrics: ShopMetrics | None = None,
        *,
        max_background: int = MAX_BACKGROUND,
    ) -> None:
        self.counts = counts
        self.storefront = storefront
        self.sender = sender
        self.metrics = metrics
        self.max_background = max_background
        self._background: set[asyncio.Task[None]] = set()
        #: Dropped updates and notices sent by this process (also in ``metrics``).
        self.dropped = 0
        self.warned = 0

    async def admit(self, update: dict[str, Any]) -> bool:
        """True: handle the update. False: it is over its chat's rate, acknowledged and
        dropped (counted; the chat is told once per episode)."""
        if carries_payment(update):
            return True
        key = lane_key(update)
        if not isinstance(key, tuple) or key[0] != "chat":
            return True
        try:
            verdict = await self.counts.hit(int(key[1]))
        except Exception:
            log.exception("flood counts unreadable; update %s handled", update.get("update_id"))
            return True
        if verdict is Verdict.HANDLE:
            return True
        self.dropped += 1
        update_id = update.get("update_id")
        kind = update_kind(update)
        if self.metrics is not None:
            self.metrics.updates.labels(kind, "dropped").inc()
        if verdict is Verdict.WARN:
            self.warned += 1
            if self.metrics is not None:
                self.metrics.flood_notices.inc()
            log.info("chat %s is over its rate: told to slow down; its excess is dropped", key[1])
            self._spawn(self._warn(update), always=True)
        elif (callback_id := _callback_id(update)) is not None:
            self._spawn(self._answer(callback_id, update_id))
        else:
            self._done(update_id)
        return False

    async def close(self) -> None:
        """Wait for the notices and answers in flight (before the bot's session closes)."""
        while self._background:
            await asyncio.gather(*list(self._background), return_exceptions=True)

    # -- in the background ------------------------------------------------------------------

    def _spawn(self, work: Coroutine[Any, Any, None], *, always: bool = False) -> None:
        if not always and len(self._background) >= self.max_background:
            work.close()  # the press spins a little longer; nothing else is lost
            return
        task = asyncio.get_running_loop().create_task(work)
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    async def _warn(self, update: dict[str, Any]) -> None:
        update_id = update.get("update_id")
        try:
            person = _person(update)
            if person is None:
                return
            replies = await self.storefront.slow_down(
                person,
                chat_id=_chat_of_message(update),
                callback_id=_callback_id(update),
                seconds=math.ceil(self.counts.rule.window),
            )
            await deliver(replies, self.sender)
        except Exception:
            log.exception("the slow-down notice for update %s was not sent", update_id)
        finally:
            self._done(update_id)

    async def _answer(self, callback_id: str, update_id: object) -> None:
        try:
            await deliver([AnswerCallback(callback_id)], self.sender)
        except Exception:
            log.warning("a dropped press was not answered", exc_info=True)
        finally:
            self._done(update_id)

    def _done(self, update_id: object) -> None:
        if isinstance(update_id, int):
            self.storefront.update_done(update_id)
