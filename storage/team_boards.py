"""The group progress message ("board") of each team, in SQL: where it is, and which are due
an edit (seats changed, or the countdown moved on), never more often than ``MIN_BOARD_GAP``.
A part of ``SqlGroupBuyRepository`` (``storage/group_repository.py``).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import and_, or_, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import select

from bot.domain.group_buys import Team, TeamStatus, board_interval
from storage.group_rows import TEAM as _TEAM
from storage.group_rows import team_of
from storage.group_tables import TeamRow
from storage.types import table_of

#: A board is edited at most this often, even when seats change every second.
MIN_BOARD_GAP = timedelta(seconds=3)


class SqlTeamBoards:
    """The board half of the group-buy repository (the session is the repository's)."""

    _s: AsyncSession

    async def set_board(self, team_id: int, chat_id: int, message_id: int, now: datetime) -> None:
        await self._s.execute(
            update(table_of(TeamRow))
            .where(_TEAM.id == team_id)
            .values(
                board_chat_id=chat_id,
                board_message_id=message_id,
                board_edited_at=now,
                board_dirty=False,
            )
        )

    async def boards_due(self, now: datetime, limit: int) -> list[Team]:
        recent = now - MIN_BOARD_GAP
        rows = (
            await self._s.execute(
                select(TeamRow)
                .where(
                    _TEAM.board_message_id.is_not(None),
                    or_(
                        and_(_TEAM.board_dirty.is_(True), _TEAM.board_edited_at <= recent),
                        and_(
                            _TEAM.status == TeamStatus.OPEN.value,
                            _TEAM.board_edited_at <= now - timedelta(minutes=1),
                        ),
                    ),
                )
                .order_by(_TEAM.board_edited_at)
                .limit(limit * 4)
                .execution_options(populate_existing=True)
            )
        ).scalars()
        due: list[Team] = []
        for row in rows:
            edited = row.board_edited_at or row.created_at
            stale = now - edited >= board_interval(row.deadline - now)
            if row.board_dirty or stale:
                due.append(team_of(row))
            if len(due) >= limit:
                break
        return due

    async def board_edited(self, team_id: int, now: datetime) -> None:
        await self._s.execute(
            update(table_of(TeamRow))
            .where(_TEAM.id == team_id)
            .values(board_edited_at=now, board_dirty=False)
        )

    async def drop_board(self, team_id: int) -> None:
        await self._s.execute(
            update(table_of(TeamRow))
            .where(_TEAM.id == team_id)
            .values(board_chat_id=None, board_message_id=None, board_dirty=False)
        )
