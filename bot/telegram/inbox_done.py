"""Marking the polling inbox's rows done (``bot.telegram.inbox``).

An update's row is marked done once its replies reached Telegram: until then a process that
dies would deliver them again at its next start. Under load the marks go along with the next
update's commit (``Storefront.ride_along``: no write of their own, and the window between
delivering an update and marking it done lasts one transaction); whatever no commit took within
``GRACE`` seconds is written in one grouped write.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable
from datetime import datetime

from bot.services.inbox_ports import InboxDone
from bot.services.ports import UnitOfWork, UnitOfWorkFactory

log = logging.getLogger(__name__)

#: How long a finished row waits for an update's commit to take its mark along.
GRACE = 0.05
#: Longest pause between two tries of a failed write.
_MAX_PAUSE = 30.0


class DoneMarks:
    """Rows to mark done: ridden along an update's commit, else written in a grouped write;
    a failed write is tried again (with a pause) until it succeeds."""

    def __init__(self, uows: UnitOfWorkFactory, clock: Callable[[], datetime]) -> None:
        self._uows = uows
        self._clock = clock
        self._waiting: dict[int, InboxDone] = {}
        self._task: asyncio.Task[None] | None = None

    @property
    def pending(self) -> int:
        return len(self._waiting)

    def add(self, outcome: InboxDone) -> None:
        self._waiting[outcome.update_id] = outcome
        self._kick()

    def _kick(self) -> None:
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._run(), name="inbox-done")

    @contextlib.asynccontextmanager
    async def ride(self, uow: UnitOfWork) -> AsyncIterator[None]:
        """Around an update's commit (``Storefront.ride_along``): the marks waiting go in
        its transaction, and come back to wait if it fails."""
        if not self._waiting:
            yield
            return
        batch, self._waiting = list(self._waiting.values()), {}
        try:
            await uow.inbox.done(batch, self._clock())
            yield
        except BaseException:
            for outcome in batch:
                self._waiting.setdefault(outcome.update_id, outcome)
            self._kick()
            raise

    async def _run(self, grace: float = GRACE) -> None:
        failures = 0
        while self._waiting:
            await asyncio.sleep(grace)  # an update's commit may take them along meanwhile
            if not self._waiting:
                return
            batch, self._waiting = list(self._waiting.values()), {}
            try:
                async with self._uows() as uow:
                    await uow.inbox.done(batch, self._clock())
                    await uow.commit()
            except Exception as exc:
                for outcome in batch:
                    self._waiting.setdefault(outcome.update_id, outcome)
                failures += 1
                log.warning("could not mark %d update(s) done (%s); trying again", len(batch), exc)
                await asyncio.sleep(min(_MAX_PAUSE, 0.5 * 2 ** (failures - 1)))
            else:
                failures = 0

    async def flush(self, timeout: float) -> bool:
        """Until everything added is written (False if ``timeout`` ran out first)."""
        if self._waiting and (self._task is None or self._task.done()):
            self._task = asyncio.create_task(self._run(grace=0), name="inbox-done")
        if self._task is None:
            return True
        done, _ = await asyncio.wait({self._task}, timeout=timeout)
        if not done:
            self._task.cancel()
            return False
        return not self._waiting
