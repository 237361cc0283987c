"""``storefront sandbox --web``: the demo people's chats side by side in a browser, on
127.0.0.1 only.

Routes: ``/`` the page (plain HTML and one inline script); ``/api/state`` every column as JSON;
``/api/events`` the same as Server-Sent Events, each column again whenever it changes;
``/api/act`` (JSON) and ``/api/upload`` (a form with a file) what a person does;
``/media/<file_id>`` the files the bot sent, from the stand-in (with byte ranges, so videos
seek).

The server only answers requests addressed to itself (the Host header; against DNS
rebinding) and only takes actions from its own page (a custom header and the Origin; a site
open in another tab cannot post to it). The page forbids every script but its own.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import secrets
import sys
from collections.abc import Awaitable, Callable
from importlib import resources

from aiohttp import web

from bot.sandbox.media import MAX_SEND_BYTES, MediaFolder, Outgoing
from bot.sandbox.shop import SandboxShop
from bot.sandbox.web_board import MEDIA_ROUTE
from bot.sandbox.web_session import FILE_KINDS, Act, WebConsole, WebSession

DEFAULT_PORT = 8090
HOST = "127.0.0.1"
#: A comment line on the event stream this often, so proxies and browsers keep it open.
KEEPALIVE_SECONDS = 10.0
#: Every action is posted with this header: a cross-site form cannot send it.
ACTION_HEADER = "X-Sandbox"
_RANGE = re.compile(r"bytes=(\d*)-(\d*)")
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def page_html() -> str:
    return resources.files("bot.sandbox").joinpath("web_page.html").read_text("utf-8")


class WebSandbox:
    """The page's server around a ``WebSession``."""

    def __init__(self, session: WebSession, port: int) -> None:
        self.session = session
        self.board = session.board
        self.port = port
        self._page = page_html()
        self._runner: web.AppRunner | None = None

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}/"

    def application(self) -> web.Application:
        app = web.Application(client_max_size=MAX_SEND_BYTES + 1024 * 1024)
        app.middlewares.append(self._guard)
        app.router.add_get("/", self._index)
        app.router.add_get("/api/state", self._state)
        app.router.add_get("/api/events", self._events)
        app.router.add_post("/api/act", self._act)
        app.router.add_post("/api/upload", self._upload)
        app.router.add_get(MEDIA_ROUTE + "{file_id}", self._media)
        return app

    async def start(self) -> None:
        runner = web.AppRunner(self.application(), access_log=None, shutdown_timeout=1.0)
        await runner.setup()
        try:
            await web.TCPSite(runner, HOST, self.port).start()
        except OSError:
            await runner.cleanup()
            raise
        self._runner = runner
        self.port = int(runner.addresses[0][1])

    async def stop(self) -> None:
        if self._runner is not None:
            runner, self._runner = self._runner, None
            await runner.cleanup()

    # Guards -------------------------------------------------------------------------------

    @web.middleware
    async def _guard(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        hosts = {f"{name}:{self.port}" for name in (HOST, "localhost", "[::1]")}
        if request.host not in hosts:
            return web.Response(status=421, text="This sandbox answers only on its own address.")
        if request.method == "POST":
            origin = request.headers.get("Origin")
            allowed = {f"http://{host}" for host in hosts}
            if request.headers.get(ACTION_HEADER) != "1" or (origin and origin not in allowed):
                return web.Response(status=403, text="Actions come from the sandbox's page.")
        return await handler(request)

    # Reading ------------------------------------------------------------------------------

    async def _index(self, request: web.Request) -> web.Response:
        nonce = secrets.token_urlsafe(16)
        policy = (
            "default-src 'none'; "
            f"script-src 'nonce-{nonce}'; style-src 'nonce-{nonce}'; "
            "img-src 'self' data: http: https:; media-src 'self'; connect-src 'self'; "
            "frame-src http: https:; base-uri 'none'; form-action 'none'"
        )
        return web.Response(
            text=self._page.replace("{{NONCE}}", nonce),
            content_type="text/html",
            headers={
                "Content-Security-Policy": policy,
                "Cache-Control": "no-store",
                "X-Content-Type-Options": "nosniff",
            },
        )

    async def _state(self, request: web.Request) -> web.Response:
        return web.json_response({"version": self.board.version, "columns": self.board.views()})

    async def _events(self, request: web.Request) -> web.StreamResponse:
        """Every column at once, then each column again when it changes."""
        response = web.StreamResponse(
            headers={
                "Content-Type": "text/event-stream",
                "Cache-Control": "no-store",
                "X-Content-Type-Options": "nosniff",
            }
        )
        await response.prepare(request)
        sent: dict[str, int] = {}
        stop = self.session.stop
        with contextlib.suppress(ConnectionError):
            while not stop.is_set():
                seen = self.board.version
                for column in self.board.columns.values():
                    if sent.get(column.key) != column.version:
                        sent[column.key] = column.version
                        data = json.dumps(column.view(), ensure_ascii=False)
                        await response.write(f"event: column\ndata: {data}\n\n".encode())
                if not await self.board.changed(seen, KEEPALIVE_SECONDS):
                    await response.write(b": keepalive\n\n")
        return response

    async def _media(self, request: web.Request) -> web.StreamResponse:
        stored = self.session.shop.standin.files.get(request.match_info["file_id"])
        if stored is None or stored.content is None:
            return web.Response(status=404, text="No such file here.")
        content = stored.content
        headers = {
            "Accept-Ranges": "bytes",
            "Cache-Control": "private, max-age=3600",
            "X-Content-Type-Options": "nosniff",
        }
        mime = stored.mime_type or "application/octet-stream"
        if not mime.startswith(("image/", "video/", "audio/")):
            mime = "application/octet-stream"  # a document is downloaded, never shown
        name = stored.file_name or stored.file_path.rsplit("/", 1)[-1]
        safe = re.sub(r"[^A-Za-z0-9._-]+", "_", name)
        headers["Content-Disposition"] = f'inline; filename="{safe}"'
        found = _RANGE.fullmatch(request.headers.get("Range", ""))
        if found and (found.group(1) or found.group(2)):
            size = len(content)
            if found.group(1):
                start = int(found.group(1))
                end = min(int(found.group(2) or size - 1), size - 1)
            else:
                start, end = max(0, size - int(found.group(2))), size - 1
            if start > end or start >= size:
                return web.Response(status=416, headers={"Content-Range": f"bytes */{size}"})
            headers["Content-Range"] = f"bytes {start}-{end}/{size}"
            return web.Response(
                status=206, body=content[start : end + 1], content_type=mime, headers=headers
            )
        return web.Response(body=content, content_type=mime, headers=headers)

    # Acting -------------------------------------------------------------------------------

    async def _act(self, request: web.Request) -> web.Response:
        try:
            body = await request.json()
        except ValueError:
            return _refused("The body must be JSON.")
        if not isinstance(body, dict):
            return _refused("The body must be a JSON object.")
        message_id = body.get("message_id")
        try:
            act = Act(
                who=str(body.get("who", "")),
                kind=str(body.get("kind", "")),
                chat=str(body.get("chat", "private")),
                text=str(body.get("text", "")),
                message_id=int(message_id) if message_id is not None else None,
                index=int(body.get("index", 0)),
                file_kind=str(body.get("file_kind", "photo")),
            )
        except (TypeError, ValueError):
            return _refused("message_id and index are numbers.")
        if act.kind == "file" and act.file_kind not in FILE_KINDS:
            return _refused(f"file_kind is one of {', '.join(FILE_KINDS)}.")
        return _done(await self.session.act(act))

    async def _upload(self, request: web.Request) -> web.Response:
        """A person sends a file from their computer (a form: who, chat, caption, file)."""
        try:
            form = await request.post()
        except ValueError:
            return _refused("Send a form with a file.")
        upload = form.get("file")
        if not isinstance(upload, web.FileField):
            return _refused("Choose a file to send.")
        content = upload.file.read()
        if not content:
            return _refused("That file is empty; Telegram does not send empty files.")
        mime = upload.content_type or ""
        kind = "photo" if mime.startswith("image/") else "video" if mime == "video/mp4" else ""
        act = Act(
            who=str(form.get("who", "")),
            kind="file",
            chat=str(form.get("chat", "private")),
            text=str(form.get("caption", "")),
            file_kind=kind or "document",
            file=Outgoing(content, upload.filename or "file"),
        )
        return _done(await self.session.act(act))


def _refused(reason: str) -> web.Response:
    return web.json_response({"ok": False, "error": reason}, status=400)


def _done(reason: str | None) -> web.Response:
    if reason is not None:
        return web.json_response({"ok": False, "error": reason}, status=400)
    return web.json_response({"ok": True})


async def serve_page(
    shop: SandboxShop,
    stop: asyncio.Event,
    language: str,
    media: MediaFolder,
    port: int,
    say: Callable[..., None],
) -> bool:
    """Serve the page until ``stop``; False (having said why) when the port is taken."""
    session = WebSession(shop, WebConsole(), stop, language, media)
    sandbox = WebSandbox(session, port)
    try:
        await sandbox.start()
    except OSError as exc:
        print(
            f"storefront sandbox: cannot listen on {HOST}:{port} ({exc.strerror or exc}); "
            "choose another with --port",
            file=sys.stderr,
        )
        return False
    try:
        say(f"Open {sandbox.url} in a browser. Ctrl-C stops the sandbox.", "")
        await session.serve()
    finally:
        await sandbox.stop()
    return True
