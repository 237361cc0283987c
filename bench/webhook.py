"""``storefront bench webhook``: the shop served by webhook, one and two processes, on PostgreSQL.

A mixed browse/cart workload (7 in 10 updates a ◀/▶ press, 2 an "Add to cart" press, 1 a
``/cart``) from 50 buyers, each looking at a product card, is delivered by the local Bot API
stand-in with 40 updates in flight (Telegram's default ``max_connections``) to real
``storefront webhook`` processes: one, then two behind a round-robin "load balancer" (the
stand-in's delivery alternating between them). The baseline, in the same run, is a bare webhook
echo bot on the same framework (``bench.echo_webhook``: text -> ``sendMessage``, no shop, no
database). Latency is taken at the webhook, from the delivery side: a POST's start to its 200
(the shop answers only once the update is handled and its replies are sent). Rates count from
the first update queued to the last one answered.

The machine's cores bound what a second process can add: on two cores the stand-in, the
PostgreSQL server and the bot processes share them, so two processes do not double anything;
the table says what was measured.
"""

from __future__ import annotations

import asyncio
import os
import socket
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from bench.updates import PRODUCTS, USERS, prepare_database
from bot.standin import BotApiSpec, BotApiStandIn, SimChat

TOKEN = "42:BENCH"
SECRET = "bench-webhook-secret"
#: Telegram's default max_connections: how many updates it has in flight to one webhook.
IN_FLIGHT = 40
#: The steady rate of the latency run (one process): p95 there is the figure that matters, not
#: under a flood where it is mostly the queue.
OFFERED = 100.0
DEFAULT_SERVER = os.environ.get(
    "BENCH_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"
)


@dataclass(frozen=True, slots=True)
class Result:
    label: str
    updates: int
    seconds: float
    latencies: list[float]
    #: Update ids that got a 200, and how many POSTs got anything else (retried).
    answered: set[int]
    refused: int

    @property
    def per_second(self) -> float:
        return self.updates / self.seconds

    def percentile(self, p: int) -> float:
        if len(self.latencies) < 2:
            return self.latencies[0] if self.latencies else 0.0
        return statistics.quantiles(self.latencies, n=100, method="inclusive")[p - 1]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@asynccontextmanager
async def fresh_database(server_url: str, folder: Path) -> AsyncIterator[str]:
    """A new empty database: a SQLite file, or one created on the PostgreSQL server of
    ``server_url`` (and dropped afterwards; the server's own databases are left alone)."""
    if server_url.startswith("sqlite"):
        yield f"sqlite+aiosqlite:///{folder / f'bench-{uuid.uuid4().hex[:8]}.db'}"
        return
    import asyncpg

    parts = urlsplit(server_url)
    admin = urlunsplit(parts._replace(scheme="postgresql"))
    name = f"storefront_bench_{uuid.uuid4().hex[:10]}"
    conn = await asyncpg.connect(admin)
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    try:
        yield urlunsplit(parts._replace(path=f"/{name}"))
    finally:
        conn = await asyncpg.connect(admin)
        try:
            await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await conn.close()


class _Processes:
    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.running: list[tuple[asyncio.subprocess.Process, Path]] = []

    async def start(self, args: list[str], env: dict[str, str]) -> None:
        log = self.folder / f"process-{len(self.running)}.log"
        with log.open("wb") as out:
            process = await asyncio.create_subprocess_exec(
                sys.executable,
                *args,
                env={**os.environ, "PYTHONPATH": str(Path(__file__).parents[1]), **env},
                cwd=self.folder,  # no .env from wherever the bench was started
                stdout=out,
                stderr=out,
            )
        self.running.append((process, log))

    def failed(self) -> str | None:
        for process, log in self.running:
            if process.returncode is not None:
                return f"exited {process.returncode}: {log.read_text(errors='replace')[-2000:]}"
        return None

    async def stop(self) -> None:
        for process, _ in self.running:
            if process.returncode is None:
                process.terminate()
        for process, _ in self.running:
            try:
                await asyncio.wait_for(process.wait(), 30)
            except TimeoutError:
                process.kill()
                await process.wait()
        self.running.clear()


async def _until(
    standin: BotApiStandIn, done: Callable[[], object], procs: _Processes, what: str
) -> None:
    deadline = time.monotonic() + 120
    while not done():
        problem = procs.failed()
        if problem:
            raise RuntimeError(f"a bot process {problem}")
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out waiting for {what}")
        await asyncio.sleep(0.005)


async def measure(
    framework: str,
    n: int,
    spec: BotApiSpec,
    folder: Path,
    *,
    shop_processes: int = 0,
    database_url: str = "",
    first_user: int = 30_000,
    users: int = USERS,
    offered: float = 0.0,
) -> Result:
    """``shop_processes=0``: the echo bot; else that many ``storefront webhook`` processes
    (buyers ``first_user`` on: runs on one database use buyers of their own). ``offered``:
    updates a second, queued on a steady clock (0: all at once)."""
    procs = _Processes(folder)
    async with BotApiStandIn(spec, token=TOKEN, check_calls=False) as standin:
        webhook = standin.state.webhook
        assert webhook is not None
        webhook.parallel = IN_FLIGHT
        # Update ids of this run's own: the database remembers those it handled before.
        standin.state.updates._next_id = first_user * 1000
        ports = [_free_port() for _ in range(max(shop_processes, 1))]
        webhook.targets = [f"http://127.0.0.1:{port}/hook" for port in ports]
        try:
            for port in ports:
                if shop_processes:
                    env = {
                        "BOT_TOKEN": TOKEN,
                        "BOT_FRAMEWORK": framework,
                        "TELEGRAM_API_BASE": standin.base_url,
                        "DATABASE_URL": database_url,
                        "WEBHOOK_URL": f"http://127.0.0.1:{port}/hook",
                        "WEBHOOK_SECRET": SECRET,
                        "WEBHOOK_HOST": "127.0.0.1",
                        "WEBHOOK_PORT": str(port),
                        "REDIS_URL": "",
                        "CART_REMINDER_HOURS": "0",
                        # Each buyer sends 10+ updates a second: a throughput test, no flood.
                        "FLOOD_RATE": "0",
                        "LOG_LEVEL": "WARNING",
                    }
                    await procs.start(["-m", "bot.cli", "webhook"], env)
                else:
                    args = ["-m", "bench.echo_webhook", framework, TOKEN, standin.base_url]
                    await procs.start([*args, str(port), SECRET], {})
            await _until(
                standin,
                lambda: len(standin.calls_named("setWebhook")) >= len(ports),
                procs,
                "the bot processes to set the webhook",
            )
            chats = [standin.private_chat(first_user + u, f"U{u}") for u in range(users)]
            cards: list[int] = []
            if shop_processes:  # not timed: each buyer opens the category, leaving one card
                for chat in chats:
                    chat.send_text("/catalog")
                await _until(standin, lambda: standin.pending_updates == 0, procs, "/catalog")
                for chat in chats:
                    chat.press(chat.last_keyboard_message(), 0)
                await _until(standin, lambda: standin.pending_updates == 0, procs, "the cards")
                cards = [int(str(c.last_keyboard_message()["message_id"])) for c in chats]  # type: ignore[index]
            webhook.timings = []
            first_id = standin.state.updates._next_id
            started = time.perf_counter()
            for i in range(n):
                if offered:
                    await asyncio.sleep(max(0.0, started + i / offered - time.perf_counter()))
                chat = chats[i % users]
                if not shop_processes:
                    chat.send_text(f"hello {i}")
                else:
                    _mixed(chat, cards[i % users], i, users)
            await _until(standin, lambda: standin.pending_updates == 0, procs, "the updates")
            seconds = time.perf_counter() - started
            timings = webhook.timings
            webhook.timings = None
        finally:
            await procs.stop()
        if standin.violations:
            raise AssertionError(standin.violations[:5])
    label = f"shop, {shop_processes} process{'es' if shop_processes > 1 else ''}"
    if offered:
        label += f", {offered:.0f}/s"
    return Result(
        "echo" if not shop_processes else label,
        n,
        seconds,
        [s for _, s, status in timings if status == 200],
        {u for u, _, status in timings if status == 200 and u >= first_id},
        sum(status != 200 for _, _, status in timings),
    )


def _mixed(chat: SimChat, card: int, i: int, users: int) -> None:
    """The i-th update of the workload: mostly ◀/▶, some "Add to cart", a few /cart."""
    kind = (i // users) % 10
    if kind in (3, 7):
        chat.press(card, "🛒 Add to cart")
    elif kind == 5:
        chat.send_text("/cart")
    else:
        chat.press_data(card, f"nv:c:1:{(i // users + 1) % PRODUCTS}")


async def run_webhook_bench(
    which: str,
    updates: int,
    server_url: str | None = None,
    users: int = USERS,
    offered: float = OFFERED,
) -> int:
    spec = BotApiSpec.default()
    server = server_url or DEFAULT_SERVER
    frameworks = ["aiogram", "ptb"] if which == "both" else [which]
    where = "SQLite" if server.startswith("sqlite") else "PostgreSQL"
    print(
        f"storefront bench webhook: {updates} updates per run, {users} buyers, {where}, "
        f"{IN_FLIGHT} updates in flight, local Bot API stand-in (calls not checked), "
        f"{os.cpu_count()} cores; last row: one process offered {offered:.0f} updates/s",
        flush=True,
    )
    print(
        f"{'framework':<9} {'bot':<24} {'upd/s':>7} {'p50 ms':>7} {'p95 ms':>7} "
        f"{'vs echo':>8} {'non-200':>8}"
    )
    missing = 0
    with tempfile.TemporaryDirectory() as tmp:
        for framework in frameworks:
            folder = Path(tmp) / framework
            folder.mkdir()
            results = [await measure(framework, updates, spec, folder, users=users)]
            async with fresh_database(server, folder) as url:
                await prepare_database(url, folder)
                for count, pace in ((1, 0.0), (2, 0.0), (1, offered)):
                    results.append(
                        await measure(
                            framework,
                            updates,
                            spec,
                            folder,
                            shop_processes=count,
                            database_url=url,
                            first_user=30_000 + 1000 * (count + (2 if pace else 0)),
                            users=users,
                            offered=pace,
                        )
                    )
            echo = results[0].per_second
            for r in results:
                missing += updates - len(r.answered)
                ratio = "" if r is results[0] or r is results[3] else f"{r.per_second / echo:.0%}"
                print(
                    f"{framework:<9} {r.label:<24} {r.per_second:>7.0f} "
                    f"{r.percentile(50) * 1000:>7.1f} {r.percentile(95) * 1000:>7.1f} "
                    f"{ratio:>8} {r.refused:>8}",
                    flush=True,
                )
            two, one = results[2].per_second, results[1].per_second
            print(f"{framework:<9} two processes / one: {two / one:.0%}", flush=True)
    print(f"updates without a 200: {missing}")
    return 0 if missing == 0 else 1
