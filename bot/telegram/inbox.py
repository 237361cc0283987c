"""The polling inbox: every update stored before Telegram is told, handled exactly once.

Long polling confirms updates to Telegram with the next ``getUpdates`` (its ``offset``). The
runner (``bot.telegram.runner``) stores each batch in the database in one transaction
(``accept``) and only then asks for the next, so an update Telegram forgets is always in a row
of ``inbox_update``. Rows are handled from here: through ``ChatLanes`` (one chat's updates in
order, chats side by side), each fed to the framework as raw JSON (the same ``process`` the
webhook server uses), rows left by an earlier process first (``resume``).

An update's row is closed in one of two ways:
- its transaction commits (it claimed its ``update_id``: it wrote something or sent something
  new): the same transaction marks the row handled and stores its replies
  (``Storefront.inbox``); once they were delivered, a small write marks it done;
- it commits nothing (cards paged in place, a redelivery, an apology): the small write after
  delivery marks it done. Handling such an update again changes nothing.
The marks of the second step go along with the next update's commit (``Storefront.ride_along``)
when one comes within 50 ms, else in one grouped write of their own.

What a process that dies (kill -9, power) leaves, and what the next start does:
(a) stored, not handled (or its transaction never committed): handled as if new.
(b) committed, replies not delivered: its stored replies are delivered; the update is not
    handled again (so a payment is recorded once and its stock taken once), the receipt's
    backup is cancelled as usual.
(c) delivered (or partly), not yet marked done: as (b), the replies go out again. This window
    cannot be closed (Telegram's send methods have no idempotency key): the person may see a
    reply twice. It is bounded by the updates in flight at the moment of death (at most the
    lanes' workers), counted (``storefront_inbox_replayed``) and logged.
A SIGTERM leaves none of these: fetching stops, the updates fetched finish and deliver their
replies (at most ``DRAIN_SECONDS``), their rows are marked done, and only then do the
background work and the Telegram session stop (``bot.cli``). What could not finish in time
stays in the inbox for the next start.

An unreachable database (``StorageUnavailable``) leaves the update in the inbox: its lane (its
chat) waits, and dispatch pauses until the database answers again; an update that fails so
``MAX_ATTEMPTS`` times with the database reachable between the tries is given up (logged
critical). An update that can never be handled (malformed, refused by the framework, raising
anything else after the storefront's own retries) is a poison update: marked done with its
error, logged with its ``update_id``, counted (``storefront_poison_updates``), never retried.
A process that crashes while handling an update does not count as an attempt (a crash loop is
for the supervisor to show).

``admit`` is the one hook before the framework sees an update (a per-chat flood throttle):
False acknowledges and drops the update (its row is marked done, nothing handled; the throttle
counts it, as in webhook mode).
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Awaitable, Callable, Hashable, Sequence
from dataclasses import dataclass
from typing import Any

from bot.conversation.delivery import Sender, deliver
from bot.conversation.reply_codec import load_replies
from bot.conversation.storefront import Storefront
from bot.logs import log_context
from bot.services.inbox_ports import InboxDone
from bot.services.ports import StorageUnavailable
from bot.telegram.inbox_done import DoneMarks
from bot.telegram.lanes import DEFAULT_WORKERS, ChatLanes, lane_key, update_kind
from bot.telegram.metrics import ShopMetrics

log = logging.getLogger(__name__)

#: Tries of one update that failed with the database reachable before it is given up.
MAX_ATTEMPTS = 5
#: Rows read per query when a start-up resumes what the last process left.
_PAGE = 500
#: Longest pause between two probes of an unreachable database, or two tries of an update.
_MAX_PAUSE = 30.0

Process = Callable[[dict[str, Any]], Awaitable[None]]
Admit = Callable[[dict[str, Any]], Awaitable[bool]]


def _pause(tries: int, longest: float = _MAX_PAUSE) -> float:
    """Half a second, doubling with each try, up to ``longest``."""
    return float(min(longest, 0.5 * 2 ** max(tries - 1, 0)))


@dataclass(slots=True)
class _Row:
    update_id: int
    #: The update as stored; None when the stored text is not a JSON object.
    update: dict[str, Any] | None
    attempts: int = 0
    #: Its stored replies when its transaction committed before a process stopped.
    replies: str | None = None
    error: str | None = None


class Inbox:
    """Handles stored updates through ``ChatLanes`` and closes their rows."""

    def __init__(
        self,
        storefront: Storefront,
        process: Process,
        sender: Callable[[], Sender],
        *,
        admit: Admit | None = None,
        metrics: ShopMetrics | None = None,
        workers: int = DEFAULT_WORKERS,
    ) -> None:
        self.storefront = storefront
        self.uows = storefront.uows
        self._process = process
        self._sender = sender
        self.admit = admit
        self.metrics = metrics or ShopMetrics()
        self.lanes: ChatLanes[_Row] = ChatLanes(self._work, workers=workers, name="inbox")
        self._done = DoneMarks(self.uows, storefront.clock)
        #: Updates in the lanes (submitted, not finished): a refetch of one is not new.
        self._queued: set[int] = set()
        #: Updates being handled, and those of them the storefront said it finished.
        self._active: set[int] = set()
        self._told: set[int] = set()
        storefront.on_update_done.append(self._storefront_done)
        storefront.ride_along = self._done.ride
        self._online = asyncio.Event()
        self._online.set()
        self._probe: asyncio.Task[None] | None = None
        #: Counted for the report at stop and for tests (the metrics have them by type).
        self.poisoned = 0
        self.replayed = 0

    # -- feeding ----------------------------------------------------------------------------

    @property
    def backlog(self) -> int:
        """Updates waiting or being handled."""
        return self.lanes.waiting + self.lanes.in_flight

    async def resume(self) -> int:
        """Queue what an earlier process left (oldest first, before anything new): updates
        not handled, and handled ones whose replies may not have gone out."""
        after: int | None = None
        count = 0
        while True:
            async with self.uows() as uow:
                entries = await uow.inbox.pending(_PAGE, after=after)
            for entry in entries:
                if entry.update_id in self._queued:
                    continue
                row = _Row(entry.update_id, _parse(entry.payload), entry.attempts, entry.replies)
                self._submit(row)
                count += 1
            if len(entries) < _PAGE:
                break
            after = entries[-1].update_id
        if count:
            log.info("%d update(s) left in the inbox by the last run are handled first", count)
        return count

    async def accept(self, updates: Sequence[dict[str, Any]]) -> list[int]:
        """Store fetched updates in one transaction (raises if that failed: then they must not
        be confirmed) and queue the new ones; the ids stored."""
        by_id: dict[int, dict[str, Any]] = {}
        for update in updates:
            update_id = update.get("update_id")
            if isinstance(update_id, int) and not isinstance(update_id, bool):
                by_id[update_id] = update
            else:  # Telegram never sends this; nothing to store it under
                log.error("an update without an update_id was ignored: %.200s", update)
        pairs = [(i, json.dumps(by_id[i])) for i in sorted(by_id)]
        async with self.uows() as uow:
            new = set(await uow.inbox.store(pairs, self.storefront.clock()))
            await uow.commit()
        for update_id, update in sorted(by_id.items()):
            if update_id in new:
                self._submit(_Row(update_id, update))
            elif update_id not in self._queued:
                # Stored (and done) before: Telegram sent it again. Nothing to do.
                log.info("update %s was stored before; not handled again", update_id)
                self.storefront.update_done(update_id)
        return sorted(by_id)

    def _submit(self, row: _Row) -> None:
        self._queued.add(row.update_id)
        key: Hashable = (
            lane_key(row.update) if row.update is not None else ("update", row.update_id)
        )
        self.lanes.submit(key, row)

    # -- stopping ---------------------------------------------------------------------------

    async def drain(self, timeout: float) -> bool:
        """Let every queued update finish (at most ``timeout`` seconds) and write their rows
        done; what did not finish stays in the inbox. Whether everything finished."""
        started = time.monotonic()
        finished = await self.lanes.join(timeout)
        left = await self.lanes.close()
        if left:
            log.warning(
                "%d update(s) did not finish in %.0f s; they stay in the inbox for the next start",
                len(left),
                timeout,
            )
        remaining = max(timeout - (time.monotonic() - started), 2.0)
        if not await self._done.flush(remaining):
            log.warning(
                "%d finished update(s) could not be marked done; the next start delivers their "
                "replies again",
                self._done.pending,
            )
            finished = False
        if self._probe is not None:
            self._probe.cancel()
        if self.poisoned or self.replayed:
            log.info(
                "inbox: %d poison update(s) given up, %d update(s) delivered again from the inbox",
                self.poisoned,
                self.replayed,
            )
        return finished and not left

    # -- handling ---------------------------------------------------------------------------

    def _storefront_done(self, update_id: int) -> None:
        if update_id in self._active:
            self._told.add(update_id)

    async def _work(self, row: _Row) -> None:
        key = lane_key(row.update) if row.update is not None else None
        chat = key[1] if isinstance(key, tuple) and key[0] == "chat" else None
        self._active.add(row.update_id)
        try:
            with log_context(row.update_id, chat if isinstance(chat, int) else None):
                await self._handle(row)
        finally:
            self._queued.discard(row.update_id)
            self._active.discard(row.update_id)
            if row.update_id not in self._told:  # the framework never reached our handler
                self.storefront.update_done(row.update_id)
            self._told.discard(row.update_id)

    async def _handle(self, row: _Row) -> None:
        if row.update is None:
            self._give_up(row, "the stored update is not a JSON object", "other")
            return
        kind = update_kind(row.update)
        if row.replies is not None:
            await self._replay(row, kind)
            return
        if self.admit is not None and not await self._admitted(row.update):
            # Dropped (over its chat's rate): counted by the throttle, as in webhook mode.
            self._done.add(InboxDone(row.update_id))
            return
        while True:
            await self._online.wait()
            started = time.perf_counter()
            try:
                await self._process(row.update)
            except StorageUnavailable as exc:
                row.attempts += 1
                self.metrics.updates.labels(kind, "unavailable").inc()
                if row.attempts >= MAX_ATTEMPTS:
                    self._give_up(
                        row,
                        f"database unreachable {row.attempts} times: {exc}",
                        kind,
                        level=logging.CRITICAL,  # a payment among these needs a person
                    )
                    return
                log.warning(
                    "update %s not handled, the database is unreachable (try %d of %d); it "
                    "stays in the inbox: %s",
                    row.update_id,
                    row.attempts,
                    MAX_ATTEMPTS,
                    exc,
                )
                self._offline()
                await self._note_failure(row, f"database unreachable: {exc}")
                await asyncio.sleep(_pause(row.attempts, 8.0))
                continue
            except Exception as exc:
                row.attempts += 1
                self._give_up(row, f"{type(exc).__name__}: {exc}", kind, exc=exc)
                return
            self.metrics.updates.labels(kind, "ok").inc()
            self.metrics.latency.labels(kind).observe(time.perf_counter() - started)
            _count_payment(self.metrics, row.update)
            self._done.add(InboxDone(row.update_id))
            return

    async def _admitted(self, update: dict[str, Any]) -> bool:
        assert self.admit is not None
        try:
            return await self.admit(update)
        except Exception:  # a broken throttle must not drop updates
            log.exception("admit failed; the update is handled")
            return True

    async def _replay(self, row: _Row, kind: str) -> None:
        """Deliver the stored replies of an update committed by a process that stopped before
        it could mark it done (crash windows b and c in the module docstring)."""
        assert row.replies is not None
        try:
            kept = load_replies(row.replies)
            log.warning(
                "update %s was handled before the last process stopped; delivering its %d "
                "stored reply(ies) (a duplicate if they had gone out already)",
                row.update_id,
                len(kept.replies),
            )
            delivered = await deliver(
                kept.replies, self._sender(), self.storefront.remember_file_id
            )
            await self.storefront.finish_replay(row.update_id, kept, delivered=delivered)
        except Exception as exc:
            self._give_up(row, f"stored replies: {type(exc).__name__}: {exc}", kind, exc=exc)
            return
        self.replayed += 1
        self.metrics.replayed.inc()
        self._done.add(InboxDone(row.update_id))

    def _give_up(
        self,
        row: _Row,
        error: str,
        kind: str,
        *,
        exc: BaseException | None = None,
        level: int = logging.ERROR,
    ) -> None:
        """A poison update: done with its error, counted, never tried again."""
        self.poisoned += 1
        self.metrics.poison.labels(kind).inc()
        self.metrics.updates.labels(kind, "error").inc()
        log.log(
            level,
            "poison update %s given up (marked done with its error, never tried again): %s",
            row.update_id,
            error[:300],
            exc_info=exc,
        )
        self._done.add(InboxDone(row.update_id, error=error[:500], attempts=row.attempts))

    async def _note_failure(self, row: _Row, error: str) -> None:
        """Best effort (the database is likely out): the attempt, for the next start."""
        try:
            async with self.uows() as uow:
                await uow.inbox.failed(row.update_id, error)
                await uow.commit()
        except Exception:  # noqa: S110 - it is only a counter; the try itself is counted
            log.debug("could not record the failed try of update %s", row.update_id)

    # -- the database's outages -------------------------------------------------------------

    def _offline(self) -> None:
        """Pause dispatch until the database answers again (one probe at a time)."""
        if self._online.is_set():
            self._online.clear()
            self._probe = asyncio.create_task(self._wait_for_database(), name="inbox-probe")

    async def _wait_for_database(self) -> None:
        tries = 0
        while True:
            tries += 1
            await asyncio.sleep(_pause(tries))
            try:
                async with self.uows() as uow:
                    await uow.inbox.pending(1)
            except Exception as exc:
                if tries == 1 or tries % 10 == 0:
                    log.warning("the database is still unreachable; updates wait: %s", exc)
                continue
            log.info("the database answers again; handling updates")
            self._online.set()
            return


def _parse(payload: str) -> dict[str, Any] | None:
    try:
        update = json.loads(payload)
    except ValueError:
        return None
    return update if isinstance(update, dict) else None


def _count_payment(metrics: ShopMetrics, update: dict[str, Any]) -> None:
    message = update.get("message")
    payment = message.get("successful_payment") if isinstance(message, dict) else None
    if isinstance(payment, dict) and isinstance(payment.get("total_amount"), int):
        metrics.payment(str(payment.get("currency")), payment["total_amount"])
