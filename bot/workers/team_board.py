"""A group buy's progress message in a group chat: posted once, then edited in place as seats
fill and the countdown runs ("3 of 5 joined · 5 h 12 min left").

Edits are bounded: a change is shown at most every few seconds per team, the countdown every
minute in the last hour and every ten minutes before (``board_interval``), so a group showing
several teams stays inside Telegram's 20 messages a minute per group.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

from bot.conversation.delivery import Sender
from bot.conversation.replies import Keyboard
from bot.conversation.screens.team_text import card_text, invite_link, public_keyboard
from bot.conversation.texts import texts
from bot.domain.group_buys import Team
from bot.services.ports import UnitOfWorkFactory
from bot.workers.boards import Edit, PostFailed, edit_board, post_board

log = logging.getLogger(__name__)

_BATCH = 20


class TeamBoard:
    def __init__(
        self,
        uows: UnitOfWorkFactory,
        clock: Callable[[], datetime],
        locale: str,
        bot_username: Callable[[], str | None],
    ) -> None:
        self.uows = uows
        self.clock = clock
        self.locale = locale
        self.bot_username = bot_username

    def render(self, team: Team, now: datetime) -> tuple[str, Keyboard | None]:
        tx = texts(self.locale)
        link = invite_link(self.bot_username(), team)
        return card_text(tx, team, now, link), public_keyboard(tx, team, now, link)

    async def post(self, sender: Sender, chat_id: int, team_id: int) -> bool | None:
        """Send the team's card into ``chat_id`` and make it the message kept up to date.
        True when sent, False when it cannot be (no such team, the bot is not in the chat),
        None to try again later."""
        async with self.uows() as uow:
            team = await uow.groups.team(team_id)
        if team is None:
            return False
        now = self.clock()
        text, keyboard = self.render(team, now)
        try:
            sent = await post_board(sender, chat_id, text, keyboard, f"team {team_id} card")
        except PostFailed:
            return False
        if sent is None:
            return None
        async with self.uows() as uow:
            await uow.groups.set_board(team_id, chat_id, sent.message_id, now)
            await uow.commit()
        return True

    async def refresh(self, sender: Sender) -> int:
        """Edit the progress messages that are stale; how many were edited."""
        now = self.clock()
        async with self.uows() as uow:
            due = await uow.groups.boards_due(now, _BATCH)
        edited = 0
        for team in due:
            assert team.board_chat_id is not None and team.board_message_id is not None
            text, keyboard = self.render(team, now)
            what = f"team {team.id} board"
            outcome = await edit_board(
                sender, team.board_chat_id, team.board_message_id, text, keyboard, what
            )
            if outcome is Edit.THROTTLED:
                return edited
            if outcome is Edit.LATER:
                continue
            if outcome is Edit.GONE:
                async with self.uows() as uow:
                    await uow.groups.drop_board(team.id)
                    await uow.commit()
                continue
            async with self.uows() as uow:
                await uow.groups.board_edited(team.id, now)
                await uow.commit()
            edited += 1
        return edited
