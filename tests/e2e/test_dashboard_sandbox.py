"""`storefront sandbox` serves the merchant dashboard too, and prints a link that opens it
signed in as the demo merchant (the initData in the URL's fragment, no Telegram app needed)."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import unquote

import aiohttp
import pytest

from bot.config import Settings
from bot.dashboard.page import INIT_HEADER
from bot.sandbox.people import MERCHANT
from bot.sandbox.shop import open_shop
from tests.e2e.dashboard_browser import CHROMIUM, needs_chromium


@pytest.mark.browser
@needs_chromium
async def test_the_sandbox_dashboard_opens_signed_in_as_the_demo_merchant(tmp_path: Path) -> None:
    from playwright.async_api import async_playwright

    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        dashboard_port=0,
        dashboard_media_dir=str(tmp_path / "media"),
    )
    async with open_shop(settings, "aiogram", None) as shop:
        link = shop.dashboard_link(MERCHANT.user_id, MERCHANT.first_name)
        assert link is not None and link.startswith("http://127.0.0.1:")
        url, _, fragment = link.partition("#tgWebAppData=")
        async with (
            aiohttp.ClientSession() as session,
            session.get(f"{url}/api/products", headers={INIT_HEADER: unquote(fragment)}) as got,
        ):
            assert got.status == 200 and "Phone Tripod" in await got.text()
        async with async_playwright() as pw:
            browser = await pw.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
            try:
                page = await browser.new_page()
                await page.route("https://telegram.org/**", lambda r: r.fulfill(body=""))
                await page.goto(link)
                await page.wait_for_selector("[data-product]", timeout=15_000)
                assert "Phone Tripod" in await page.locator("#app").inner_text()
            finally:
                await browser.close()
