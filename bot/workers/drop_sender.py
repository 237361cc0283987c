"""Sending a drop: its outbox rows, at Telegram's pace, with the merchant watching.

- **Pace.** About 30 messages a second overall (1,000 with ``allow_paid_broadcast``), one a
  second per chat, 20 a minute per group (``Pace``, ``bot.workers.drop_pace``). A 429 puts that
  row back for its ``retry_after``; a 403 marks the person as blocked (no more drops); network
  errors and 5xx are retried with back-off, five times; a chat Telegram refuses (400) fails; a
  photo or video that Telegram refuses before anyone got the drop halts it, and the merchant is
  told (each send and its outcome: ``bot.workers.drop_delivery``).
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
- **Buyers' alerts.** With the shop's ``AlertPolicy``, each claimed row asks its buyer's
  choices again in the claim's transaction (``drop_delivery.admit_claimed``): opted out and
  capped rows are recorded as such, rows in quiet hours are ``held`` (``release_held``, run by
  a job, sends them when those end if the drop is still relevant), and each row let through
  takes one from the buyer's day's count.
- **Progress.** The merchant's message is edited every few seconds: a bar, sent, failed, left,
  and the time left; then a final report (its words: ``screens.drop_text``).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from datetime import datetime, timedelta

from bot.conversation.callbacks import Signer
from bot.conversation.delivery import DeliveryError, Failure, Sender
from bot.conversation.screens.drop_text import DropButtons, progress_text
from bot.conversation.texts import texts
from bot.domain.drops import DeliveryStatus, DropStatus, Progress
from bot.services import drops
from bot.services.alerts import AlertPolicy
from bot.services.drop_ports import Delivery, DeliveryResult, Pacer
from bot.services.ports import UnitOfWorkFactory
from bot.workers.drop_delivery import DropDelivery, RunState, admit_claimed
from bot.workers.drop_pace import FREE_RATE, PAID_RATE, shared_paces

log = logging.getLogger(__name__)

#: How long a claimed row stays ``sending`` without its sender renewing it (every
#: ``RENEW_EVERY`` seconds): how long a resumed drop waits for the rows of a dead sender.
LEASE = timedelta(seconds=15)
RENEW_EVERY = 3.0
_PROGRESS_EVERY = 3.0
_STATUS_EVERY = 1.0  # how often a running drop checks that it was not cancelled


def window(paid: bool) -> tuple[int, int]:
    """(rows per claimed batch, batches at once): at most their product is ``sending`` (what
    a kill -9 can leave unconfirmed). About 0.1 s of sends at 1,000/s, 0.5 s at 30/s."""
    return (32, 3) if paid else (8, 2)


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
        alerts: AlertPolicy | None = None,
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
        #: The shop's alert defaults: each buyer's choices are asked again as their row is
        #: claimed, and the daily cap taken then (None: no buyer's choices apply).
        self.alerts = alerts
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
        started: list[int] = []
        if self._stopping.is_set():
            return started
        for drop_id in ids:
            task = self._running.get(drop_id)
            if task is None or task.done():
                self._running[drop_id] = asyncio.get_running_loop().create_task(self.run(drop_id))
                started.append(drop_id)
        return started

    async def release_held(self) -> list[int]:
        """Rows held by quiet hours that have ended go out now if their drop is still
        relevant (else they are skipped); the drops sending again start here."""
        async with self.uows() as uow:
            reopened = await drops.release_held(uow, self.clock())
            await uow.commit()
        if reopened:
            await self.resume_all()
        return reopened

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
        fewer = self.alerts is not None and drops.is_marketing(drop)
        buttons = DropButtons(tx, drop, self.signer, fewer=fewer)
        state = RunState(drop, buttons, time.monotonic())
        if fewer:
            async with self.uows() as uow:
                state.categories = await drops.categories(uow, drop)
        assert self.sender is not None  # run() does not start one without it
        sends = DropDelivery(self.sender, self.uows, self.clock)
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
                        self._send_to(done, state, sends, batch, pace, gate)
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
        self, state: RunState, finished: list[_Sent], claim: int, renew: bool
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
            if claimed and state.categories is not None and self.alerts is not None:
                claimed = await admit_claimed(uow, state, claimed, now, self.alerts)
            await uow.commit()
        return claimed

    async def _send_to(
        self,
        done: asyncio.Queue[_Sent],
        state: RunState,
        sends: DropDelivery,
        batch: list[Delivery],
        pace: Pacer,
        gate: asyncio.Semaphore,
    ) -> None:
        try:
            results: list[DeliveryResult] | None = await sends.send_batch(state, batch, pace, gate)
        except Exception as exc:  # not recorded: these rows lapse into unconfirmed
            log.exception("drop %s: a batch failed", state.drop.id)
            state.error = exc
            results = None
        done.put_nowait((batch, results))

    async def _progress(self, drop_id: int) -> Progress:
        async with self.uows() as uow:
            return await uow.drops.progress(drop_id)

    def _maybe_report(self, state: RunState) -> None:
        """Edit the progress message in the background, every few seconds."""
        busy = state.reporting is not None and not state.reporting.done()
        if not busy and time.monotonic() - state.reported_at >= _PROGRESS_EVERY:
            state.reported_at = time.monotonic()
            state.reporting = asyncio.get_running_loop().create_task(
                self._report(state, final=False)
            )

    async def _report(self, state: RunState, *, final: bool) -> None:
        """The merchant's progress message, sent once and then edited in place."""
        if self.sender is None or not self.admin_ids:
            return
        progress = await self._progress(state.drop.id)
        elapsed = max(time.monotonic() - state.started, 0.001)
        tx = texts(self.locale)
        text = progress_text(tx, state.drop, state.halt, progress, progress.sent / elapsed, final)
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
