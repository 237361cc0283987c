"""Ports of the merchant console: the shop's staff and the audit log of admin actions."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from bot.domain.staff import Role


@dataclass(frozen=True, slots=True)
class StaffMember:
    user_id: int
    role: Role
    added_by: int
    added_at: datetime
    first_name: str = ""
    username: str | None = None


@dataclass(frozen=True, slots=True)
class AuditEntry:
    id: int
    actor_id: int
    role: Role
    action: str
    target: str
    detail: dict[str, object]
    at: datetime


class StaffRepository(Protocol):
    async def role_of(self, user_id: int) -> Role | None:
        """STAFF for a stored staff member, else None (owners and leaders are known elsewhere)."""
        ...

    async def add(self, user_id: int, role: Role, added_by: int, now: datetime) -> bool:
        """True if added or changed; False if the person already had that role."""
        ...

    async def remove(self, user_id: int) -> bool: ...
    async def members(self) -> list[StaffMember]: ...
    async def find_username(self, username: str) -> int | None:
        """The id of the person who last used the bot as @username (any case), if any."""
        ...


class AuditLog(Protocol):
    async def write(
        self,
        actor_id: int,
        role: Role,
        action: str,
        target: str,
        detail: dict[str, object],
        now: datetime,
    ) -> None: ...

    async def recent(self, limit: int, before_id: int | None = None) -> list[AuditEntry]: ...
