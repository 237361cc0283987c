"""Helpers for the dashboard's browser tests: the dashboard served beside a running shop, and
headless Chromium (Debian's ``chromium``, driven by Playwright) opening it as Telegram would,
with signed initData and theme colours."""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest

from bot.dashboard.auth import sign_init_data
from bot.dashboard.server import Dashboard, DashboardServer
from tests.e2e.harness import TOKEN, RunningShop

CHROMIUM = shutil.which("chromium")
needs_chromium = pytest.mark.skipif(CHROMIUM is None, reason="no chromium on PATH")
#: Where screenshots go when SAVE_SCREENSHOTS=1 (the docs show them).
IMAGES = Path(__file__).resolve().parents[2] / "docs" / "images"
THEME = {
    "bg_color": "#ffffff",
    "text_color": "#000000",
    "hint_color": "#707579",
    "link_color": "#3390ec",
    "button_color": "#3390ec",
    "button_text_color": "#ffffff",
    "secondary_bg_color": "#f4f4f5",
}


def init_data_for(user_id: int, name: str = "Sam", language: str = "en", **kw: Any) -> str:
    user = {"id": user_id, "first_name": name, "language_code": language}
    return sign_init_data(user, kw.pop("token", TOKEN), kw.pop("auth_date", None))


@asynccontextmanager
async def served(shop: RunningShop, media: Path) -> AsyncIterator[str]:
    """The dashboard of ``shop`` on a free port; its URL."""
    server = DashboardServer(Dashboard(shop.storefront, TOKEN, media_dir=media), "127.0.0.1", 0)
    await server.start()
    try:
        yield server.local_url
    finally:
        await server.stop()


@asynccontextmanager
async def telegram_page(url: str, init_data: str) -> AsyncIterator[Any]:
    """A phone-sized Chromium page opening ``url`` the way Telegram's Mini App view does."""
    from playwright.async_api import async_playwright

    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            context = await browser.new_context(viewport={"width": 390, "height": 800})
            # No internet in tests: Telegram's script is stood in for by the object it makes.
            await context.route(
                "https://telegram.org/**",
                lambda route: route.fulfill(body="", content_type="application/javascript"),
            )
            web_app = {"initData": init_data, "themeParams": THEME}
            await context.add_init_script(
                "window.Telegram = {WebApp: Object.assign("
                + json.dumps(web_app)
                + ", {ready: function(){}, expand: function(){}})};"
            )
            page = await context.new_page()
            page.set_default_timeout(15_000)
            page.on("dialog", lambda dialog: dialog.accept())
            await page.goto(url)
            yield page
        finally:
            await browser.close()


async def shown(page: Any, at: str) -> None:
    """Wait until the dashboard shows the page ``at`` (after a click or a form)."""
    await page.wait_for_function(
        "at => document.getElementById('app').dataset.page === at"
        " && !document.getElementById('app').hasAttribute('aria-busy')",
        arg=at,
    )


async def screenshot(page: Any, name: str) -> None:
    if os.environ.get("SAVE_SCREENSHOTS") == "1":
        IMAGES.mkdir(parents=True, exist_ok=True)
        await page.screenshot(path=str(IMAGES / f"dashboard-{name}.png"), full_page=True)
