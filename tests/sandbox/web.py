"""Run ``storefront sandbox --web`` in this process, and a real headless Chromium to look at it.

The sandbox runs exactly as the command runs it (``run_sandbox`` with a web port: the shop, the
stand-in, the page's server), on a free port; the test stops it through the same event Ctrl-C
sets. The browser is the system's Chromium (Debian's ``chromium``) driven by Playwright; no
browser is downloaded.
"""

from __future__ import annotations

import asyncio
import io
import os
import re
import shutil
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
from playwright.async_api import Page, async_playwright

from bot.config import Settings
from bot.sandbox.console import Console
from bot.sandbox.terminal import run_sandbox
from tests.databases import sqlite_database

_URL = re.compile(r"Open (http://127\.0\.0\.1:\d+/) in a browser")
STARTUP_SECONDS = 90.0
#: Where screenshots go when SAVE_SCREENSHOTS=1 (they are shown in docs/sandbox.md).
IMAGES = Path(__file__).resolve().parents[2] / "docs" / "images"


@asynccontextmanager
async def web_sandbox(tmp_path: Path, framework: str) -> AsyncIterator[str]:
    """Start the web sandbox on a free port with the demo shop; yield the page's URL; stop it
    and check it ended cleanly."""
    stdout = io.StringIO()
    stop = asyncio.Event()
    settings = Settings(_env_file=None, shop_name="Sandbox Test Shop")  # type: ignore[call-arg]
    task = asyncio.create_task(
        run_sandbox(
            settings,
            framework=framework,
            database_url=sqlite_database(tmp_path / "shop.db", demo=True),
            files=tmp_path / "files",
            console=Console(io.StringIO(), stdout),
            web_port=0,
            stop=stop,
        )
    )
    loop = asyncio.get_running_loop()
    deadline = loop.time() + STARTUP_SECONDS
    found = None
    while found is None:
        assert not task.done(), f"the sandbox ended while starting:\n{stdout.getvalue()}"
        assert loop.time() < deadline, f"no URL after {STARTUP_SECONDS} s:\n{stdout.getvalue()}"
        await asyncio.sleep(0.1)
        found = _URL.search(stdout.getvalue())
    try:
        yield found.group(1)
    finally:
        stop.set()
        code = await asyncio.wait_for(task, 60)
        out = stdout.getvalue()
        assert code == 0, out
        assert "Traceback" not in out and out.rstrip().endswith("Sandbox closed."), out


def chromium() -> str:
    """The system's Chromium; the test is skipped (saying how to get it) where there is none."""
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if path is None:
        pytest.skip("no chromium on PATH (apt-get install chromium)")
    return path


@asynccontextmanager
async def browser_page(url: str) -> AsyncIterator[Page]:
    """A Chromium page showing ``url``, wide enough for the five columns."""
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=chromium(), args=["--no-sandbox"]
        )
        try:
            page = await browser.new_page(viewport={"width": 1700, "height": 950})
            errors: list[str] = []
            page.on("pageerror", lambda error: errors.append(str(error)))
            await page.goto(url)
            yield page
            assert not errors, errors
        finally:
            await browser.close()


async def screenshot(page: Page, name: str) -> None:
    """``docs/images/sandbox-web-NAME.png``, only when SAVE_SCREENSHOTS=1."""
    if os.environ.get("SAVE_SCREENSHOTS") == "1":
        IMAGES.mkdir(parents=True, exist_ok=True)
        await page.screenshot(path=str(IMAGES / f"sandbox-web-{name}.png"))
