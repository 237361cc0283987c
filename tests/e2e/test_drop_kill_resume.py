"""A drop survives kill -9 and SIGTERM: the real bot (``storefront run``, on each framework) is
stopped half-way through a drop and started again; the drop finishes and nobody gets it twice.
After kill -9 whoever might have been missed is reported as unconfirmed (at most what one
sender had in flight); after SIGTERM nothing is unconfirmed and everybody gets it once."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bot.domain.drops import DropStatus, MediaKind
from bot.services import drops
from bot.standin import BotApiStandIn
from bot.workers.drop_sender import window
from storage.drop_tables import DropDeliveryRow
from storage.engine import make_engine
from storage.unit_of_work import SqlUnitOfWorkFactory
from tests.databases import sqlite_database
from tests.e2e.harness import ADMIN_ID, TOKEN, load_spec

STOREFRONT = str(Path(sys.executable).with_name("storefront"))
RECIPIENTS = 150
TEXT = "Midnight drop: 30% off everything spicy"

pytestmark = pytest.mark.slow


async def _start_bot(
    framework: str, db: str, standin: BotApiStandIn, cwd: Path
) -> asyncio.subprocess.Process:
    env = {
        **{k: v for k, v in os.environ.items() if k not in ("BOT_TOKEN", "DATABASE_URL")},
        "BOT_TOKEN": TOKEN,
        "TELEGRAM_API_BASE": standin.base_url,
        "DATABASE_URL": db,
        "BOT_FRAMEWORK": framework,
        "ADMIN_IDS": str(ADMIN_ID),
        "HOME": str(cwd),
        "QUIET_HOURS": "off",  # the drop goes out whatever the time of day
    }
    return await asyncio.create_subprocess_exec(
        STOREFRONT,
        "run",
        cwd=cwd,
        env=env,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=(cwd / f"bot-{framework}.log").open("ab"),
    )


async def _status(uows: SqlUnitOfWorkFactory, drop_id: int) -> DropStatus:
    async with uows() as uow:
        drop = await uow.drops.get(drop_id)
    assert drop is not None
    return drop.status


async def _sending_rows(uows: SqlUnitOfWorkFactory, drop_id: int) -> int:
    async with uows.engine.connect() as conn:
        count = await conn.scalar(
            select(func.count())
            .select_from(DropDeliveryRow)
            .where(DropDeliveryRow.drop_id == drop_id, DropDeliveryRow.status == "sending")  # type: ignore[arg-type]
        )
    return int(count or 0)


async def _until_done(uows: SqlUnitOfWorkFactory, drop_id: int, seconds: float) -> None:
    for _ in range(int(seconds * 10)):
        await asyncio.sleep(0.1)
        if await _status(uows, drop_id) is DropStatus.DONE:
            return
    raise AssertionError(f"drop #{drop_id} is still {await _status(uows, drop_id)}")


@pytest.mark.parametrize("how", [signal.SIGKILL, signal.SIGTERM], ids=["kill-9", "sigterm"])
@pytest.mark.parametrize("framework", ["aiogram", "ptb"])
async def test_a_drop_stopped_half_way_resumes_without_sending_twice(
    framework: str, how: signal.Signals, tmp_path: Path
) -> None:
    db = sqlite_database(tmp_path / "shop.db", demo=True)
    engine = make_engine(db)
    uows = SqlUnitOfWorkFactory(engine)
    standin = BotApiStandIn(load_spec(), token=TOKEN, bot_username="shop_e2e_bot")
    await standin.start()
    bot: asyncio.subprocess.Process | None = None
    try:
        now = datetime.now(UTC)
        chats = [standin.private_chat(70_000 + i, f"Buyer {i}") for i in range(RECIPIENTS)]
        owner = standin.private_chat(ADMIN_ID, "Owner")
        async with uows() as uow:
            for chat in chats:
                await uow.buyers.touch(chat.id, "Buyer", None, "en", now)
            drop_id = await drops.compose(
                uow, TEXT, MediaKind.NONE, None, ["buy:KJ-10"], "all", False, now
            )
            started = await drops.send(uow, drop_id, 2, now)
            await uow.commit()
        assert started.recipients == RECIPIENTS

        def delivered() -> list[int]:
            return [sum(TEXT in m.get("text", "") for m in c.messages()) for c in chats]

        bot = await _start_bot(framework, db, standin, tmp_path)
        for _ in range(1200):  # the first message (a loaded machine starts the bot slowly)
            await asyncio.sleep(0.1)
            if sum(delivered()) > 0:
                break
        for _ in range(300):  # about 30 a second: stop it part-way through
            if sum(delivered()) >= RECIPIENTS // 3:
                break
            await asyncio.sleep(0.1)
        bot.send_signal(how)
        code = await asyncio.wait_for(bot.wait(), 20)  # SIGTERM: it must exit, and soon
        halfway = sum(delivered())
        assert 0 < halfway < RECIPIENTS, halfway
        assert await _status(uows, drop_id) is DropStatus.SENDING
        left_sending = await _sending_rows(uows, drop_id)
        if how is signal.SIGTERM:
            assert code == 0
            assert left_sending == 0  # the batches in flight finished and were recorded

        bot = await _start_bot(framework, db, standin, tmp_path)
        await _until_done(uows, drop_id, 60)
        counts = delivered()
        assert max(counts) == 1  # nobody twice
        async with uows() as uow:
            progress = await uow.drops.progress(drop_id)
        size, depth = window(False)
        missed = counts.count(0)
        assert progress.failed == progress.unconfirmed  # nobody blocked or capped here
        assert progress.sent + progress.unconfirmed == RECIPIENTS
        assert missed <= progress.unconfirmed <= size * depth  # only what was in flight
        if how is signal.SIGTERM:
            assert progress.unconfirmed == 0 and counts == [1] * RECIPIENTS
        else:
            assert progress.unconfirmed == left_sending
        # The final report is sent right after the drop is marked done: wait for it.
        for _ in range(100):
            report = [m["text"] for m in owner.messages() if f"Drop #{drop_id} done" in m["text"]]
            if report:
                break
            await asyncio.sleep(0.1)
        assert report and f"{progress.unconfirmed} unconfirmed" in report[-1]
        print(
            f"{framework} {how.name}: {halfway} before the stop, {progress.sent} confirmed, "
            f"{progress.unconfirmed} unconfirmed of which {missed} never arrived"
        )
    finally:
        if bot is not None and bot.returncode is None:
            bot.send_signal(signal.SIGTERM)
            await bot.wait()
        await standin.stop()
        await uows.dispose()
