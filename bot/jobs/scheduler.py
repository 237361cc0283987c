"""One APScheduler per bot process, with its own in-memory job store.

APScheduler's maintainers say a job store must never be shared between schedulers, so nothing
is persisted here: jobs are module-level functions taking plain arguments, and whatever must
survive a restart lives in a database row that the job reads (a hold's expiry, a refund's next
attempt, a pending notice). Each job claims its rows with conditional writes, so two processes
running the same job do each piece of work once.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import NamedTuple

from apscheduler.events import (
    EVENT_JOB_ERROR,
    EVENT_JOB_EXECUTED,
    EVENT_JOB_SUBMITTED,
    JobExecutionEvent,
    JobSubmissionEvent,
)
from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.conversation.storefront import utc_now
from bot.services import cash_orders, creators, invites
from bot.services.flash_sales import release_due, send_alerts
from bot.services.group_buys import settle_due
from bot.services.housekeeping import KEEP_INBOX, forget_old_guesses, forget_old_updates
from bot.services.ports import UnitOfWorkFactory
from bot.services.reminders import remind_abandoned_carts
from bot.services.stock_holds import release_due_holds
from bot.services.support import remind_due, staff_chats
from bot.workers.drop_sender import DropSender
from bot.workers.outbox import OutboxWorker

log = logging.getLogger(__name__)


async def prune_handled_updates(uows: UnitOfWorkFactory, inbox_keep: timedelta) -> None:
    """Handled update ids past Telegram's redelivery, inbox rows done longer than
    ``inbox_keep``, wrong codes past any guessing window."""
    removed = await forget_old_updates(uows, utc_now(), inbox_keep)
    if removed:
        log.info("forgot %d handled update ids and inbox rows", removed)
    guesses = await forget_old_guesses(uows, utc_now())
    if guesses:
        log.info("forgot %d old wrong codes", guesses)


async def flush_views(uows: UnitOfWorkFactory) -> None:
    """Write the card views this process buffered (``storage.view_buffer``), so a quiet
    shop's views do not wait for the next update."""
    async with uows() as uow:
        await uow.interests.flush_views(force=True)
        await uow.commit()


async def release_holds(uows: UnitOfWorkFactory) -> None:
    """Stock and coupon uses held by a payment sheet whose payment never came go back."""
    async with uows() as uow:
        released = await release_due_holds(uow, utc_now())
        await uow.commit()
    if released:
        log.info("released %d expired checkout holds", released)


async def settle_teams(worker: OutboxWorker) -> int:
    """Group buys whose deadline passed: each is claimed by one process and settled once (its
    members' refunds queued in the same transaction), then the outbox sends the refunds."""
    storefront = worker.storefront
    total = 0
    while True:
        async with storefront.uows() as uow:
            settled = await settle_due(uow, storefront.clock())
            await uow.commit()
        total += settled
        if not settled:
            break
    if total:
        log.info("settled %d expired group buys", total)
        worker.kick()
    return total


async def flash_sale_timers(worker: OutboxWorker) -> None:
    """Unpaid reservations give their units back; "starts soon" and "live now" alerts go out.
    The rows are the truth (a claim's expiry, a sale's start), each change claimed once."""
    storefront = worker.storefront
    async with storefront.uows() as uow:
        now = storefront.clock()
        released = await release_due(uow, now)
        alerted = await send_alerts(uow, now, storefront.config.sale_alert_lead)
        await uow.commit()
    if released or alerted:
        worker.kick()


async def expire_cash_orders(worker: OutboxWorker) -> int:
    """Orders to be paid at pickup whose hold ran out unpaid: each expires once (a conditional
    move), its stock and coupon use go back and the buyer's notice is queued in the same
    transaction; then the outbox tells them."""
    storefront = worker.storefront
    total = 0
    while True:
        async with storefront.uows() as uow:
            expired = await cash_orders.expire_due(uow, storefront.clock())
            await uow.commit()
        total += expired
        if not expired:
            break
    if total:
        log.info("expired %d unpaid pickup orders", total)
        worker.kick()
    return total


async def settle_trust(worker: OutboxWorker) -> int:
    """Creators' commissions and friends' invite rewards whose order's return window closed:
    each row is claimed by a conditional UPDATE, so it settles (or rewards) once."""
    storefront = worker.storefront
    window = storefront.config.payments.return_window
    async with storefront.uows() as uow:
        now = storefront.clock()
        done = await creators.settle_due(uow, now, window)
        done += await invites.reward_due(uow, now, window)
        await uow.commit()
    if done:
        log.info("settled %d commissions and invite rewards", done)
        worker.kick()
    return done


async def work_outbox(worker: OutboxWorker) -> None:
    await worker.drain()


async def refresh_sale_posts(worker: OutboxWorker) -> None:
    """Sale cards in groups and channels follow their units and countdowns (the posts' rows
    say what each showed; the domain says when an edit is due)."""
    await worker.refresh_sale_posts()


async def remind_carts(worker: OutboxWorker, after: timedelta) -> None:
    if await remind_abandoned_carts(worker.storefront.uows, utc_now(), after):
        worker.kick()


async def remind_support(worker: OutboxWorker, every: timedelta) -> int:
    """Buyers' questions unanswered for ``every`` remind the staff, once per ``every``: each
    thread's reminder is claimed by a conditional write (one process sends it), queued as a
    notice per staff chat in the same transaction, and the outbox posts it."""
    storefront = worker.storefront
    config = storefront.config
    async with storefront.uows() as uow:
        chats = await staff_chats(uow, config.admin_ids, config.support_chat_id)
        reminded = await remind_due(uow, storefront.clock(), every, chats)
        await uow.commit()
    if reminded:
        log.info("reminded the staff of %d unanswered questions", reminded)
        worker.kick()
    return reminded


async def work_drops(drops: DropSender) -> None:
    """Drops that are sending and not running in this process start here (a new drop, or one
    a stopped process left half-sent)."""
    started = await drops.resume_all()
    if started:
        log.info("sending drops %s", started)


async def release_held_drops(drops: DropSender) -> None:
    """Drop messages held by buyers' quiet hours that have ended: sent now if still relevant."""
    reopened = await drops.release_held()
    if reopened:
        log.info("drops %s: messages held by quiet hours go out", reopened)


class _Job(NamedTuple):
    """One row of the schedule: what runs, how often, with what, and whether once at start-up
    too. A run missed by more than its own interval is skipped (the next one is as good)."""

    run: Callable[..., Awaitable[object]]
    every: timedelta
    args: list[object]
    at_start: bool = False


def _jobs(
    uows: UnitOfWorkFactory,
    worker: OutboxWorker | None,
    drops: DropSender | None,
    inbox_keep: timedelta,
) -> list[_Job]:
    jobs = [
        _Job(prune_handled_updates, timedelta(hours=1), [uows, inbox_keep]),
        _Job(flush_views, timedelta(seconds=5), [uows]),
        _Job(release_holds, timedelta(minutes=1), [uows]),
    ]
    if drops is not None:
        jobs.append(_Job(work_drops, timedelta(seconds=5), [drops], at_start=True))
        jobs.append(_Job(release_held_drops, timedelta(minutes=1), [drops]))
    if worker is not None:
        jobs += [
            _Job(work_outbox, timedelta(seconds=30), [worker]),
            _Job(refresh_sale_posts, timedelta(seconds=5), [worker]),
            # Deadlines live in the team rows: every process looks often, and once right at
            # start-up, so a deadline that passed while the bot was down settles at once.
            _Job(settle_teams, timedelta(seconds=15), [worker], at_start=True),
            _Job(flash_sale_timers, timedelta(seconds=20), [worker], at_start=True),
            _Job(settle_trust, timedelta(minutes=5), [worker], at_start=True),
            _Job(expire_cash_orders, timedelta(minutes=1), [worker], at_start=True),
        ]
        after = worker.storefront.config.cart_reminder_after
        if after is not None:
            jobs.append(_Job(remind_carts, timedelta(minutes=15), [worker, after]))
        every = worker.storefront.config.support_reminder
        if every is not None:
            jobs.append(_Job(remind_support, timedelta(minutes=5), [worker, every]))
    return jobs


def make_scheduler(
    uows: UnitOfWorkFactory,
    worker: OutboxWorker | None = None,
    drops: DropSender | None = None,
    inbox_keep: timedelta = KEEP_INBOX,
) -> AsyncIOScheduler:
    scheduler = AsyncIOScheduler(timezone="UTC")
    for job in _jobs(uows, worker, drops, inbox_keep):
        seconds = int(job.every.total_seconds())
        start = {"next_run_time": utc_now()} if job.at_start else {}
        scheduler.add_job(
            job.run,
            "interval",
            seconds=seconds,
            args=job.args,
            id=job.run.__name__,
            misfire_grace_time=seconds,
            # Missed runs are worth running late, but never twice in a row, never two at once.
            coalesce=True,
            max_instances=1,
            **start,
        )
    return scheduler


class RunningJobs:
    """Counts the jobs of ``scheduler`` under way, so that a stop can let them finish.

    APScheduler's asyncio executor cancels the jobs running at ``shutdown`` (it cannot wait
    for them), and each cancelled job is logged as an error with its traceback: a bot stopped
    while a drop or the outbox was being looked at would print one. ``stop`` instead stops
    new runs, waits (bounded) for the ones under way, and only then shuts down.
    """

    def __init__(self, scheduler: AsyncIOScheduler) -> None:
        self.scheduler = scheduler
        self.running = 0
        scheduler.add_listener(self._started, EVENT_JOB_SUBMITTED)
        scheduler.add_listener(self._ended, EVENT_JOB_EXECUTED | EVENT_JOB_ERROR)

    def _started(self, event: JobSubmissionEvent) -> None:
        self.running += 1

    def _ended(self, event: JobExecutionEvent) -> None:
        self.running = max(0, self.running - 1)

    async def stop(self, patience: float) -> None:
        """No new runs; the runs under way finish (at most ``patience`` seconds); shut down."""
        if not self.scheduler.running:
            return
        self.scheduler.pause()
        deadline = asyncio.get_running_loop().time() + patience
        while self.running and asyncio.get_running_loop().time() < deadline:
            await asyncio.sleep(0.02)
        if self.running:
            log.warning("%d scheduled jobs were still running at shutdown", self.running)
        self.scheduler.shutdown(wait=False)
