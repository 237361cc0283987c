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
from dataclasses import dataclass, replace
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
    """The production sender on ``framework``: ``DropSender`` and the framework's bot client."""
    drop_id = await _prepare(url, recipients, FIRST_ID)
    env = {"DATABASE_URL": url, "BOT_FRAMEWORK": framework, "ADMIN_IDS": str(ADMIN)}
    result = await _deliver(
        framework, [framework, str(rate), str(drop_id)], env, recipients, rate, spec
    )
    engine = make_engine(url)
    counts = await drop_delivery_counts(engine, drop_id, FIRST_ID, FIRST_ID + recipients)
    await engine.dispose()
    return replace(result, blocked_marked=min(counts.get("blocked", 0), counts["blocked_users"]))


async def measure_bare(recipients: int, rate: float, spec: BotApiSpec) -> Result:
    """The baseline: a bare sender (aiohttp posting ``sendMessage``, the same pace and as many
    sends at once, no database, no framework) against the same stand-in, in a process of its
    own. What it reaches is what the stand-in and the machine allow; "blocked marked" is the
    403s it was answered."""
    argv = ["bare", str(rate), str(FIRST_ID), str(recipients)]
    return await _deliver("bare", argv, {}, recipients, rate, spec)


async def _deliver(
    label: str,
    argv: list[str],
    env_extra: dict[str, str],
    recipients: int,
    rate: float,
    spec: BotApiSpec,
) -> Result:
    """Run the sender process ``argv`` against a fresh stand-in; what the stand-in saw."""
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
            "TELEGRAM_API_BASE": standin.base_url,
            "LOG_LEVEL": "WARNING",
            **env_extra,
        }
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bench.broadcast",
            *argv,
            env=env,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.PIPE,
        )
        _, err = await asyncio.wait_for(process.communicate(), 600)
        if process.returncode != 0:
            raise RuntimeError(f"the sender failed: {err.decode()[-3000:]}")
        got = [sum(TEXT in str(m.get("text", "")) for m in c.messages()) for c in chats]
        calls = standin.calls_named("sendMessage")
        rate_limited = sum(c.error_code == 429 for c in calls)
        forbidden = sum(c.error_code == 403 for c in calls)
        if standin.violations:
            raise AssertionError(standin.violations)
    seconds = times[-1] - times[0] if len(times) > 1 else float("inf")
    return Result(
        label,
        recipients,
        (len(times) - 1) / seconds,
        sum(max(n - 1, 0) for n in got),
        sum(n == 0 for c, n in zip(chats, got, strict=True) if c.id not in blocked),
        rate_limited,
        len(blocked),
        forbidden,
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
                    f"of {BURST} 429s; the sender in its own process on {printable_url(url)}; "
                    "before each framework, a bare sender (aiohttp, no database) against the "
                    "same stand-in as the baseline",
                    flush=True,
                )
                print(
                    f"{'sender':<10} {'sends/s':>8} {'/ limit':>8} {'/ bare':>7} "
                    f"{'duplicates':>11} {'missing':>8} {'429s':>6} {'blocked marked':>15}"
                )
            bare = await measure_bare(recipients, rate, spec)
            _row(bare, rate, bare)
            r = await measure(framework, url, recipients, rate, spec)
            _row(r, rate, bare)
            results.append(r)
    worst = min(r.per_second / rate for r in results)
    print(
        f"target: >= 0.95 of the limit -> {'met' if worst >= 0.95 else 'NOT met'} "
        f"(worst {worst:.2f}); duplicates and missing must be 0"
    )
    return 0 if all(r.ok for r in results) else 1


def _row(r: Result, rate: float, bare: Result) -> None:
    print(
        f"{r.framework:<10} {r.per_second:>8.0f} {r.per_second / rate:>8.2f} "
        f"{r.per_second / bare.per_second:>7.2f} {r.duplicates:>11} {r.missing:>8} "
        f"{r.rate_limited:>6} {f'{r.blocked_marked}/{r.blocked}':>15}",
        flush=True,
    )


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


async def _send_bare(rate: float, first_id: int, recipients: int) -> None:
    """The baseline sender process: each chat once at the drop's pace, ``BARE_PARALLEL`` at
    once (as many as ``DropSender`` sends a paid drop with), straight over aiohttp; a 429 is
    retried after its ``retry_after``, a 403 is not."""
    import aiohttp

    from bot.workers.drop_pace import Pace

    url = f"{os.environ['TELEGRAM_API_BASE']}/bot{os.environ['BOT_TOKEN']}/sendMessage"
    pace = Pace(rate)
    gate = asyncio.Semaphore(BARE_PARALLEL)
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=BARE_PARALLEL)) as http:

        async def one(chat_id: int) -> None:
            body = {"chat_id": chat_id, "text": TEXT, "allow_paid_broadcast": True}
            while True:
                async with gate:
                    wait = await pace.slot(chat_id)
                    if wait > 0:
                        await asyncio.sleep(wait)
                    async with http.post(url, json=body) as response:
                        answer = await response.json()
                if answer.get("ok") or answer.get("error_code") != 429:
                    return
                await asyncio.sleep(answer.get("parameters", {}).get("retry_after", 1))

        await asyncio.gather(*(one(first_id + i) for i in range(recipients)))


#: Sends in flight in the bare sender: ``DropSender``'s for a paid drop (``paid_parallel``).
BARE_PARALLEL = 48


if __name__ == "__main__":  # a sender process
    if sys.argv[1] == "bare":
        rate_arg, first_arg, count_arg = sys.argv[2:5]
        asyncio.run(_send_bare(float(rate_arg), int(first_arg), int(count_arg)))
    else:
        framework_arg, rate_arg, drop_arg = sys.argv[1:4]
        asyncio.run(_send_drop(framework_arg, float(rate_arg), int(drop_arg)))
