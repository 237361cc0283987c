"""``storefront bench updates``: the browse flow against a bare echo bot, per framework.

The browse flow is what a buyer does most: press ◀ / ▶ on a product card. Each press is a real
``callback_query`` update read by the real framework, routed by the storefront (catalog reads
from SQLite, through the process's short-lived read cache), and answered with
``answerCallbackQuery`` and ``editMessageText``. The echo bot answers as many text messages
from the same users with ``sendMessage``. Each bot runs in its own process, as in production,
polling one local Bot API stand-in (this process), which counts the calls that mark each update
done. The figure that matters is the ratio of the two rates, measured in the same run
(target: browse >= 70 % of echo on each framework, on SQLite).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import statistics
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

from bot.services.catalog_file import parse_catalog
from bot.services.catalog_import import import_catalog
from bot.standin import BotApiSpec, BotApiStandIn
from storage.engine import make_engine
from storage.migrate import upgrade
from storage.unit_of_work import SqlUnitOfWorkFactory

TOKEN = "42:BENCH"
USERS = 50
PRODUCTS = 30


@dataclass(frozen=True, slots=True)
class Rate:
    updates: int
    seconds: float
    #: CPU seconds of this process (the stand-in) over the same window: near ``seconds`` would
    #: mean the stand-in, not the bot, set the pace.
    standin_cpu: float = 0.0
    #: CPU seconds of the bot process over the window (0 where /proc is not there).
    bot_cpu: float = 0.0

    @property
    def standin_busy(self) -> float:
        return self.standin_cpu / self.seconds

    @property
    def bot_busy(self) -> float:
        return self.bot_cpu / self.seconds

    @property
    def cpu_ms_per_update(self) -> float:
        """The bot's CPU per update: what a loaded machine changes least."""
        return 1000 * self.bot_cpu / self.updates

    @property
    def per_second(self) -> float:
        return self.updates / self.seconds


def _cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a process so far (Linux ``/proc``; 0 elsewhere)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def bench_catalog() -> str:
    """A category of text-card products (no media: each press is an editMessageText)."""
    lines = ["currency: USD", "categories:", "  - {slug: bench, name: Bench}", "products:"]
    for i in range(PRODUCTS):
        lines.append(
            f"  - {{slug: p{i}, name: Product {i}, category: bench, "
            f"description: A product for the benchmark, sku: SKU{i}, "
            f"price: {100 + i}, stock: 50}}"
        )
    return "\n".join(lines)


async def prepare_database(url: str, folder: Path) -> None:
    engine = make_engine(url)
    await upgrade(engine)
    uows = SqlUnitOfWorkFactory(engine)
    await import_catalog(uows, parse_catalog(bench_catalog(), ".yaml", folder))
    await uows.dispose()


class _CallCounter:
    """Counts successful calls per method, reading only the calls recorded since last time
    (rescanning them all every few milliseconds would load the stand-in being measured)."""

    def __init__(self, standin: BotApiStandIn) -> None:
        self.standin = standin
        self.seen = 0
        self.counts: dict[str, int] = {}

    def count(self, method: str) -> int:
        calls = self.standin.calls
        for call in calls[self.seen :]:
            if call.ok:
                self.counts[call.method] = self.counts.get(call.method, 0) + 1
        self.seen = len(calls)
        return self.counts.get(method, 0)

    async def wait(self, method: str, count: int, timeout: float) -> None:
        """Until the bot has made ``count`` successful calls of ``method`` in total."""
        deadline = time.monotonic() + timeout
        while self.count(method) < count:
            if time.monotonic() > deadline:
                raise TimeoutError(f"the bot made too few {method} calls")
            await asyncio.sleep(0.005)


@contextlib.asynccontextmanager
async def _bot_process(
    args: list[str], env: dict[str, str]
) -> AsyncIterator[asyncio.subprocess.Process]:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        *args,
        env={**os.environ, **env},
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        yield process
    finally:
        if process.returncode is None:
            process.terminate()
            try:
                await asyncio.wait_for(process.wait(), 20)
            except TimeoutError:
                process.kill()
                await process.wait()


async def _polling(
    standin: BotApiStandIn, process: asyncio.subprocess.Process, ready_call: str
) -> None:
    """Until the bot process has made ``ready_call`` (or say why it died)."""
    deadline = time.monotonic() + 60
    while not standin.calls_named(ready_call):
        if process.returncode is not None:
            err = (await process.stderr.read()).decode() if process.stderr else ""
            raise RuntimeError(f"the bot process exited: {err[-2000:]}")
        if time.monotonic() > deadline:
            raise TimeoutError("the bot process never polled")
        await asyncio.sleep(0.05)


async def measure_echo(framework: str, n: int, spec: BotApiSpec) -> Rate:
    async with (
        BotApiStandIn(spec, token=TOKEN, check_calls=False) as standin,
        _bot_process(["-m", "bench.echo", framework, TOKEN, standin.base_url], {}) as process,
    ):
        await _polling(standin, process, "getUpdates")
        chats = [standin.private_chat(10_000 + u, f"U{u}") for u in range(USERS)]
        counter = _CallCounter(standin)
        started, cpu, bot_cpu = time.perf_counter(), time.process_time(), _cpu_seconds(process.pid)
        for i in range(n):
            chats[i % USERS].send_text(f"hello {i}")
        await counter.wait("sendMessage", n, 600)
        return Rate(
            n,
            time.perf_counter() - started,
            time.process_time() - cpu,
            _cpu_seconds(process.pid) - bot_cpu,
        )


async def measure_browse(framework: str, n: int, spec: BotApiSpec, folder: Path) -> Rate:
    url = f"sqlite+aiosqlite:///{folder / 'browse.db'}"
    await prepare_database(url, folder)
    env = {
        "BOT_TOKEN": TOKEN,
        "BOT_FRAMEWORK": framework,
        "DATABASE_URL": url,
        "LOG_LEVEL": "WARNING",
    }
    async with BotApiStandIn(spec, token=TOKEN, check_calls=False) as standin:
        standin_env = {**env, "TELEGRAM_API_BASE": standin.base_url}
        async with _bot_process(["-m", "bot.cli", "run"], standin_env) as process:
            # setMyCommands comes just before polling starts (getUpdates is only recorded
            # when its long poll returns).
            await _polling(standin, process, "setMyCommands")
            # Not timed: each user opens the category once, leaving one card to page through.
            chats = [standin.private_chat(20_000 + u, f"U{u}") for u in range(USERS)]
            counter = _CallCounter(standin)
            for chat in chats:
                chat.send_text("/catalog")
            await counter.wait("sendMessage", USERS, 60)
            for chat in chats:
                chat.press(chat.last_keyboard_message(), 0)
            await counter.wait("sendMessage", 2 * USERS, 60)
            cards = [int(str(c.last_keyboard_message()["message_id"])) for c in chats]  # type: ignore[index]
            edits = counter.count("editMessageText")
            started, cpu = time.perf_counter(), time.process_time()
            bot_cpu = _cpu_seconds(process.pid)
            for i in range(n):
                user = i % USERS
                chats[user].press_data(cards[user], f"nv:c:1:{(i // USERS + 1) % PRODUCTS}")
            await counter.wait("editMessageText", edits + n, 600)
            await counter.wait("answerCallbackQuery", USERS + n, 60)
            rate = Rate(
                n,
                time.perf_counter() - started,
                time.process_time() - cpu,
                _cpu_seconds(process.pid) - bot_cpu,
            )
        if standin.violations:
            raise AssertionError(standin.violations)
        return rate


async def run_bench(which: str, updates: int, rounds: int = 3) -> int:
    """Alternate echo and browse runs; report medians and their ratio per framework."""
    spec = BotApiSpec.default()
    frameworks = ["aiogram", "ptb"] if which == "both" else [which]
    print(
        f"storefront bench updates: {updates} updates x {rounds} rounds, {USERS} users, "
        "SQLite, each bot in its own process, local Bot API stand-in (calls not checked)",
        flush=True,
    )
    print(
        f"{'framework':<10} {'echo upd/s':>12} {'browse upd/s':>14} {'browse/echo':>12} "
        f"{'bot CPU ms/update (echo / browse)':>35} {'stand-in busy (echo / browse)':>31}"
    )
    worst = 1.0
    with tempfile.TemporaryDirectory() as tmp:
        for framework in frameworks:
            echo, browse = [], []
            for r in range(rounds):
                echo.append(await measure_echo(framework, updates, spec))
                folder = Path(tmp) / f"{framework}-{r}"
                folder.mkdir()
                browse.append(await measure_browse(framework, updates, spec, folder))
            e = statistics.median(x.per_second for x in echo)
            b = statistics.median(x.per_second for x in browse)
            busy_e = statistics.median(x.standin_busy for x in echo)
            busy_b = statistics.median(x.standin_busy for x in browse)
            cpu_e = statistics.median(x.cpu_ms_per_update for x in echo)
            cpu_b = statistics.median(x.cpu_ms_per_update for x in browse)
            worst = min(worst, b / e)
            print(
                f"{framework:<10} {e:>12.0f} {b:>14.0f} {b / e:>11.0%} "
                f"{cpu_e:>24.2f} / {cpu_b:<8.2f} {busy_e:>20.0%} / {busy_b:.0%}",
                flush=True,
            )
    print(
        f"target: browse >= 70% of echo on each framework -> "
        f"{'met' if worst >= 0.70 else 'NOT met'} (worst {worst:.0%})"
    )
    print(
        "bot CPU ms/update: the bot process's CPU over the timed window per update (a loaded "
        "machine changes it less than the rates); stand-in busy: the stand-in's CPU over the "
        "window (one core = 100%): well under 100% means the bots, not the stand-in, set the pace"
    )
    return 0
