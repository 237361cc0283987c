"""A group buy's progress message in a group chat: posted once, then edited in place as seats
fill and the countdown runs ("3 of 5 joined · 5 h 12 min left").

Edits are bounded: a change is shown at most every few seconds per team, the countdown every
minute in the last hour and every ten minutes before (``board_interval``), so a group showing
several teams stays inside Telegram's 20 messages a minute per group.
"""

from __future__ import annotations

import logging
from datetime import datetime

from bot.conversation.delivery import Sender
from bot.conversation.replies import Keyboard
from bot.conversation.screens.team_text import card_text, invite_link, public_keyboard
from bot.conversation.texts import texts
from bot.domain.group_buys import Team
from bot.services.ports import UnitOfWork
from bot.workers.boards import Board, BoardEdit, Edit, PostFailed, post_board

log = logging.getLogger(__name__)

_BATCH = 20


class TeamBoard(Board[Team]):
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

    async def due(self, uow: UnitOfWork, now: datetime) -> list[Team]:
        return await uow.groups.boards_due(now, _BATCH)

    def edit_of(self, team: Team, now: datetime) -> BoardEdit:
        assert team.board_chat_id is not None and team.board_message_id is not None
        text, keyboard = self.render(team, now)
        what = f"team {team.id} board"
        return BoardEdit(team.board_chat_id, team.board_message_id, text, keyboard, what)

    async def edited(self, uow: UnitOfWork, team: Team, outcome: Edit, now: datetime) -> None:
        if outcome is Edit.GONE:
            await uow.groups.drop_board(team.id)
        else:
            await uow.groups.board_edited(team.id, now)
