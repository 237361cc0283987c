"""The web sandbox's page on its own, in a real headless Chromium, against a small stand-in
for its server: a Mini App button opens the app in the side panel with Telegram's signed
launch data, and the app can close it as in Telegram Web; text from the bot is formatted but
never run; a spoiler opens on a click. (The page with the whole shop behind it is
tests/sandbox/test_web.py.)"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from aiohttp import web
from playwright.async_api import expect

from bot.sandbox.web_render import WebAppLink, keyboard_of, text_html
from bot.sandbox.web_server import page_html
from tests.sandbox.web import browser_page

TOKEN = "100000:SANDBOX"
MINI_APP = """<!doctype html><body><p id=who></p><button id=close>Close</button><script>
const data = new URLSearchParams(new URLSearchParams(location.hash.slice(1)).get("tgWebAppData"));
document.getElementById("who").textContent = "Hello " + JSON.parse(data.get("user")).first_name;
document.getElementById("close").onclick = () =>
  window.parent.postMessage(JSON.stringify({eventType: "web_app_close"}), "*");
</script></body>"""


def max_column(port: int) -> dict[str, object]:
    text = "<img src=x onerror=alert(1)> Your dashboard secret"
    button = {"text": "\U0001f4ca Dashboard", "web_app": {"url": f"http://127.0.0.1:{port}/app"}}
    link = WebAppLink(TOKEN, {"id": 1004, "first_name": "Max"})
    message = {"message_id": 2, "reply_markup": {"inline_keyboard": [[button]]}}
    spoiler = [{"type": "spoiler", "offset": len(text) - 6, "length": 6}]
    item = {
        "key": "m2",
        "rev": 1,
        "from": "bot",
        "message_id": 2,
        "html": text_html(text, spoiler),
        "media": None,
        "keyboard": keyboard_of(message, "storefront_sandbox_bot", link),
        "invoice": None,
    }
    return {"key": "max", "title": "Max", "part": "the merchant", "version": 1,
            "items": [item], "reply_keyboard": [["Yes", "No"]],
            "menu": {"text": "Shop", "url": link.url(f"http://127.0.0.1:{port}/app")}}  # fmt: skip


@asynccontextmanager
async def fake_server() -> AsyncIterator[str]:
    """The page, one column on its event stream, and a Mini App at /app."""
    port = 0

    async def index(request: web.Request) -> web.Response:
        return web.Response(text=page_html().replace("{{NONCE}}", "n"), content_type="text/html")

    async def events(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
        await response.prepare(request)
        await response.write(f"event: column\ndata: {json.dumps(max_column(port))}\n\n".encode())
        return response

    async def app(request: web.Request) -> web.Response:
        return web.Response(text=MINI_APP, content_type="text/html")

    server = web.Application()
    server.router.add_get("/", index)
    server.router.add_get("/api/events", events)
    server.router.add_get("/app", app)
    runner = web.AppRunner(server)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = int(runner.addresses[0][1])
    try:
        yield f"http://127.0.0.1:{port}/"
    finally:
        await runner.cleanup()


async def test_a_mini_app_opens_in_the_side_panel_signed_and_closes_itself() -> None:
    async with fake_server() as url, browser_page(url) as page:
        dialogs: list[str] = []
        page.on("dialog", lambda dialog: dialogs.append(dialog.message))
        chat = page.locator('[data-person="max"]')
        text = chat.locator(".msg.bot .text")
        await expect(text).to_contain_text("<img src=x onerror=alert(1)> Your dashboard")
        assert await chat.locator(".msg.bot img").count() == 0 and not dialogs
        spoiler = text.locator(".spoiler")
        await spoiler.click()
        await expect(spoiler).to_have_class("spoiler shown")
        await expect(chat.locator(".replykb button")).to_have_text(["Yes", "No"])

        await chat.locator(".kb button", has_text="Dashboard").click()
        panel = page.locator("#panel")
        await expect(panel).to_be_visible()
        source = await page.locator("#panel-frame").get_attribute("src")
        assert source is not None and "/app#tgWebAppData=" in source
        frame = page.frame_locator("#panel-frame")
        await expect(frame.locator("#who")).to_have_text("Hello Max")
        await frame.locator("#close").click()
        await expect(panel).to_be_hidden()
        # The menu button beside the text box opens the same way.
        await chat.locator("form.compose button.menu", has_text="Shop").click()
        await expect(frame.locator("#who")).to_have_text("Hello Max")
