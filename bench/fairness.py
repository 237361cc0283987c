"""``storefront bench fairness``: a quiet buyer's replies while another buyer floods the shop.

One user sends ``flood`` text messages at once (1,000 by default: each is a search) while a
second user sends ``commands`` ``/help`` commands, one every ``interval`` seconds (50, 1 s). The
figure is the quiet user's reply latency (from the update being queued at the stand-in to the
bot's reply arriving there), p50 and p95, next to the baseline measured in the same run and the
same bot process: the same commands with no flood. The flooder's replies are counted too:
handled (a search answer), told (the slow-down notice) and dropped (no answer).

Modes: ``polling`` (``storefront run`` on SQLite) and ``webhook`` (``storefront webhook`` on a
PostgreSQL database it creates and drops, 40 updates in flight as Telegram's default
``max_connections``), each bot in a process of its own with its default settings (flood
control: FLOOD_RATE=20 per 10 s). Target: the quiet user's p95 at most 300 ms under the flood.
"""

from __future__ import annotations

import asyncio
import math
import os
import statistics
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from bench.updates import prepare_database
from bench.webhook import DEFAULT_SERVER, IN_FLIGHT, _free_port, _Processes, fresh_database
from bot.conversation.texts import texts
from bot.standin import BotApiSpec, BotApiStandIn, SimChat
from bot.standin.chat_store import ChatEvent

TOKEN = "42:BENCH"
SECRET = "bench-fairness-secret"
QUIET, FLOODER = 61_001, 61_002
TARGET_P95 = 0.300
#: The help text's first words and the slow-down notice's, as the bot sends them (English).
_HELP = "How to shop here"
_SLOW = texts("en").plural("flood.slow_down", 10)[:30]


@dataclass(slots=True)
class Replies:
    """The bot's messages into the two chats, as the stand-in stores them."""

    quiet: list[float] = field(default_factory=list)  # arrival times of /help answers
    flood_handled: int = 0
    flood_told: int = 0
    flood_last: float = 0.0

    def listen(self, event: ChatEvent) -> None:
        if event.kind != "sent" or event.message is None:
            return
        text = str(event.message.get("text", ""))
        now = time.perf_counter()
        if event.chat_id == QUIET and _HELP in text:
            self.quiet.append(now)
        elif event.chat_id == FLOODER:
            self.flood_last = now
            if text.startswith(_SLOW):
                self.flood_told += 1
            else:
                self.flood_handled += 1


@dataclass(frozen=True, slots=True)
class Run:
    latencies: list[float]
    handled: int = 0
    told: int = 0

    def percentile(self, p: int) -> float:
        if len(self.latencies) < 2:
            return self.latencies[0] if self.latencies else math.nan
        return statistics.quantiles(self.latencies, n=100, method="inclusive")[p - 1]


@dataclass(frozen=True, slots=True)
class Row:
    framework: str
    mode: str
    idle: Run
    flood: Run
    flood_size: int

    @property
    def dropped(self) -> int:
        return self.flood_size - self.flood.handled


async def _wait(
    predicate: Callable[[], object], procs: _Processes, timeout: float, what: str
) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        problem = procs.failed()
        if problem:
            raise RuntimeError(f"the bot process {problem}")
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out waiting for {what}")
        await asyncio.sleep(0.005)


async def _quiet_commands(
    chat: SimChat, replies: Replies, commands: int, interval: float, procs: _Processes
) -> list[float]:
    """``commands`` /help, one every ``interval``; each one's time to its answer."""
    already = len(replies.quiet)
    sent: list[float] = []
    for n in range(commands):
        at = time.perf_counter()
        chat.send_text("/help")
        sent.append(at)
        if n + 1 < commands:
            await asyncio.sleep(max(0.0, at + interval - time.perf_counter()))
    await _wait(
        lambda: len(replies.quiet) >= already + commands, procs, 120 + commands, "the answers"
    )
    return [r - s for r, s in zip(replies.quiet[already:], sent, strict=True)]


async def measure(
    framework: str,
    mode: str,
    flood: int,
    commands: int,
    interval: float,
    spec: BotApiSpec,
    folder: Path,
    database_url: str,
) -> Row:
    procs = _Processes(folder)
    replies = Replies()
    async with BotApiStandIn(spec, token=TOKEN) as standin:
        standin.add_listener(replies.listen)
        env = {
            "BOT_TOKEN": TOKEN,
            "BOT_FRAMEWORK": framework,
            "TELEGRAM_API_BASE": standin.base_url,
            "DATABASE_URL": database_url,
            "REDIS_URL": "",
            "CART_REMINDER_HOURS": "0",
            "LOG_LEVEL": "WARNING",
        }
        try:
            if mode == "webhook":
                webhook = standin.state.webhook
                assert webhook is not None
                webhook.parallel = IN_FLIGHT
                port = _free_port()
                env |= {
                    "WEBHOOK_URL": f"http://127.0.0.1:{port}/hook",
                    "WEBHOOK_SECRET": SECRET,
                    "WEBHOOK_HOST": "127.0.0.1",
                    "WEBHOOK_PORT": str(port),
                }
                await procs.start(["-m", "bot.cli", "webhook"], env)
                ready = "setWebhook"
            else:
                await procs.start(["-m", "bot.cli", "run"], env)
                ready = "setMyCommands"  # just before polling starts
            await _wait(lambda: standin.calls_named(ready), procs, 60, "the bot to start")
            quiet = standin.private_chat(QUIET, "Quinn")
            flooder = standin.private_chat(FLOODER, "Flo")
            # Warm up (not timed): the first update of a process pays for imports and caches.
            await _quiet_commands(quiet, replies, 2, 0.2, procs)

            idle = Run(await _quiet_commands(quiet, replies, commands, interval, procs))

            for i in range(flood):
                flooder.send_text(f"zzq {i}")
            latencies = await _quiet_commands(quiet, replies, commands, interval, procs)
            # The flood's end: every update confirmed and no reply for a second.
            await _wait(
                lambda: (
                    standin.pending_updates == 0 and time.perf_counter() - replies.flood_last > 1.0
                ),
                procs,
                600,
                "the flood to be worked off",
            )
        finally:
            await procs.stop()
        if standin.violations:
            raise AssertionError(standin.violations[:5])
    return Row(
        framework,
        mode,
        idle,
        Run(latencies, replies.flood_handled, replies.flood_told),
        flood,
    )


async def run_fairness_bench(
    which: str,
    mode: str,
    flood: int = 1000,
    commands: int = 50,
    interval: float = 1.0,
    server_url: str | None = None,
) -> int:
    spec = BotApiSpec.default()
    frameworks = ["aiogram", "ptb"] if which == "both" else [which]
    modes = ["polling", "webhook"] if mode == "both" else [mode]
    server = server_url or DEFAULT_SERVER
    print(
        f"storefront bench fairness: one user floods {flood} messages at once while another "
        f"sends {commands} /help, 1 every {interval:g} s; quiet user's reply latency, idle "
        f"(no flood) vs flood, same run, same bot process; {os.cpu_count()} cores",
        flush=True,
    )
    print(
        f"{'framework':<9} {'mode':<8} {'database':<10} {'idle p50':>9} {'idle p95':>9} "
        f"{'flood p50':>10} {'flood p95':>10} {'flood max':>10} {'p95/idle':>9} "
        f"{'handled':>8} {'dropped':>8} {'told':>5}"
    )
    worst = 0.0
    with tempfile.TemporaryDirectory() as tmp:
        for framework in frameworks:
            for m in modes:
                folder = Path(tmp) / f"{framework}-{m}"
                folder.mkdir()
                if m == "polling":
                    url = f"sqlite+aiosqlite:///{folder / 'fairness.db'}"
                    await prepare_database(url, folder)
                    row = await measure(framework, m, flood, commands, interval, spec, folder, url)
                    where = "SQLite"
                else:
                    async with fresh_database(server, folder) as url:
                        await prepare_database(url, folder)
                        row = await measure(
                            framework, m, flood, commands, interval, spec, folder, url
                        )
                    where = "SQLite" if server.startswith("sqlite") else "PostgreSQL"
                idle95, flood95 = row.idle.percentile(95), row.flood.percentile(95)
                worst = max(worst, flood95)
                print(
                    f"{framework:<9} {m:<8} {where:<10} {row.idle.percentile(50) * 1000:>9.0f} "
                    f"{idle95 * 1000:>9.0f} {row.flood.percentile(50) * 1000:>10.0f} "
                    f"{flood95 * 1000:>10.0f} {max(row.flood.latencies) * 1000:>10.0f} "
                    f"{flood95 / idle95:>8.1f}x "
                    f"{row.flood.handled:>8} {row.dropped:>8} {row.flood.told:>5}",
                    flush=True,
                )
    print("latencies in ms; handled/dropped/told: the flooder's messages answered, not, notices")
    print(
        f"target: the quiet user's p95 <= {TARGET_P95 * 1000:.0f} ms under the flood -> "
        f"{'met' if worst <= TARGET_P95 else 'NOT met'} (worst {worst * 1000:.0f} ms)"
    )
    return 0
