"""The console's staff list and audit log in SQL."""

from __future__ import annotations

import json
from datetime import datetime

from sqlalchemy import delete, func
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from bot.domain.staff import Role
from bot.services.admin_ports import AuditEntry, StaffMember
from storage.admin_tables import AdminAuditRow, StaffRow
from storage.tables import UserRow
from storage.types import rowcount

_MAX_DETAIL = 2000


class SqlStaffRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._s = session

    async def role_of(self, user_id: int) -> Role | None:
        row = await self._s.get(StaffRow, user_id)
        return Role(row.role) if row is not None else None

    async def add(self, user_id: int, role: Role, added_by: int, now: datetime) -> bool:
        row = await self._s.get(StaffRow, user_id)
        if row is not None and row.role == role.value:
            return False
        if row is None:
            self._s.add(
                StaffRow(user_id=user_id, role=role.value, added_by=added_by, added_at=now)
            )
        else:
            row.role, row.added_by, row.added_at = role.value, added_by, now
        await self._s.flush()
        return True

    async def remove(self, user_id: int) -> bool:
        result = await self._s.execute(delete(StaffRow).where(col(StaffRow.user_id) == user_id))
        return bool(rowcount(result))

    async def members(self) -> list[StaffMember]:
        rows = await self._s.execute(
            select(StaffRow, UserRow.first_name, UserRow.username)
            .outerjoin(UserRow, col(UserRow.id) == StaffRow.user_id)
            .order_by(col(StaffRow.added_at), col(StaffRow.user_id))
        )
        return [
            StaffMember(s.user_id, Role(s.role), s.added_by, s.added_at, name or "", username)
            for s, name, username in rows
        ]

    async def find_username(self, username: str) -> int | None:
        wanted = username.strip().lstrip("@").lower()
        if not wanted:
            return None
        return await self._s.scalar(
            select(UserRow.id)
            .where(func.lower(UserRow.username) == wanted)
            .order_by(col(UserRow.last_seen_at).desc())
            .limit(1)
        )


class SqlAuditLog:
    def __init__(self, session: AsyncSession) -> None:
        self._s = session

    async def write(
        self,
        actor_id: int,
        role: Role,
        action: str,
        target: str,
        detail: dict[str, object],
        now: datetime,
    ) -> None:
        text = json.dumps(detail, ensure_ascii=False, default=str)
        if len(text) > _MAX_DETAIL:  # never lose the entry for the sake of its details
            text = json.dumps({"truncated": text[: _MAX_DETAIL - 40]}, ensure_ascii=False)
        self._s.add(
            AdminAuditRow(
                actor_id=actor_id,
                role=role.value,
                action=action[:64],
                target=target[:128],
                detail=text[:_MAX_DETAIL],
                at=now,
            )
        )
        await self._s.flush()

    async def recent(self, limit: int, before_id: int | None = None) -> list[AuditEntry]:
        query = select(AdminAuditRow).order_by(col(AdminAuditRow.id).desc())
        if before_id is not None:
            query = query.where(col(AdminAuditRow.id) < before_id)
        rows = (await self._s.execute(query.limit(limit))).scalars()
        return [
            AuditEntry(
                r.id or 0,
                r.actor_id,
                Role(r.role),
                r.action,
                r.target,
                json.loads(r.detail),
                r.at,
            )
            for r in rows
        ]
