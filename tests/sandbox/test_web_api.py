"""The web sandbox's JSON and event-stream API without a browser: what the page reads and
posts, the files it loads, and what it refuses (another site's posts, another host name)."""

from __future__ import annotations

import asyncio
import io
import json
import os
import re
import signal
import socket
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest

from bot.config import Settings
from bot.sandbox.console import Console
from bot.sandbox.terminal import run_sandbox
from tests.databases import sqlite_database
from tests.sandbox.web import web_sandbox
from tests.test_sandbox import _SCRUBBED, STOREFRONT

pytestmark = pytest.mark.slow
ACT = {"X-Sandbox": "1"}


async def column_events(response: aiohttp.ClientResponse) -> AsyncIterator[dict[str, object]]:
    """The ``column`` events of a Server-Sent Events stream, as they come."""
    event = ""
    async for raw in response.content:
        line = raw.decode().rstrip("\n")
        if line.startswith("event: "):
            event = line.removeprefix("event: ")
        elif line.startswith("data: ") and event == "column":
            yield json.loads(line.removeprefix("data: "))


async def test_the_page_api_streams_columns_takes_actions_and_serves_media(
    tmp_path: Path,
) -> None:
    async with web_sandbox(tmp_path, "ptb") as url, aiohttp.ClientSession(headers=ACT) as http:
        page = await http.get(url)
        assert (
            page.status == 200 and "script-src 'nonce-" in page.headers["Content-Security-Policy"]
        )
        assert "{{NONCE}}" not in await page.text()
        events = await http.get(url + "api/events")
        assert events.headers["Content-Type"] == "text/event-stream"
        stream = column_events(events)
        first = [await anext(stream) for _ in range(5)]  # every column, at once
        assert [c["key"] for c in first] == ["ana", "ben", "lea", "max", "group"]
        assert all(c["items"] == [] for c in first)

        # A message with markup of its own is shown escaped; the bot's answer arrives live.
        for text in ("<i>hi</i> & you", "/start"):
            sent = await http.post(
                url + "api/act", json={"who": "ben", "kind": "text", "text": text}
            )
            assert (sent.status, await sent.json()) == (200, {"ok": True})
        bot_html = ""
        async with asyncio.timeout(30):
            while "Welcome" not in bot_html:
                ben = await anext(stream)
                assert ben["key"] == "ben"
                items = ben["items"]
                assert isinstance(items, list)
                assert items[0]["html"] == "&lt;i&gt;hi&lt;/i&gt; &amp; you"
                bot_html = " ".join(str(i["html"]) for i in items if i["from"] == "bot")
        assert "<b>Sandbox Test Shop</b>" in bot_html

        # The product's photo is served from the stand-in, whole or in ranges.
        await http.post(
            url + "api/act", json={"who": "ana", "kind": "text", "text": "/search mango"}
        )
        state = await (await http.get(url + "api/state")).json()
        ana = next(c for c in state["columns"] if c["key"] == "ana")
        photo = next(i["media"] for i in ana["items"] if i.get("media"))
        assert photo["kind"] == "photo"
        whole = await http.get(url + photo["url"].lstrip("/"))
        body = await whole.read()
        assert whole.content_type == "image/jpeg" and body.startswith(b"\xff\xd8")
        part = await http.get(url + photo["url"].lstrip("/"), headers={"Range": "bytes=2-9"})
        assert part.status == 206 and await part.read() == body[2:10]
        assert (await http.get(url + "media/nonesuch")).status == 404
        buttons = [b["kind"] for i in ana["items"] for row in i["keyboard"] for b in row]
        assert "callback" in buttons

        # Slips get a reason; a post without the page's header, or from another site, or to
        # another host name, is refused.
        nobody = await http.post(url + "api/act", json={"who": "zoe", "kind": "text", "text": "x"})
        assert nobody.status == 400 and "nobody called 'zoe'" in (await nobody.json())["error"]
        bad = await http.post(url + "api/act", json={"who": "ana", "kind": "press"})
        assert bad.status == 400
        away = {"who": "ana", "kind": "link", "text": "https://t.me/other_bot?start=x"}
        refused = await http.post(url + "api/act", json=away)
        assert "Only links to this shop's bot" in (await refused.json())["error"]
        forged = {"who": "ana", "kind": "text", "text": "/cart"}
        async with aiohttp.ClientSession() as plain:  # without the page's header
            assert (await plain.post(url + "api/act", json=forged)).status == 403
        elsewhere = {**ACT, "Origin": "http://evil.example"}
        assert (await http.post(url + "api/act", json=forged, headers=elsewhere)).status == 403
        rebound = await http.get(url + "api/state", headers={"Host": "evil.example:80"})
        assert rebound.status == 421
        events.close()


async def test_a_taken_port_is_said_and_the_sandbox_ends_with_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    taken = socket.socket()
    taken.bind(("127.0.0.1", 0))
    taken.listen()
    port = taken.getsockname()[1]
    stdout = io.StringIO()
    try:
        code = await run_sandbox(
            Settings(_env_file=None),  # type: ignore[call-arg]
            framework="aiogram",
            database_url=sqlite_database(tmp_path / "shop.db", demo=True),
            files=tmp_path / "files",
            console=Console(io.StringIO(), stdout),
            web_port=port,
        )
    finally:
        taken.close()
    assert code == 1
    assert f"cannot listen on 127.0.0.1:{port}" in capsys.readouterr().err
    assert "choose another with --port" not in stdout.getvalue()


async def test_the_storefront_sandbox_web_command_serves_the_page_until_ctrl_c(
    tmp_path: Path,
) -> None:
    """The installed command, as a person runs it: ``storefront sandbox --web``."""
    env = {k: v for k, v in os.environ.items() if k not in _SCRUBBED}
    env.update(HOME=str(tmp_path), LANG="en_US.UTF-8", PYTHONIOENCODING="utf-8")
    process = await asyncio.create_subprocess_exec(
        str(STOREFRONT), "sandbox", "--web", "--port", "0",
        stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE, cwd=tmp_path, env=env,
    )  # fmt: skip
    assert process.stdout is not None and process.stderr is not None
    printed = ""
    try:
        async with asyncio.timeout(90):
            while (found := re.search(r"Open (http://127\.0\.0\.1:\d+/)", printed)) is None:
                line = await process.stdout.readline()
                assert line, printed + (await process.stderr.read()).decode()
                printed += line.decode()
        async with aiohttp.ClientSession() as http:
            page = await http.get(found.group(1))
            assert page.status == 200 and "Storefront sandbox" in await page.text()
    finally:
        process.send_signal(signal.SIGINT)
        out, err = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode == 0, printed + out.decode() + err.decode()
    assert "Sandbox closed." in out.decode()
