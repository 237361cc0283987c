"""Staff members' menu button: "🖥 Dashboard" next to the message field of their private chat
with the bot opens the dashboard (``setChatMenuButton`` with a ``web_app``, per chat, so buyers
keep the usual commands menu). Set for every owner and staff member when the bot starts, and
for a staff member as soon as an owner adds them (``Storefront.on_staff_added``)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine

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
        label = await self._label(user_id)
        button: dict[str, object] = {
            "type": "web_app",
            "text": label,
            "web_app": {"url": self.url},
        }
        return await self._put(user_id, button)

    async def reset_for(self, user_id: int) -> bool:
        """Back to the usual commands menu (someone no longer staff)."""
        return await self._put(user_id, {"type": "default"})

    async def _put(self, user_id: int, button: dict[str, object]) -> bool:
        body = {"chat_id": user_id, "menu_button": button}
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
        self._later(self.set_for(user_id))

    def staff_removed(self, user_id: int) -> None:
        """After the commit that removed them (``Storefront.on_staff_removed``); an owner named
        in ADMIN_IDS keeps the button."""
        if user_id not in self.owners:
            self._later(self.reset_for(user_id))

    def _later(self, job: Coroutine[object, object, bool]) -> None:
        task = asyncio.get_running_loop().create_task(job)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def listen(
        self, on_added: list[Callable[[int], None]], on_removed: list[Callable[[int], None]]
    ) -> None:
        """Follow the console's staff changes (``Storefront.on_staff_added`` / ``_removed``)."""
        on_added.append(self.staff_added)
        on_removed.append(self.staff_removed)

    async def idle(self) -> None:
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
