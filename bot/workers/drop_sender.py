"""Sending a drop: its outbox rows, at Telegram's pace, with the merchant watching.

- **Pace.** About 30 messages a second overall (1,000 with ``allow_paid_broadcast``), one a
  second per chat, 20 a minute per group (``Pace``). A 429 puts that row back for its
  ``retry_after``; a 403 marks the person as blocked (no more drops); network errors and 5xx
  are retried with back-off, five times; a chat Telegram refuses (400) fails; a photo or video
  that Telegram refuses before anyone got the drop halts it, and the merchant is told.
- **Once.** Rows are claimed in small batches with a lease (the next batch is claimed while
  the ones before it send) and each batch's outcome is recorded as soon as it is done; a live
  sender renews the leases of what it holds every few seconds, so however long a send takes
  (a slow network, a long 429) its rows never lapse under it. At most ``window(paid)`` rows are
  ``sending`` at once. A sender that dies (kill -9) leaves those rows ``sending``; once their
  lease runs out (``LEASE``) the drop's sender (on resume, or while it waits for the last rows)
  makes them ``unconfirmed``, and they are not sent again: nobody gets a drop twice, and the
  final report says how many might not have arrived (at most one window).
- **Stop.** ``stop()`` (SIGTERM) claims nothing more, lets the sends in flight finish and be
  recorded, and returns: a drop stopped that way leaves no row ``sending`` and nothing
  unconfirmed; the next start carries on where it stopped.
- **Progress.** The merchant's message is edited every few seconds: a bar, sent, failed, left,
  and the time left; then a final report.
"""

from __future__ import annotations

import asyncio
import contextlib
import html
import logging
import time
from collections.abc import Callable
from datetime import datetime, timedelta

from bot.conversation.callbacks import Action, Signer, cb
from bot.conversation.delivery import DeliveryError, Failure, Sender
from bot.conversation.replies import Button, Keyboard, MediaRef
from bot.conversation.texts import Texts, texts
from bot.domain.catalog import MediaKind as CardMedia
from bot.domain.drops import ButtonKind, DeliveryStatus, DropStatus, MediaKind, Progress
from bot.services.drop_ports import Delivery, DeliveryResult, Drop, Pacer
from bot.services.ports import UnitOfWorkFactory

log = logging.getLogger(__name__)

FREE_RATE = 30.0
PAID_RATE = 1000.0
MAX_ATTEMPTS = 5
#: How long a claimed row stays ``sending`` without its sender renewing it (every
#: ``RENEW_EVERY`` seconds): how long a resumed drop waits for the rows of a dead sender.
LEASE = timedelta(seconds=15)
RENEW_EVERY = 3.0
_PROGRESS_EVERY = 3.0
_STATUS_EVERY = 1.0  # how often a running drop checks that it was not cancelled
#: A send this close to its slot goes now (a timer for each would cost more than the send);
#: the schedule still holds over any second (at most a couple of sends early).
_EARLY = 0.002


def window(paid: bool) -> tuple[int, int]:
    """(rows per claimed batch, batches at once): at most their product is ``sending`` (what
    a kill -9 can leave unconfirmed). About 0.1 s of sends at 1,000/s, 0.5 s at 30/s."""
    return (32, 3) if paid else (8, 2)


class Pace:
    """Telegram's broadcast limits as a schedule of send slots (all in one process): the
    default ``Pacer``; with ``REDIS_URL`` the processes share one in Redis instead."""

    def __init__(self, per_second: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.interval = 1.0 / per_second
        self._clock = clock
        self._next = clock()
        self._chat_next: dict[int, float] = {}

    async def slot(self, chat_id: int) -> float:
        """Seconds to wait before sending into ``chat_id`` (the slot is taken)."""
        now = self._clock()
        start = max(self._next, now)
        self._next = start + self.interval
        gap = 3.0 if chat_id < 0 else 1.0  # groups: 20 a minute; people: 1 a second
        chat_at = max(start, self._chat_next.get(chat_id, 0.0))
        self._chat_next[chat_id] = chat_at + gap
        if len(self._chat_next) > 100_000:
            self._chat_next = {c: t for c, t in self._chat_next.items() if t > now}
        return max(chat_at - now, 0.0)


def shared_paces() -> Callable[[float], Pacer]:
    """One in-process ``Pace`` per rate, shared by the drops this sender runs at once."""
    paces: dict[float, Pace] = {}

    def pace(rate: float) -> Pace:
        if rate not in paces:
            paces[rate] = Pace(rate)
        return paces[rate]

    return pace


class DropSender:
    def __init__(
        self,
        uows: UnitOfWorkFactory,
        clock: Callable[[], datetime],
        locale: str,
        admin_ids: tuple[int, ...],
        *,
        parallel: int = 16,
        rates: tuple[float, float] = (FREE_RATE, PAID_RATE),
        pacer: Callable[[float], Pacer] | None = None,
        runner: str | None = None,
        signer: Signer | None = None,
    ) -> None:
        self.uows = uows
        self.clock = clock
        self.locale = locale
        self.admin_ids = admin_ids
        self.parallel = parallel
        self.rates = rates
        #: A drop's pace from its rate (``Pace``: this process alone; Redis: shared).
        self.pacer = pacer or shared_paces()
        #: Without a shared pace, a runner lease on the drop (``take_runner``) makes one
        #: process at a time send drops; None: any number may (their pace is shared).
        self.runner = runner
        #: Signs a coupon button for each chat it goes to: the signature is what lets that
        #: chat apply the coupon (the shop's ``ShopConfig.signer``).
        self.signer = signer or Signer.random()
        self._lost: set[int] = set()  # drops whose runner lease this sender lost
        self.sender: Sender | None = None
        self._running: dict[int, asyncio.Task[Progress | None]] = {}
        self._stopping = asyncio.Event()

    def attach(self, sender: Sender) -> None:
        self.sender = sender

    async def resume_all(self) -> list[int]:
        """Start (in the background) every drop that is sending and not running here."""
        async with self.uows() as uow:
            ids = await uow.drops.sending()
        started = []
        if self._stopping.is_set():
            return started
        for drop_id in ids:
            task = self._running.get(drop_id)
            if task is None or task.done():
                self._running[drop_id] = asyncio.get_running_loop().create_task(self.run(drop_id))
                started.append(drop_id)
        return started

    async def idle(self) -> None:
        for task in list(self._running.values()):
            with contextlib.suppress(Exception):
                await task

    async def stop(self) -> None:
        """Claim nothing more; let the sends in flight finish and be recorded; return."""
        self._stopping.set()
        await self.idle()

    async def run(self, drop_id: int) -> Progress | None:
        """Send the drop's pending rows until none is left (or it is halted or cancelled);
        with a ``runner`` only while holding the drop's runner lease (None: another holds one)."""
        if self.sender is None:
            return None
        if self.runner is None:
            return await self._run(drop_id)
        if not await self._lease(drop_id):
            return None
        keeper = asyncio.get_running_loop().create_task(self._keep_lease(drop_id))
        try:
            return await self._run(drop_id)
        finally:
            keeper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await keeper
            self._lost.discard(drop_id)
            async with self.uows() as uow:
                await uow.drops.release_runner(drop_id, self.runner)
                await uow.commit()

    async def _lease(self, drop_id: int) -> bool:
        assert self.runner is not None
        async with self.uows() as uow:
            now = self.clock()
            taken = await uow.drops.take_runner(drop_id, self.runner, now, now + LEASE)
            await uow.commit()
        return taken

    async def _keep_lease(self, drop_id: int) -> None:
        """Renew the runner lease while the drop runs; once lost, claim nothing more."""
        while True:
            await asyncio.sleep(RENEW_EVERY)
            try:
                kept = await self._lease(drop_id)
            except Exception:
                log.exception("drop %s: the runner lease could not be renewed", drop_id)
                continue  # it lasts LEASE; the next renewal may work
            if not kept:
                log.warning("drop %s: another process took over sending it", drop_id)
                self._lost.add(drop_id)
                return

    async def _run(self, drop_id: int) -> Progress | None:
        async with self.uows() as uow:
            drop = await uow.drops.get(drop_id)
            if drop is None or drop.status is not DropStatus.SENDING:
                return None
            lapsed = await uow.drops.lapse(drop_id, self.clock())
            await uow.commit()
        if lapsed:
            log.warning("drop %s: %d sends were in flight when a sender stopped", drop_id, lapsed)
        pace = self.pacer(self.rates[1] if drop.paid else self.rates[0])
        size, depth = window(drop.paid)
        tx = texts(self.locale)
        state = _RunState(drop, _Buttons(tx, drop, self.signer), time.monotonic())
        await self._report(state, final=False)
        # Paid drops go 30 times faster: more sends at once keep up with the slots.
        gate = asyncio.Semaphore(self.parallel * 3 if drop.paid else self.parallel)
        done: asyncio.Queue[_Sent] = asyncio.Queue()
        tasks: set[asyncio.Task[None]] = set()
        finished: list[_Sent] = []
        outstanding = 0  # batches claimed and not yet recorded
        cancelled = False
        checked = renewed = time.monotonic()
        try:
            while True:
                while not done.empty():
                    finished.append(done.get_nowait())
                claiming = not (self._stopping.is_set() or cancelled or state.halt or state.error)
                if claiming and time.monotonic() - checked >= _STATUS_EVERY:
                    checked = time.monotonic()
                    cancelled = not await self._still_sending(drop_id)
                    claiming = not cancelled
                want = claiming and outstanding - len(finished) < depth
                renew = bool(state.held) and time.monotonic() - renewed >= RENEW_EVERY
                batch: list[Delivery] = []
                if finished or want or renew:
                    # One transaction: what finished, the leases still held, the next batch.
                    batch = await self._write(state, finished, size if want else 0, renew)
                    renewed = time.monotonic() if renew else renewed
                    outstanding -= len(finished)
                    finished = []
                if batch:
                    outstanding += 1
                    state.held.update(d.id for d in batch)
                    task = asyncio.get_running_loop().create_task(
                        self._send_to(done, state, batch, pace, gate)
                    )
                    tasks.add(task)
                    task.add_done_callback(tasks.discard)
                    self._maybe_report(state)
                    continue
                if want and outstanding == 0:
                    progress = await self._progress(drop_id)
                    if progress.pending == 0:
                        async with self.uows() as uow:
                            await uow.drops.finish(drop_id, DropStatus.DONE, self.clock())
                            await uow.commit()
                        await self._report(state, final=True)
                        return await self._progress(drop_id)
                    # Only retries waiting for their time, or rows another sender holds: a
                    # dead one's rows lapse (unconfirmed) once their lease ran out.
                    async with self.uows() as uow:
                        lapsed = await uow.drops.lapse(drop_id, self.clock())
                        await uow.commit()
                    if lapsed:
                        log.warning(
                            "drop %s: %d sends were in flight when a sender died", drop_id, lapsed
                        )
                        continue
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self._stopping.wait(), 0.5)
                    self._maybe_report(state)
                    continue
                if outstanding == 0:
                    break  # stopped, cancelled, halted or failed, and nothing left in flight
                with contextlib.suppress(TimeoutError):  # a batch finishes, or time to renew
                    finished.append(await asyncio.wait_for(done.get(), RENEW_EVERY))
        finally:
            for task in tasks:  # only when the loop itself failed: those rows lapse
                task.cancel()
        if state.error is not None:
            raise state.error
        if state.halt is not None:
            async with self.uows() as uow:
                await uow.drops.finish(drop_id, DropStatus.HALTED, self.clock(), state.halt)
                await uow.commit()
            await self._report(state, final=True)
        return await self._progress(drop_id)

    async def _still_sending(self, drop_id: int) -> bool:
        async with self.uows() as uow:
            current = await uow.drops.get(drop_id)
        sending = current is not None and current.status is DropStatus.SENDING
        return sending and drop_id not in self._lost

    async def _write(
        self, state: _RunState, finished: list[_Sent], claim: int, renew: bool
    ) -> list[Delivery]:
        """Record the finished batches, renew the leases held, claim ``claim`` more rows."""
        async with self.uows() as uow:
            now = self.clock()
            results = [r for _, rs in finished if rs is not None for r in rs]
            if results:
                await uow.drops.record(results, now)
                await uow.drops.mark_blocked(
                    [
                        d.chat_id
                        for batch, rs in finished
                        if rs is not None
                        for d, r in zip(batch, rs, strict=True)
                        if r.status is DeliveryStatus.BLOCKED
                    ]
                )
            for batch, _ in finished:  # recorded, or (a failed batch) left to lapse
                state.held.difference_update(d.id for d in batch)
            if renew and state.held:
                await uow.drops.renew(sorted(state.held), now + LEASE)
            claimed = (
                await uow.drops.claim(state.drop.id, now, claim, now + LEASE) if claim else []
            )
            await uow.commit()
        return claimed

    async def _send_to(
        self,
        done: asyncio.Queue[_Sent],
        state: _RunState,
        batch: list[Delivery],
        pace: Pacer,
        gate: asyncio.Semaphore,
    ) -> None:
        try:
            results: list[DeliveryResult] | None = await self._send_batch(state, batch, pace, gate)
        except Exception as exc:  # not recorded: these rows lapse into unconfirmed
            log.exception("drop %s: a batch failed", state.drop.id)
            state.error = exc
            results = None
        done.put_nowait((batch, results))

    async def _send_batch(
        self, state: _RunState, batch: list[Delivery], pace: Pacer, gate: asyncio.Semaphore
    ) -> list[DeliveryResult]:
        async def one(delivery: Delivery) -> DeliveryResult:
            async with gate:
                if state.halt is not None:  # the content was refused: keep the rest pending
                    return DeliveryResult(
                        delivery.id, DeliveryStatus.PENDING, self.clock(), counted=False
                    )
                wait = await pace.slot(delivery.chat_id)
                if wait > _EARLY:
                    await asyncio.sleep(wait)
                return await self._send_one(state, delivery)

        return list(await asyncio.gather(*(one(d) for d in batch)))

    async def _send_one(self, state: _RunState, delivery: Delivery) -> DeliveryResult:
        assert self.sender is not None
        drop = state.drop
        text = html.escape(drop.content.text, quote=False)
        keyboard = state.buttons.for_chat(delivery.chat_id)
        try:
            if drop.content.media is MediaKind.NONE:
                await self.sender.send_text(delivery.chat_id, text, keyboard, paid=drop.paid)
            else:
                sent = await self.sender.send_media(
                    delivery.chat_id, state.media(), text, keyboard, paid=drop.paid
                )
                if sent.file_id and state.file_id is None:
                    state.file_id = sent.file_id
                    async with self.uows() as uow:
                        await uow.drops.set_source(drop.id, sent.file_id)
                        await uow.commit()
        except DeliveryError as exc:
            return self._failure(state, delivery, exc)
        state.sent_any = True
        return DeliveryResult(delivery.id, DeliveryStatus.SENT)

    def _failure(self, state: _RunState, delivery: Delivery, exc: DeliveryError) -> DeliveryResult:
        now = self.clock()
        if exc.failure is Failure.FORBIDDEN:
            return DeliveryResult(delivery.id, DeliveryStatus.BLOCKED, error=exc.description)
        if exc.failure is Failure.RETRY_AFTER:
            wait = timedelta(seconds=exc.retry_after or 1)
            return DeliveryResult(
                delivery.id, DeliveryStatus.PENDING, now + wait, counted=False, error="429"
            )
        if exc.failure is Failure.NETWORK and delivery.attempts + 1 < MAX_ATTEMPTS:
            wait = timedelta(seconds=2 ** (delivery.attempts + 1))
            return DeliveryResult(
                delivery.id, DeliveryStatus.PENDING, now + wait, error=exc.description
            )
        media = state.drop.content.media is not MediaKind.NONE
        if exc.failure is Failure.BAD_REQUEST and media and not state.sent_any:
            # Telegram refuses the drop's own photo or video: every send would fail alike.
            state.halt = exc.description[:300] or "the media was refused"
            return DeliveryResult(
                delivery.id, DeliveryStatus.PENDING, now, counted=False, error=state.halt
            )
        return DeliveryResult(delivery.id, DeliveryStatus.FAILED, error=exc.description)

    async def _progress(self, drop_id: int) -> Progress:
        async with self.uows() as uow:
            return await uow.drops.progress(drop_id)

    def _maybe_report(self, state: _RunState) -> None:
        """Edit the progress message in the background, every few seconds."""
        busy = state.reporting is not None and not state.reporting.done()
        if not busy and time.monotonic() - state.reported_at >= _PROGRESS_EVERY:
            state.reported_at = time.monotonic()
            state.reporting = asyncio.get_running_loop().create_task(
                self._report(state, final=False)
            )

    async def _report(self, state: _RunState, *, final: bool) -> None:
        """The merchant's progress message, sent once and then edited in place."""
        if self.sender is None or not self.admin_ids:
            return
        progress = await self._progress(state.drop.id)
        elapsed = max(time.monotonic() - state.started, 0.001)
        tx = texts(self.locale)
        text = _progress_text(tx, state, progress, progress.sent / elapsed, final)
        state.reported_at = time.monotonic()
        for admin in self.admin_ids:
            message_id = state.messages.get(admin)
            try:
                if message_id is None:
                    sent = await self.sender.send_text(admin, text, None)
                    state.messages[admin] = sent.message_id
                    async with self.uows() as uow:
                        await uow.drops.set_progress_message(state.drop.id, admin, sent.message_id)
                        await uow.commit()
                else:
                    await self.sender.edit_text(admin, message_id, text, None)
            except DeliveryError as exc:
                if exc.failure is not Failure.NOT_MODIFIED:
                    log.info("drop %s progress not shown to %s: %s", state.drop.id, admin, exc)


#: A batch that was sent, with its outcomes (None: it failed and is not recorded).
_Sent = tuple[list[Delivery], list[DeliveryResult] | None]


class _RunState:
    def __init__(self, drop: Drop, buttons: _Buttons, started: float) -> None:
        self.drop = drop
        self.buttons = buttons
        self.started = started
        self.reported_at = 0.0
        self.messages: dict[int, int] = dict(drop.progress_messages)
        self.sent_any = False
        self.halt: str | None = None
        self.error: Exception | None = None
        #: Rows this sender holds (``sending``): their leases are renewed while it lives.
        self.held: set[int] = set()
        self.reporting: asyncio.Task[None] | None = None
        self.source = drop.content.source or ""
        #: Telegram's file_id once the first send uploaded the media (reused for the rest).
        self.file_id: str | None = None if _is_file(self.source) else self.source

    def media(self) -> MediaRef:
        kind = CardMedia.VIDEO if self.drop.content.media is MediaKind.VIDEO else CardMedia.PHOTO
        return MediaRef(kind, 0, self.source, file_id=self.file_id)


def _is_file(source: str) -> bool:
    """A URL or a local path, rather than a Telegram file_id."""
    return source.startswith(("http://", "https://")) or "/" in source or "." in source


class _Buttons:
    """A drop's keyboard for each chat: the same for all, except that a coupon button is
    signed for the chat it goes to (a person, or a group whose members may all press it)."""

    def __init__(self, tx: Texts, drop: Drop, signer: Signer) -> None:
        self.tx = tx
        self.drop = drop
        self.signer = signer
        self.personal = any(b.kind is ButtonKind.COUPON for b in drop.content.buttons)
        self.shared = None if self.personal else _keyboard(tx, drop, lambda raw: raw)

    def for_chat(self, chat_id: int) -> Keyboard | None:
        if not self.personal:
            return self.shared
        return _keyboard(self.tx, self.drop, lambda raw: self.signer.seal(raw, chat_id))


def _keyboard(tx: Texts, drop: Drop, seal: Callable[[str], str]) -> Keyboard | None:
    rows: list[tuple[Button, ...]] = []
    for button in drop.content.buttons:
        if button.kind is ButtonKind.BUY:
            rows.append(
                (
                    Button(
                        tx.label("drop.btn_buy"), cb(Action.BUY_VARIANT, button.target, "p", 0, 0)
                    ),
                )
            )
        elif button.kind is ButtonKind.SALE:
            rows.append(
                (Button(tx.label("drop.btn_sale"), cb(Action.FLASH_CLAIM, button.target)),)
            )
        else:
            rows.append(
                (
                    Button(
                        tx.label("drop.btn_coupon"),
                        seal(cb(Action.COUPON_APPLY, button.target)),
                    ),
                )
            )
    return tuple(rows) or None


def _progress_text(
    tx: Texts, state: _RunState, progress: Progress, rate: float, final: bool
) -> str:
    drop = state.drop
    if final and state.halt:
        return tx.t("drop.halted", drop=drop.id, reason=state.halt, sent=progress.sent)
    if final:
        return tx.t(
            "drop.done",
            drop=drop.id,
            sent=progress.sent,
            failed=progress.failed,
            total=progress.total,
            unconfirmed=progress.unconfirmed,
        )
    eta = progress.eta_seconds(rate)
    return tx.t(
        "drop.progress",
        drop=drop.id,
        bar=progress.bar(),
        sent=progress.sent,
        total=progress.total,
        failed=progress.failed,
        left=progress.pending,
        eta="—" if eta is None else f"{eta} s",
    )
