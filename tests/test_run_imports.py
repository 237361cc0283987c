"""``storefront run`` loads the framework it is configured for (BOT_FRAMEWORK) and never the
other one, nor a gateway or library it is not configured to use. The real run path is started
in a fresh process against the local Bot API stand-in and its modules are listed once it
polls (then it is stopped as a supervisor stops it, by SIGTERM)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

_PROBE = """
import asyncio, json, os, signal, sys
from bot.standin import BotApiSpec, BotApiStandIn

async def probe(folder):
    url = f"sqlite+aiosqlite:///{folder}/shop.db"
    from storage.engine import make_engine
    from storage.migrate import upgrade
    engine = make_engine(url)
    await upgrade(engine)
    await engine.dispose()
    before = set(sys.modules)  # the probe's own imports (stand-in, Alembic) are not counted
    async with BotApiStandIn(BotApiSpec.default(), token="42:PROBE") as standin:
        os.environ.update(BOT_TOKEN="42:PROBE", DATABASE_URL=url,
                          TELEGRAM_API_BASE=standin.base_url, LOG_LEVEL="WARNING")
        from bot.cli.run import run_polling
        from bot.config import Settings
        bot = asyncio.create_task(run_polling(Settings()))
        while not standin.calls_named("setMyCommands") and not bot.done():
            await asyncio.sleep(0.05)
        loaded = sorted(m for m in sys.modules if m not in before)
        os.kill(os.getpid(), signal.SIGTERM)  # the bot's own graceful stop
        code = await bot
    return {"code": code, "loaded": loaded}

print(json.dumps(asyncio.run(probe(sys.argv[1]))))
"""

#: What no configuration of ``storefront run`` in this test uses (no STRIPE_API_KEY, no
#: REDIS_URL, no chart asked for).
_NEVER = ("stripe", "redis", "matplotlib")


def _run_path_modules(framework: str, folder: Path) -> set[str]:
    env = {
        "PATH": "/usr/bin:/bin",
        "HOME": str(folder),
        "BOT_FRAMEWORK": framework,
    }
    result = subprocess.run(
        [sys.executable, "-c", _PROBE, str(folder)],
        env=env,
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    found = json.loads(result.stdout.splitlines()[-1])
    assert found["code"] == 0, result.stderr[-3000:]
    return {name.split(".")[0] for name in found["loaded"]}


@pytest.mark.parametrize(
    ("framework", "own", "other"),
    [("ptb", "telegram", "aiogram"), ("aiogram", "aiogram", "telegram")],
)
def test_run_imports_its_framework_and_never_the_other(
    framework: str, own: str, other: str, tmp_path: Path
) -> None:
    loaded = _run_path_modules(framework, tmp_path)
    assert own in loaded and "bot" in loaded  # it did run, on its framework
    assert other not in loaded
    assert [name for name in _NEVER if name in loaded] == []
