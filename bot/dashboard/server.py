"""The dashboard's HTTP side: aiohttp routes under a prefix (``/dashboard``), mounted on the
webhook server (``storefront webhook``) or served on their own (``DashboardServer``:
``storefront run``, the sandbox).

``GET <prefix>`` is the shell (no data). Everything under ``<prefix>/api/`` needs Telegram's
initData in the ``X-Telegram-Init-Data`` header: a bad or expired signature is 401, someone who
is not an owner or staff member 403, and nothing is read from the body or changed before both
checks passed. A change is one transaction; notices and refunds it queued go out through the
outbox worker right after the commit, exactly as from the chat console.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from aiohttp import BodyPartReader, web

from bot.conversation.storefront import Storefront
from bot.conversation.texts import pick_locale, texts
from bot.dashboard import orders, page, products, promos, stats
from bot.dashboard.auth import InitDataError, WebAppUser, check_init_data
from bot.dashboard.uploads import MAX_UPLOAD, TOO_LARGE
from bot.dashboard.visit import Forbidden, NotFound, Page, Upload, Visit
from bot.domain.staff import Role, console_role
from bot.services.ports import UnitOfWork

log = logging.getLogger(__name__)

Handler = Callable[[Visit], Awaitable[Page]]
MAX_FIELD = 8 * 1024


@dataclass(frozen=True, slots=True)
class Route:
    method: str
    path: str  # under <prefix>/api/, with {id} placeholders
    handler: Handler


def _routes() -> list[Route]:
    return [
        *(Route(m, p, h) for m, p, h in products.ROUTES),
        *(Route(m, p, h) for m, p, h in orders.ROUTES),
        *(Route(m, p, h) for m, p, h in promos.ROUTES),
        *(Route(m, p, h) for m, p, h in stats.ROUTES),
    ]


class BadRequest(Exception):
    pass


async def role_of(uow: UnitOfWork, user_id: int, owners: tuple[int, ...]) -> Role | None:
    """As the chat console decides it (``screens/admin/access.py``): owners are ADMIN_IDS."""
    if user_id in owners:
        return Role.OWNER
    return await uow.staff.role_of(user_id)


class Dashboard:
    def __init__(
        self,
        storefront: Storefront,
        bot_token: str,
        *,
        max_age: float = 24 * 3600,
        media_dir: Path = Path("media/uploads"),
        prefix: str = "/dashboard",
    ) -> None:
        self.storefront = storefront
        self._token = bot_token
        self.max_age = max_age
        self.media_dir = media_dir
        self.prefix = prefix.rstrip("/")

    def routes(self) -> list[web.RouteDef]:
        shell = [
            web.get(self.prefix, self._shell),
            web.get(self.prefix + "/", self._shell),
        ]
        api = [
            web.route(r.method, f"{self.prefix}/api/{r.path}", self._wrap(r.handler))
            for r in _routes()
        ]
        return shell + api

    async def _shell(self, _request: web.Request) -> web.Response:
        return web.Response(
            text=page.shell(self.storefront.config.shop_name),
            content_type="text/html",
            headers={"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"},
        )

    def _wrap(self, handler: Handler) -> Callable[[web.Request], Awaitable[web.Response]]:
        async def answer(request: web.Request) -> web.Response:
            return await self._answer(request, handler)

        return answer

    def _now(self) -> datetime:
        return self.storefront.clock()

    async def _answer(self, request: web.Request, handler: Handler) -> web.Response:
        now = self._now()
        try:
            user = check_init_data(
                request.headers.get(page.INIT_HEADER, ""),
                self._token,
                now.timestamp(),
                self.max_age,
            )
        except InitDataError as exc:
            log.info("dashboard request refused: initData %s", exc.problem.value)
            tx = texts(self.storefront.config.default_locale)
            return _fragment(Page(page.notice(tx.label("dash.unauthorized"), "error"), "", 401))
        async with self.storefront.uows() as uow:
            role = await role_of(uow, user.id, self.storefront.config.admin_ids)
            profile = await uow.buyers.profile(user.id)
            locale = pick_locale(
                profile.locale if profile else None,
                user.language_code,
                self.storefront.config.default_locale,
            )
            tx = texts(locale)
            if not console_role(role):
                log.info("dashboard request refused: user %s is not staff", user.id)
                return _fragment(Page(page.notice(tx.label("dash.forbidden"), "error"), "", 403))
            assert role is not None
            try:
                visit = await self._visit(request, uow, user, role, locale, now)
                result = await handler(visit)
            except Forbidden:
                return _fragment(
                    Page(page.notice(tx.label("dash.not_your_role"), "error"), "", 403)
                )
            except NotFound:
                return _fragment(Page(page.notice(tx.label("dash.not_found"), "error"), "", 404))
            except BadRequest:
                return _fragment(Page(page.notice(tx.label("dash.bad_request"), "error"), "", 400))
            if visit.changed:
                await uow.commit()
        if visit.outbox:
            for kick in self.storefront.on_outbox:
                kick()
        return _fragment(result)

    async def _visit(
        self,
        request: web.Request,
        uow: UnitOfWork,
        user: WebAppUser,
        role: Role,
        locale: str,
        now: datetime,
    ) -> Visit:
        form, files = await _read_form(request) if request.method == "POST" else ({}, {})
        return Visit(
            uow=uow,
            user=user,
            role=role,
            tx=texts(locale),
            now=now,
            config=self.storefront.config,
            card=self.storefront.card,
            media_dir=self.media_dir,
            query={**request.match_info, **request.query},
            form=form,
            files=files,
        )


async def _read_form(request: web.Request) -> tuple[dict[str, str], dict[str, Upload]]:
    """The posted fields (multipart or urlencoded), each bounded, a file at most MAX_UPLOAD."""
    if not request.content_type.startswith("multipart/"):
        posted = await request.post()
        return {k: v for k, v in posted.items() if isinstance(v, str)}, {}
    form: dict[str, str] = {}
    files: dict[str, Upload] = {}
    reader = await request.multipart()
    while (part := await reader.next()) is not None:
        if not isinstance(part, BodyPartReader) or not part.name:
            raise BadRequest("nested multipart")
        if part.filename is None:
            raw = await part.read(decode=True)
            if len(raw) > MAX_FIELD:
                raise BadRequest("field too long")
            form[part.name] = raw.decode("utf-8", "replace")
            continue
        data = bytearray()
        while chunk := await part.read_chunk(256 * 1024):
            data += chunk
            if len(data) > MAX_UPLOAD:
                files[part.name] = Upload(part.filename, TOO_LARGE, b"")
                break
        else:
            kind = part.headers.get("Content-Type", "").split(";")[0].strip().lower()
            files[part.name] = Upload(part.filename, kind, bytes(data))
    return form, files


def _fragment(result: Page) -> web.Response:
    headers = {
        "Cache-Control": "no-store",
        "X-Content-Type-Options": "nosniff",
        "X-Dashboard-Page": result.at,
    }
    if result.data is not None:
        headers["Content-Disposition"] = f'attachment; filename="{result.filename or "file"}"'
        return web.Response(
            body=result.data,
            status=result.status,
            content_type=result.content_type,
            headers=headers,
        )
    return web.Response(
        text=result.body, status=result.status, content_type="text/html", headers=headers
    )


class DashboardServer:
    """The dashboard on its own port (``storefront run``, the sandbox)."""

    def __init__(self, dashboard: Dashboard, host: str, port: int) -> None:
        self.app = web.Application()
        self.app.add_routes(dashboard.routes())
        self.host, self.port = host, port
        self.prefix = dashboard.prefix
        self._runner: web.AppRunner | None = None

    async def start(self) -> None:
        self._runner = web.AppRunner(self.app, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, self.host, self.port).start()

    @property
    def local_url(self) -> str:
        """``http://host:port/dashboard`` (port 0 picks a free one)."""
        assert self._runner is not None
        host, port = self._runner.addresses[0][:2]
        return f"http://{host}:{port}{self.prefix}"

    async def stop(self) -> None:
        if self._runner is not None:
            runner, self._runner = self._runner, None
            await runner.cleanup()
