"""``storefront sandbox --web`` in a real headless Chromium, on both frameworks: a buyer buys
and pays on the page and gets the receipt; the merchant sends a drop and both buyers' columns
receive it, and the merchant's dashboard opens from its button in /admin. Everything is done
by typing and clicking on the page, as a person would.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.async_api import Locator, Page, expect

from bot.sandbox.media import demo_media_folder
from tests.sandbox.web import browser_page, screenshot, web_sandbox

pytestmark = pytest.mark.slow
both_frameworks = pytest.mark.parametrize("framework", ["aiogram", "ptb"])
WAIT_MS = 30_000
DROP_TEXT = "Konjac is back today"


def column(page: Page, who: str) -> Locator:
    return page.locator(f'[data-person="{who}"]')


async def say(page: Page, who: str, text: str) -> None:
    """Type ``text`` in ``who``'s text box and press Enter."""
    box = column(page, who).locator("form.compose input[type=text]")
    await box.fill(text)
    await box.press("Enter")


async def press(page: Page, who: str, label: str) -> None:
    """Click the newest button labelled ``label`` in ``who``'s chat (waiting for it)."""
    button = column(page, who).locator(".kb button", has_text=label).last
    await expect(button).to_be_visible(timeout=WAIT_MS)
    await button.click()


@both_frameworks
async def test_a_buyer_buys_now_and_pays_on_the_page(tmp_path: Path, framework: str) -> None:
    async with web_sandbox(tmp_path, framework) as url, browser_page(url) as page:
        ana = column(page, "ana")
        await say(page, "ana", "/search mango")
        card = ana.locator(".msg.bot", has_text="Dried Mango").last
        await expect(card.locator("img")).to_be_visible(timeout=WAIT_MS)  # the product photo
        size = await card.locator("img").evaluate("img => img.complete && img.naturalWidth")
        assert size == 640  # served by the page from the stand-in's copy
        await press(page, "ana", "Buy now")
        await press(page, "ana", "Deliver to my address")
        invoice = ana.locator(".msg.bot .invoice").last
        await expect(invoice).to_contain_text("Dried Mango \u00d7 1", timeout=WAIT_MS)
        await expect(invoice.locator("tr.total")).to_contain_text("$6.50")
        if framework == "aiogram":
            await screenshot(page, "invoice")
        await ana.locator(".kb button.pay").last.click()
        receipt = ana.locator(".msg.bot", has_text="Payment received")
        await expect(receipt).to_be_visible(timeout=WAIT_MS)
        await expect(receipt).to_contain_text("$11.49")  # with the first shipping option
        await expect(ana.locator(".note", has_text="Standard")).to_be_visible()
        await expect(ana.locator(".note", has_text="You paid $11.49")).to_be_visible()
        if framework == "aiogram":
            await screenshot(page, "receipt")
        # Only Ana's column moved.
        await expect(column(page, "ben").locator(".msg")).to_have_count(0)
        # 📎 sends a picture from the computer, with the text box as its caption.
        await ana.locator("form.compose input[type=text]").fill("my mango")
        await ana.locator("form.compose input[type=file]").set_input_files(
            str(demo_media_folder() / "dried-mango.jpg")
        )
        mine = ana.locator(".msg.me", has_text="my mango")
        await expect(mine.locator("img")).to_be_visible(timeout=WAIT_MS)


@both_frameworks
async def test_the_merchant_sends_a_drop_and_both_buyers_columns_receive_it(
    tmp_path: Path, framework: str
) -> None:
    async with web_sandbox(tmp_path, framework) as url, browser_page(url) as page:
        for buyer in ("ana", "ben"):
            await say(page, buyer, "/start")
            await expect(column(page, buyer).locator(".msg.bot")).to_have_count(1, timeout=WAIT_MS)
        await say(page, "max", "/admin")
        for label in ("Drops", "Compose a drop", "No button", "Everyone"):
            await press(page, "max", label)
        await expect(column(page, "max").locator(".msg.bot").last).to_contain_text(
            "text", timeout=WAIT_MS
        )
        await say(page, "max", DROP_TEXT)
        await press(page, "max", "Preview")
        await press(page, "max", "Send\u2026")
        await press(page, "max", "Send to 3")
        for buyer in ("ana", "ben"):
            drop = column(page, buyer).locator(".msg.bot", has_text=DROP_TEXT)
            await expect(drop).to_be_visible(timeout=WAIT_MS)
        await expect(
            column(page, "max").locator(".msg.bot", has_text="3 of 3 sent")
        ).to_be_visible(timeout=WAIT_MS)
        if framework == "aiogram":
            await screenshot(page, "drop")
        # The merchant's dashboard opens from its button in /admin, as in Telegram, signed in
        # as Max: it lists the demo products.
        await say(page, "max", "/admin")
        await press(page, "max", "Dashboard")
        await expect(page.locator("#panel")).to_be_visible(timeout=WAIT_MS)
        dashboard = page.frame_locator("#panel-frame")
        await expect(dashboard.get_by_text("Dried Mango").first).to_be_visible(timeout=WAIT_MS)


@both_frameworks
async def test_a_group_buy_goes_through_the_group_column_and_teaser_videos_play(
    tmp_path: Path, framework: str
) -> None:
    async with web_sandbox(tmp_path, framework) as url, browser_page(url) as page:
        await say(page, "lea", "/search konjac")
        await press(page, "lea", "Group price")
        invite = column(page, "lea").locator(".msg.bot img").last  # the invite's QR code
        await expect(invite).to_be_visible(timeout=WAIT_MS)
        await press(page, "lea", "Post in a group")
        group = column(page, "group")
        await expect(group.locator(".msg.bot")).to_contain_text("0 of 2 joined", timeout=WAIT_MS)
        await expect(group.locator(".msg.me .sender")).to_have_text("Lea")
        await group.locator("select").select_option("ben")
        await press(page, "group", "Join")  # a link to the bot: Ben's chat gets /start g_1
        ben = column(page, "ben")
        await expect(ben.locator(".msg.me")).to_have_text("/start g_1#1", timeout=WAIT_MS)
        await expect(ben.locator(".kb button", has_text="Join for $3.49")).to_be_visible(
            timeout=WAIT_MS
        )
        # The invite link in the group's text is a link to the bot too: Ana follows it.
        await group.locator("select").select_option("ana")
        await group.locator(".msg.bot a", has_text="start=g_1").click()
        await expect(column(page, "ana").locator(".msg.me")).to_have_text(
            "/start g_1#1", timeout=WAIT_MS
        )
        # Ana watches the teaser: the video is served by the page and plays.
        await say(page, "ana", "/search konjac")
        video = column(page, "ana").locator("video[controls]").first
        await expect(video).to_be_visible(timeout=WAIT_MS)
        await video.evaluate("v => { v.muted = true; return v.play(); }")
        await page.wait_for_function(
            "v => v.currentTime > 0.3 && !v.error", arg=await video.element_handle()
        )
        if framework == "aiogram":
            await screenshot(page, "group")
