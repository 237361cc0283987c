"""Staff members' menu button: "🖥 Dashboard" next to the message field of their private chat
with the bot opens the dashboard (``setChatMenuButton`` with a ``web_app``, per chat, so buyers
keep the usual commands menu). Set for every owner and staff member when the bot starts, and
for a staff member as soon as an owner adds them (``Storefront.on_staff_added``)."""

from __future__ import annotations

import asyncio
import logging

import aiohttp

from bot.conversation.texts import pick_locale, texts
from bot.services.ports import UnitOfWorkFactory

log = logging.getLogger(__name__)


class MenuButtons:
    def __init__(
        self,
        uows: UnitOfWorkFactory,
        api_base: str,
        token: str,
        url: str,
        owners: tuple[int, ...],
        default_locale: str = "en",
    ) -> None:
        self.uows = uows
        self._endpoint = f"{api_base.rstrip('/')}/bot{token}/setChatMenuButton"
        self.url = url
        self.owners = owners
        self.default_locale = default_locale
        self._tasks: set[asyncio.Task[bool]] = set()

    async def staff(self) -> list[int]:
        async with self.uows() as uow:
            members = [m.user_id for m in await uow.staff.members()]
        return list(dict.fromkeys([*self.owners, *members]))

    async def _label(self, user_id: int) -> str:
        async with self.uows() as uow:
            profile = await uow.buyers.profile(user_id)
        locale = pick_locale(
            profile.locale if profile else None,
            profile.language_code if profile else None,
            self.default_locale,
        )
        return texts(locale).label("dash.menu_button")

    async def set_for(self, user_id: int) -> bool:
        """The button in this person's private chat; False (logged) if Telegram refused, e.g.
        for someone who never opened the bot."""
        body = {
            "chat_id": user_id,
            "menu_button": {
                "type": "web_app",
                "text": await self._label(user_id),
                "web_app": {"url": self.url},
            },
        }
        try:
            async with (
                aiohttp.ClientSession() as session,
                session.post(self._endpoint, json=body) as response,
            ):
                answer = await response.json(content_type=None)
        except (aiohttp.ClientError, TimeoutError, ValueError) as exc:
            log.warning("dashboard menu button for %s not set: %s", user_id, exc)
            return False
        if not isinstance(answer, dict) or not answer.get("ok"):
            log.info("dashboard menu button for %s not set: %s", user_id, answer)
            return False
        return True

    async def set_all(self) -> int:
        """At start: every owner's and staff member's chat; how many were set."""
        done = 0
        for user_id in await self.staff():
            done += await self.set_for(user_id)
        return done

    def staff_added(self, user_id: int) -> None:
        """After the commit that added them (a listener of ``Storefront.on_staff_added``)."""
        task = asyncio.get_running_loop().create_task(self.set_for(user_id))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def idle(self) -> None:
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
