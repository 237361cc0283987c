"""Without Redis each process paces its drops alone, so one process at a time sends drops: a
runner lease on the drop row (renewed while sending). Two senders on one database, one drop:
only one sends at a time, the other takes over once it stops, nobody gets the drop twice."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta

from bot.conversation.delivery import Sent
from bot.conversation.replies import Keyboard
from bot.domain.drops import DropStatus, MediaKind
from bot.services import drops
from bot.workers.drop_sender import DropSender
from storage.engine import make_engine
from storage.unit_of_work import SqlUnitOfWorkFactory

RECIPIENTS = 150


class Recorder:
    """A Bot API that records who sent what to whom (and when)."""

    def __init__(self, name: str, log: list[tuple[str, int, float]]) -> None:
        self.name = name
        self.log = log
        self._ids = 0

    async def send_text(
        self, chat_id: int, text: str, keyboard: Keyboard | None, *, paid: bool = False
    ) -> Sent:
        await asyncio.sleep(0.002)
        self.log.append((self.name, chat_id, time.monotonic()))
        self._ids += 1
        return Sent(self._ids)


async def test_one_sender_at_a_time_and_nobody_twice(uows: SqlUnitOfWorkFactory) -> None:
    now = datetime.now(UTC)
    async with uows() as uow:
        for i in range(RECIPIENTS):
            await uow.buyers.touch(80_000 + i, "Buyer", None, "en", now)
        drop_id = await drops.compose(uow, "Drop!", MediaKind.NONE, None, [], "all", False, now)
        other_drop = await drops.compose(uow, "Later", MediaKind.NONE, None, [], "all", False, now)
        await drops.send(uow, drop_id, 5, now)
        await uow.commit()

    second = SqlUnitOfWorkFactory(make_engine(uows.engine.url.render_as_string(False)))
    sent: list[tuple[str, int, float]] = []
    senders = {}
    for name, factory in (("a", uows), ("b", second)):
        sender = DropSender(
            factory, lambda: datetime.now(UTC), "en", (), rates=(100.0, 100.0), runner=name
        )
        sender.attach(Recorder(name, sent))  # type: ignore[arg-type]
        senders[name] = sender
    a, b = senders["a"], senders["b"]
    try:
        running = asyncio.get_running_loop().create_task(a.run(drop_id))
        while len(sent) < RECIPIENTS // 4:
            await asyncio.sleep(0.01)
        assert await b.run(drop_id) is None  # a holds the lease: b sends nothing
        async with second() as uow:  # nor any other drop while a sends one
            await uow.drops.start(other_drop, now)
            later = datetime.now(UTC)
            assert not await uow.drops.take_runner(other_drop, "b", later, later + timedelta(1))
        await a.stop()  # SIGTERM: a lets its sends finish and gives the lease up
        await running
        stopped_at = len(sent)
        assert 0 < stopped_at < RECIPIENTS
        progress = await b.run(drop_id)  # b takes over at once and finishes
        assert progress is not None and progress.sent == RECIPIENTS
        chats = [chat for _, chat, _ in sent]
        assert sorted(chats) == [80_000 + i for i in range(RECIPIENTS)]  # everyone once
        # Never both at once: every send of a came before every send of b.
        assert {name for name, _, _ in sent[:stopped_at]} == {"a"}
        assert {name for name, _, _ in sent[stopped_at:]} == {"b"}
        async with uows() as uow:
            drop = await uow.drops.get(drop_id)
            assert drop is not None and drop.status is DropStatus.DONE
            later = datetime.now(UTC)  # b gave its lease up: a may send the next drop
            assert await uow.drops.take_runner(other_drop, "a", later, later + timedelta(1))
    finally:
        await second.dispose()
