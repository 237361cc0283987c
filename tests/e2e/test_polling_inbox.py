"""Long polling survives a kill -9 and a SIGTERM mid-burst: the real bot (``storefront run``,
on each framework, on SQLite and PostgreSQL) stores every update in its inbox before telling
Telegram, so nothing it was sent is lost, and each update is handled once.

30 buyers are past the pre-checkout (stock held) when their 30 ``successful_payment`` updates
arrive among 180 other people's ``/help``. After kill -9 and a restart: 30 paid orders, stock
taken 30 times, a receipt for each buyer and an answer for each of the 180. A reply can only
come twice where the process died after the update committed and before it marked the update
done (the replies are then delivered again from the inbox): the duplicates are at most those
rows, counted and printed. After SIGTERM: exit 0 within 30 s, and everything exactly once.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bot.domain.orders import OrderStatus
from bot.services.order_ports import PAYMENT_BACKUP
from storage.order_tables import NotificationRow, OrderRow
from storage.tables import VariantRow
from tests.e2e.polling_processes import (
    BotRun,
    PreparedShop,
    Replies,
    inbox_counts,
    prepared_shop,
    start_run,
    wait_until,
)

pytestmark = pytest.mark.slow

BUYERS = 30
TALKERS = 180
STOCK = 200  # Spicy Konjac Jelly in the demo catalog


@pytest.fixture(params=["aiogram", "ptb"])
def framework(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def _burst(shop: PreparedShop) -> tuple[list[int], list[int]]:
    """180 people send /help; the 30 payments arrive among them. (talkers, buyers)."""
    talkers = [shop.standin.private_chat(50_000 + i, f"Talker {i}") for i in range(TALKERS)]
    payments = list(shop.payments)
    every = TALKERS // len(payments)
    for i, chat in enumerate(talkers):
        chat.send_text("/help")
        if i % every == every - 1 and payments:
            shop.standin.push_update(payments.pop(0))
    for payment in payments:
        shop.standin.push_update(payment)
    return [c.id for c in talkers], [b.id for b in shop.buyers]


def _answered(replies: Replies, talkers: list[int], buyers: list[int]) -> int:
    replies.count()
    return replies.answered(talkers) + replies.paid(buyers)


async def _one_second_into_the_burst(
    replies: Replies, talkers: list[int], buyers: list[int], run: BotRun
) -> None:
    """About one second after the first answer (sooner if half are answered)."""
    half = (len(talkers) + len(buyers)) // 2
    await wait_until(lambda: _answered(replies, talkers, buyers) > 0, 90, "an answer", run)
    deadline = time.monotonic() + 1.0
    while time.monotonic() < deadline and _answered(replies, talkers, buyers) < half:
        await asyncio.sleep(0.01)


async def _all_answered(
    shop: PreparedShop, replies: Replies, talkers: list[int], buyers: list[int], run: BotRun
) -> float:
    """Seconds until every talker was answered, every buyer has a receipt and the inbox has
    nothing left."""

    def answered() -> bool:
        replies.count()
        return replies.answered(talkers) == len(talkers) and replies.paid(buyers) == len(buyers)

    took = await wait_until(answered, 120, "every update answered", run)
    for _ in range(200):
        if (await inbox_counts(shop.uows))[0] == 0:
            break
        await asyncio.sleep(0.05)
    return took


@dataclass
class Outcome:
    paid_orders: int
    buyers_with_one_paid_order: int
    stock: int
    backups_pending: int
    extra_receipts: int
    extra_answers: int
    inbox_left: int


async def _outcome(
    shop: PreparedShop, replies: Replies, talkers: list[int], buyers: list[int]
) -> Outcome:
    replies.count()
    async with shop.uows.engine.connect() as conn:
        rows = await conn.execute(
            select(OrderRow.user_id, func.count())  # type: ignore[call-overload]
            .where(OrderRow.user_id.in_(buyers), OrderRow.status == OrderStatus.PAID)  # type: ignore[attr-defined]
            .group_by(OrderRow.user_id)
        )
        per_buyer = dict(rows.all())
        stock = await conn.scalar(select(VariantRow.stock).where(VariantRow.sku == "KJ-10"))  # type: ignore[arg-type,call-overload]
        backups = await conn.scalar(
            select(func.count())
            .select_from(NotificationRow)
            .where(NotificationRow.kind == PAYMENT_BACKUP, NotificationRow.status == "pending")  # type: ignore[arg-type]
        )
    return Outcome(
        paid_orders=sum(per_buyer.values()),
        buyers_with_one_paid_order=sum(1 for n in per_buyer.values() if n == 1),
        stock=int(stock or 0),
        backups_pending=int(backups or 0),
        extra_receipts=replies.extra(buyers, replies.receipts),
        extra_answers=replies.extra(talkers, replies.messages),
        inbox_left=(await inbox_counts(shop.uows))[0],
    )


def _db(url: str) -> str:
    return "postgres" if url.startswith("postgresql") else "sqlite"


async def test_kill_9_mid_burst_loses_no_payment_and_no_message(
    framework: str, database_url: str, tmp_path: Path
) -> None:
    async with prepared_shop(framework, tmp_path, database_url, BUYERS) as shop:
        talkers, buyers = _burst(shop)
        everyone = talkers + buyers
        replies = Replies(shop.standin)
        run = await start_run(framework, database_url, shop.standin, tmp_path, "killed")
        try:
            await _one_second_into_the_burst(replies, talkers, buyers, run)
        finally:
            await run.kill()
        before = _answered(replies, talkers, buyers)
        left, to_replay = await inbox_counts(shop.uows)
        assert before < len(everyone), "the kill came after the burst; nothing was tested"

        restarted = time.monotonic()
        run = await start_run(framework, database_url, shop.standin, tmp_path, "restarted")
        try:
            await _all_answered(shop, replies, talkers, buyers, run)
            recovery = time.monotonic() - restarted
            await run.ready()
            assert await run.terminate() == 0
        finally:
            if run.running:
                await run.kill()
        result = await _outcome(shop, replies, talkers, buyers)
        print(
            f"\n{framework}/{_db(database_url)} kill -9: {before} of {len(everyone)} answered "
            f"before the kill, {left} left in the inbox ({to_replay} committed, replies not "
            f"marked delivered); after restart: lost 0, duplicates {result.extra_receipts} "
            f"receipts + {result.extra_answers} answers, all answered {recovery:.1f} s after "
            "the restart"
        )
        # A request the kill cut off half-way is not the bot's mistake.
        cut = [v for v in shop.standin.violations if "unreadable request" in v and "lost" in v]
        assert [v for v in shop.standin.violations if v not in cut] == []
        assert result.paid_orders == BUYERS and result.buyers_with_one_paid_order == BUYERS
        assert result.stock == STOCK - BUYERS
        assert result.backups_pending == 0  # every receipt went out: no backup is left to send
        assert result.inbox_left == 0
        # Only an update that had committed when the process died is delivered again.
        assert result.extra_receipts + result.extra_answers <= to_replay


async def test_sigterm_mid_burst_exits_0_and_everything_is_answered_once(
    framework: str, database_url: str, tmp_path: Path
) -> None:
    async with prepared_shop(framework, tmp_path, database_url, BUYERS) as shop:
        talkers, buyers = _burst(shop)
        everyone = talkers + buyers
        replies = Replies(shop.standin)
        run = await start_run(framework, database_url, shop.standin, tmp_path, "stopped")
        try:
            await _one_second_into_the_burst(replies, talkers, buyers, run)
            stopping = time.monotonic()
            code = await run.terminate(timeout=30)
            stopped_in = time.monotonic() - stopping
        finally:
            if run.running:
                await run.kill()
        assert code == 0, run.output()[-3000:]
        before = _answered(replies, talkers, buyers)
        left, to_replay = await inbox_counts(shop.uows)
        assert to_replay == 0  # every update fetched finished and delivered its replies

        restarted = time.monotonic()
        run = await start_run(framework, database_url, shop.standin, tmp_path, "restarted")
        try:
            await _all_answered(shop, replies, talkers, buyers, run)
            recovery = time.monotonic() - restarted
            await run.ready()
            assert await run.terminate() == 0
        finally:
            if run.running:
                await run.kill()
        result = await _outcome(shop, replies, talkers, buyers)
        print(
            f"\n{framework}/{_db(database_url)} SIGTERM: exit 0 in {stopped_in:.1f} s, "
            f"{before} of {len(everyone)} answered before, {left} left in the inbox; after "
            f"restart: lost 0, duplicates {result.extra_receipts} receipts + "
            f"{result.extra_answers} answers, all answered {recovery:.1f} s after the restart"
        )
        assert shop.standin.violations == []
        assert result.paid_orders == BUYERS and result.buyers_with_one_paid_order == BUYERS
        assert result.stock == STOCK - BUYERS
        assert result.backups_pending == 0
        assert result.inbox_left == 0
        assert result.extra_receipts == 0 and result.extra_answers == 0
