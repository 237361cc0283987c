"""Who is asking, and what they may do: the console's gate and its audit log.

Roles are looked up on every update (an owner removing a staff member takes effect at that
person's next press). A refusal is a plain message or toast and changes nothing.
"""

from __future__ import annotations

from bot.conversation.turn import Turn
from bot.domain.staff import Permission, Role, can


async def role_of(turn: Turn) -> Role | None:
    user_id = turn.person.id
    if user_id in turn.config.admin_ids:
        return Role.OWNER
    stored = await turn.uow.staff.role_of(user_id)
    if stored is not None:
        return stored
    if await turn.uow.groups.is_leader(user_id):
        return Role.LEADER
    return None


def refuse(turn: Turn, key: str = "admin.refused") -> None:
    turn.tell(turn.tx.t(key), alert=True)


async def allowed(turn: Turn, permission: Permission) -> Role | None:
    """The person's role if it grants ``permission``; otherwise they are refused and None."""
    role = await role_of(turn)
    if role is None:
        refuse(turn)
        return None
    if not can(role, permission):
        refuse(turn, "admin.not_your_role")
        return None
    return role


async def audit(turn: Turn, role: Role, action: str, target: str = "", **detail: object) -> None:
    """Write one admin action to the audit log (in the update's transaction: an action that
    rolls back leaves no entry)."""
    await turn.uow.audit.write(turn.person.id, role, action, target, dict(detail), turn.now)
