"""``storefront bench broadcast``: a paid drop to 10,000 buyers at Telegram's paid limit.

The local Bot API stand-in (this process) enforces ``--rate`` messages a second overall and one
a second per chat, answers 403 for 1 % of the chats (people who blocked the bot) and 429 to a
few bursts of calls. The sender runs the production path in its own process: the real
framework bot client over HTTP and ``DropSender`` on the database (SQLite by default), pacing a
drop made with ``--paid`` (``allow_paid_broadcast``) at ``--rate``. What it prints comes from
the stand-in's own record of the messages it delivered, not from the bot's database: sends a
second (first to last delivery), their ratio to the limit (target >= 0.95), duplicates (must
be 0), missing (every chat that did not block the bot got the drop exactly once: must be 0),
the 429s answered and the chats the bot marked as blocked.
"""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from bot.domain.drops import MediaKind
from bot.services import drops
from bot.standin import BotApiSpec, BotApiStandIn, ChatEvent
from storage.engine import make_engine
from storage.maintenance import drop_delivery_counts, printable_url, unblock_users
from storage.migrate import upgrade
from storage.unit_of_work import SqlUnitOfWorkFactory

TOKEN = "42:BENCH"
ADMIN = 7
FIRST_ID = 9_000_000_000_000  # far above real Telegram ids
LANGUAGE = "qb"  # the bench's buyers only: a drop to ``lang:qb`` reaches nobody else
TEXT = "Midnight drop: 30% off everything spicy"
BLOCKED_EVERY = 100  # 1 % of the chats blocked the bot
BURSTS = (0.15, 0.35, 0.55)  # 429 bursts when this share of the chats got the drop
BURST = 25  # calls answered 429 (retry after 1 s) in each burst


@dataclass(frozen=True, slots=True)
class Result:
    framework: str
    recipients: int
    per_second: float
    duplicates: int
    missing: int
    rate_limited: int
    blocked: int
    blocked_marked: int

    @property
    def ok(self) -> bool:
        return self.duplicates == 0 and self.missing == 0


async def _prepare(url: str, recipients: int, first_id: int) -> int:
    """Buyers (the bench's own, reset), and a paid drop to them, started: its id."""
    engine = make_engine(url)
    await upgrade(engine)
    await unblock_users(engine, first_id, first_id + recipients)
    uows = SqlUnitOfWorkFactory(engine)
    try:
        now = datetime.now(UTC)
        async with uows() as uow:
            for i in range(recipients):
                await uow.buyers.touch(first_id + i, "Buyer", None, LANGUAGE, now)
            await uow.commit()
        async with uows() as uow:
            drop_id = await drops.compose(
                uow, TEXT, MediaKind.NONE, None, [], f"lang:{LANGUAGE}", True, now
            )
            started = await drops.send(uow, drop_id, 0, now)  # no daily cap: reruns on one db
            await uow.commit()
        assert started.recipients == recipients, started
        return drop_id
    finally:
        await uows.dispose()


async def measure(
    framework: str, url: str, recipients: int, rate: float, spec: BotApiSpec
) -> Result:
    drop_id = await _prepare(url, recipients, FIRST_ID)
    async with BotApiStandIn(spec, token=TOKEN) as standin:
        standin.private_chat(ADMIN, "Owner")
        chats = [standin.private_chat(FIRST_ID + i, f"B{i}") for i in range(recipients)]
        ids = {c.id for c in chats}
        blocked = {c.id for c in chats[::BLOCKED_EVERY]}
        for chat_id in blocked:
            standin.block_chat(chat_id)
        standin.rate_limit(rate, 1.0)
        times: list[float] = []
        bursts = [round(share * recipients) for share in BURSTS]

        def delivered(event: ChatEvent) -> None:
            if event.kind == "sent" and event.chat_id in ids:
                times.append(time.perf_counter())
                if bursts and len(times) >= bursts[0]:
                    bursts.pop(0)
                    standin.fail_next("sendMessage", error_code=429, retry_after=1, times=BURST)

        standin.add_listener(delivered)
        env = {
            **os.environ,
            "BOT_TOKEN": TOKEN,
            "BOT_FRAMEWORK": framework,
            "TELEGRAM_API_BASE": standin.base_url,
            "DATABASE_URL": url,
            "ADMIN_IDS": str(ADMIN),
            "LOG_LEVEL": "WARNING",
        }
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bench.broadcast",
            framework,
            str(rate),
            str(drop_id),
            env=env,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.PIPE,
        )
        _, err = await asyncio.wait_for(process.communicate(), 600)
        if process.returncode != 0:
            raise RuntimeError(f"the sender failed: {err.decode()[-3000:]}")
        got = [sum(TEXT in str(m.get("text", "")) for m in c.messages()) for c in chats]
        rate_limited = sum(c.error_code == 429 for c in standin.calls_named("sendMessage"))
        if standin.violations:
            raise AssertionError(standin.violations)
    engine = make_engine(url)
    counts = await drop_delivery_counts(engine, drop_id, FIRST_ID, FIRST_ID + recipients)
    await engine.dispose()
    seconds = times[-1] - times[0] if len(times) > 1 else float("inf")
    return Result(
        framework,
        recipients,
        (len(times) - 1) / seconds,
        sum(max(n - 1, 0) for n in got),
        sum(n == 0 for c, n in zip(chats, got, strict=True) if c.id not in blocked),
        rate_limited,
        len(blocked),
        min(counts.get("blocked", 0), counts["blocked_users"]),
    )


async def run_broadcast_bench(
    which: str, database_url: str | None, recipients: int = 10_000, rate: float = 1000.0
) -> int:
    spec = BotApiSpec.default()
    frameworks = ["aiogram", "ptb"] if which == "both" else [which]
    results: list[Result] = []
    with tempfile.TemporaryDirectory() as tmp:
        for framework in frameworks:
            url = database_url or f"sqlite+aiosqlite:///{Path(tmp) / f'{framework}.db'}"
            if framework == frameworks[0]:
                print(
                    f"storefront bench broadcast: {recipients} recipients, a paid drop, limit "
                    f"{rate:.0f}/s overall and 1/s per chat, 1 % blocked, {len(BURSTS)} bursts "
                    f"of {BURST} 429s; the sender in its own process on {printable_url(url)}",
                    flush=True,
                )
                print(
                    f"{'framework':<10} {'sends/s':>8} {'/ limit':>8} {'duplicates':>11} "
                    f"{'missing':>8} {'429s':>6} {'blocked marked':>15}"
                )
            r = await measure(framework, url, recipients, rate, spec)
            results.append(r)
            print(
                f"{r.framework:<10} {r.per_second:>8.0f} {r.per_second / rate:>8.2f} "
                f"{r.duplicates:>11} {r.missing:>8} {r.rate_limited:>6} "
                f"{f'{r.blocked_marked}/{r.blocked}':>15}",
                flush=True,
            )
    worst = min(r.per_second / rate for r in results)
    print(
        f"target: >= 0.95 of the limit -> {'met' if worst >= 0.95 else 'NOT met'} "
        f"(worst {worst:.2f}); duplicates and missing must be 0"
    )
    return 0 if all(r.ok for r in results) else 1


async def _send_drop(framework: str, rate: float, drop_id: int) -> None:
    """The sender process: the bot as ``storefront run`` wires it, sending one drop."""
    from bot.bootstrap import build_app
    from bot.config import Settings
    from bot.conversation.storefront import utc_now
    from bot.telegram.runner import make_polling
    from bot.workers.drop_pace import FREE_RATE
    from bot.workers.drop_sender import DropSender

    settings = Settings()
    app = await build_app(settings)
    sender = DropSender(
        app.uows,
        utc_now,
        settings.default_locale,
        tuple(settings.admin_ids),
        rates=(FREE_RATE, rate),
        parallel=int(os.environ.get("BENCH_PARALLEL", "16")),
    )
    poller = make_polling(
        framework,  # type: ignore[arg-type]
        app.storefront,
        settings.bot_token,
        settings.telegram_api_base,
    )
    await poller.start()
    try:
        sender.attach(poller.sender())
        await sender.run(drop_id)
    finally:
        await poller.stop()
        await app.close()


if __name__ == "__main__":  # the sender process
    framework_arg, rate_arg, drop_arg = sys.argv[1:4]
    asyncio.run(_send_drop(framework_arg, float(rate_arg), int(drop_arg)))
