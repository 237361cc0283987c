"""``storefront bench startup``: how long the bot takes to start and how much memory it holds.

For each framework, in the same run and alternating: the bare echo bot (``bench/echo.py``) and
the real bot (``storefront run`` on SQLite), each launched as its own process against the local
Bot API stand-in (this process). Launch -> ready is the time from starting the process to the
line that says it polls ("polling" from the echo bot, "Storefront is running" from the bot);
the idle memory is VmRSS (``/proc/PID/status``) once it has polled for ``settle`` seconds.
The commands a merchant runs by hand are timed too (``storefront --help``, ``migrate``,
``catalog import --demo``), next to the bare imports they cannot beat (Python itself,
SQLAlchemy, each framework). Medians of ``repeat`` launches; the ratios in one run are what
count on a shared machine.

Targets: the bot ready within its framework's own import + 1 s; its idle RSS within the bare
echo bot's + 50 MB; ``--help`` within 0.3 s; ``migrate`` and ``catalog import --demo`` within
1 s above ``import sqlalchemy``.
"""

from __future__ import annotations

import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from bot.standin import BotApiSpec, BotApiStandIn

TOKEN = "42:STARTUP"
#: The import each framework's echo bot cannot start without: its own import baseline.
FRAMEWORK_IMPORT = {
    "aiogram": "from aiogram import Bot, Dispatcher, Router; from aiogram.types import Message",
    "ptb": "from telegram.ext import Application, MessageHandler, filters",
}
#: Settings the outer environment must not lend the measured bot (no Redis, no Stripe: the
#: bare shop on SQLite).
_DROPPED = ("REDIS_URL", "STRIPE_API_KEY", "WEBHOOK_URL", "FLOOD_RATE")


@dataclass(frozen=True, slots=True)
class Launch:
    ready: float  #: seconds from launch to "polling"
    rss_mb: float  #: VmRSS once idle, in MB


def rss_mb(pid: int) -> float:
    """The process's resident memory (VmRSS), in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for process {pid}")


def _env(extra: dict[str, str]) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in _DROPPED}
    return {**env, **extra}


async def launch(args: list[str], env: dict[str, str], ready_line: str, settle: float) -> Launch:
    """Start ``python ARGS``; time it until it prints ``ready_line``; its RSS ``settle``
    seconds later; then stop it (SIGTERM, as a supervisor would)."""
    started = time.perf_counter()
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        *args,
        env=env,
        cwd=env.get("STARTUP_BENCH_CWD"),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        assert process.stdout is not None
        while True:
            try:
                line = await asyncio.wait_for(process.stdout.readline(), 120)
            except TimeoutError:
                raise TimeoutError(f"{' '.join(args)} never said {ready_line!r}") from None
            if not line:
                err = (await process.stderr.read()).decode() if process.stderr else ""
                raise RuntimeError(f"{' '.join(args)} exited before it polled: {err[-2000:]}")
            if ready_line in line.decode():
                break
        ready = time.perf_counter() - started
        await asyncio.sleep(settle)
        if process.returncode is not None:
            raise RuntimeError(f"{' '.join(args)} exited while idle")
        return Launch(ready, rss_mb(process.pid))
    finally:
        if process.returncode is None:
            process.terminate()
            try:
                await asyncio.wait_for(process.communicate(), 30)
            except TimeoutError:
                process.kill()
                await process.wait()


def timed(args: list[str], env: dict[str, str]) -> float:
    """Seconds ``python ARGS`` takes to finish; it must succeed."""
    started = time.perf_counter()
    result = subprocess.run(
        [sys.executable, *args],
        env=env,
        cwd=env.get("STARTUP_BENCH_CWD"),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    seconds = time.perf_counter() - started
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(args)} failed: {result.stderr[-2000:]}")
    return seconds


def _row(name: str, values: list[float], unit: str = "s") -> float:
    median = statistics.median(values)
    spread = f"{min(values):.2f}-{max(values):.2f}" if len(values) > 1 else ""
    print(f"  {name:<38} {median:>8.2f} {unit:<2} {spread}", flush=True)
    return median


def _verdict(met: bool) -> str:
    return "met" if met else "NOT met"


async def run_startup_bench(which: str, repeat: int = 5, settle: float = 2.0) -> int:
    """Time the commands and the bare imports, then launch echo and bot ``repeat`` times per
    framework; print medians, ratios and the targets."""
    frameworks = ["aiogram", "ptb"] if which == "both" else [which]
    print(
        f"storefront bench startup: {repeat} launches of each, medians (min-max); SQLite, "
        f"local Bot API stand-in; RSS {settle:g} s after ready",
        flush=True,
    )
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        base = _env({"STARTUP_BENCH_CWD": tmp, "LOG_LEVEL": "WARNING"})
        print("commands (launch -> exit):")
        imports = {
            "python -c pass": _row(
                "python -c pass", [timed(["-c", "pass"], base) for _ in range(repeat)]
            ),
        }
        imports["sqlalchemy"] = _row(
            "python -c 'import sqlalchemy'",
            [timed(["-c", "import sqlalchemy"], base) for _ in range(repeat)],
        )
        imports["alembic"] = _row(  # what migrate needs besides (and its templates, pygments)
            "python -c 'import alembic.command'",
            [timed(["-c", "import sqlalchemy, alembic.command"], base) for _ in range(repeat)],
        )
        for framework in frameworks:
            imports[framework] = _row(
                f"import {framework} (its echo bot's imports)",
                [timed(["-c", FRAMEWORK_IMPORT[framework]], base) for _ in range(repeat)],
            )
        help_s = _row(
            "storefront --help", [timed(["-m", "bot.cli", "--help"], base) for _ in range(repeat)]
        )
        migrate, demo = [], []
        for r in range(repeat):
            env = {**base, "DATABASE_URL": f"sqlite+aiosqlite:///{folder / f'shop{r}.db'}"}
            migrate.append(timed(["-m", "bot.cli", "migrate"], env))
            demo.append(timed(["-m", "bot.cli", "catalog", "import", "--demo"], env))
        migrate_s = _row("storefront migrate (empty SQLite)", migrate)
        demo_s = _row("storefront catalog import --demo", demo)
        sqla = imports["sqlalchemy"]
        print(
            f"  --help <= 0.3 s: {_verdict(help_s <= 0.3)}; migrate, import <= sqlalchemy + 1 s "
            f"({sqla + 1:.2f} s): {_verdict(migrate_s <= sqla + 1)}, "
            f"{_verdict(demo_s <= sqla + 1)}"
        )

        spec = BotApiSpec.default()
        print("bots (launch -> polling; idle RSS):")
        async with BotApiStandIn(spec, token=TOKEN) as standin:
            for framework in frameworks:
                echo: list[Launch] = []
                shop: list[Launch] = []
                for r in range(repeat):
                    echo.append(
                        await launch(
                            ["-m", "bench.echo", framework, TOKEN, standin.base_url],
                            base,
                            "polling",
                            settle,
                        )
                    )
                    env = {
                        **base,
                        "BOT_TOKEN": TOKEN,
                        "BOT_FRAMEWORK": framework,
                        "TELEGRAM_API_BASE": standin.base_url,
                        "DATABASE_URL": f"sqlite+aiosqlite:///{folder / f'shop{r}.db'}",
                    }
                    shop.append(
                        await launch(
                            ["-m", "bot.cli", "run"], env, "Storefront is running", settle
                        )
                    )
                print(f" {framework}:")
                echo_ready = _row("echo bot ready", [x.ready for x in echo])
                shop_ready = _row("storefront run ready", [x.ready for x in shop])
                echo_rss = _row("echo bot idle RSS", [x.rss_mb for x in echo], "MB")
                shop_rss = _row("storefront run idle RSS", [x.rss_mb for x in shop], "MB")
                own = imports[framework]
                print(
                    f"  ready: bot/echo {shop_ready / echo_ready:.2f}x, bot - import {framework} "
                    f"{shop_ready - own:+.2f} s (target <= +1 s: "
                    f"{_verdict(shop_ready <= own + 1)}); RSS: bot/echo "
                    f"{shop_rss / echo_rss:.2f}x, bot - echo {shop_rss - echo_rss:+.0f} MB "
                    f"(target <= +50 MB: {_verdict(shop_rss <= echo_rss + 50)})",
                    flush=True,
                )
            if standin.violations:
                raise AssertionError(standin.violations)
    return 0
