"""Console section for owners: the team (owners, staff, group-buy leaders) and the audit log.

``/admin staff add|remove <id or @username>`` and ``/admin leader add|remove ...`` name someone
who has used the bot (so the id is real). Owners are the ``ADMIN_IDS`` of the configuration:
the console neither adds nor removes them. Only owners hold ``Permission.STAFF``, so staff
cannot add staff.
"""

from __future__ import annotations

from bot.conversation.replies import Button, Keyboard, SendText
from bot.conversation.screens.admin import access
from bot.conversation.screens.admin.registry import admin_cb, command, menu_item, verb
from bot.conversation.texts import pick_locale, texts
from bot.conversation.turn import Turn
from bot.domain.staff import Permission, Role
from bot.services.admin_ports import AuditEntry

P = Permission.STAFF
AUDIT_PAGE = 10
_DETAIL_CHARS = 80
#: People named per role on the Team screen (a message holds 4,096 characters).
_LISTED = 30

menu_item(60, "ac.tm.menu", "tm_list", P)


async def _name(turn: Turn, user_id: int) -> str:
    profile = await turn.uow.buyers.profile(user_id)
    name = profile.first_name if profile is not None and profile.first_name else "?"
    return f"{name} ({user_id})"


@verb("tm_list", P)
async def show_team(turn: Turn, role: Role, _: int, __: int) -> None:
    turn.answer()
    text, keyboard = await _team(turn)
    turn.show(text, keyboard)


async def _team(turn: Turn) -> tuple[str, Keyboard]:
    tx = turn.tx
    owners = [await _name(turn, i) for i in turn.config.admin_ids]
    staff = [
        f"{m.first_name or '?'} ({m.user_id})" + (f" @{m.username}" if m.username else "")
        for m in await turn.uow.staff.members()
    ]
    leader_ids = [user_id for user_id, _ in await turn.uow.groups.leaders()]
    leaders = [await _name(turn, user_id) for user_id in leader_ids[:_LISTED]]
    none = tx.t("ac.tm.nobody")
    text = tx.t(
        "ac.tm.team",
        owners=", ".join(owners) or none,
        staff=_listed(staff, len(staff)) or none,
        leaders=_listed(leaders, len(leader_ids)) or none,
    )
    keyboard = (
        (
            Button(tx.label("ac.tm.btn_audit"), admin_cb("tm_audit")),
            Button(tx.label("admin.btn_menu"), admin_cb("menu")),
        ),
    )
    return text, keyboard


def _listed(names: list[str], total: int) -> str:
    """The first names, and how many more (a shop may have hundreds of leaders)."""
    shown = ", ".join(names[:_LISTED])
    return shown + (f" … +{total - _LISTED}" if total > _LISTED else "")


def _entry_line(turn: Turn, entry: AuditEntry, who: str) -> str:
    detail = ", ".join(f"{k}={v}" for k, v in entry.detail.items() if v is not None)
    if len(detail) > _DETAIL_CHARS:
        detail = detail[: _DETAIL_CHARS - 1] + "…"
    return turn.tx.t(
        "ac.tm.audit_line",
        id=entry.id,
        when=f"{entry.at:%Y-%m-%d %H:%M}",
        who=who,
        role=turn.tx.label(f"admin.role.{entry.role.value}"),
        action=entry.action,
        target=entry.target or "-",
        detail=detail,
    )


@verb("tm_audit", P)
async def show_audit(turn: Turn, role: Role, before_id: int, _: int) -> None:
    """The newest entries first; ``before_id`` pages back to older ones."""
    entries = await turn.uow.audit.recent(AUDIT_PAGE, before_id or None)
    turn.answer()
    names: dict[int, str] = {}
    lines = [turn.tx.t("ac.tm.audit")]
    for entry in entries:
        if entry.actor_id not in names:
            names[entry.actor_id] = await _name(turn, entry.actor_id)
        lines.append(_entry_line(turn, entry, names[entry.actor_id]))
    if not entries:
        lines.append(turn.tx.t("ac.tm.audit_empty"))
    row: list[Button] = []
    if before_id:
        row.append(Button(turn.tx.label("ac.tm.btn_newest"), admin_cb("tm_audit")))
    if len(entries) == AUDIT_PAGE:
        row.append(Button(turn.tx.label("ac.tm.btn_older"), admin_cb("tm_audit", entries[-1].id)))
    keyboard = (
        *((tuple(row),) if row else ()),
        (
            Button(turn.tx.label("ac.tm.menu"), admin_cb("tm_list")),
            Button(turn.tx.label("admin.btn_menu"), admin_cb("menu")),
        ),
    )
    turn.show("\n".join(lines), keyboard)


async def _tell(turn: Turn, user_id: int, key: str) -> None:
    """A word to the person named, in their language (a blocked bot just fails to deliver)."""
    profile = await turn.uow.buyers.profile(user_id)
    locale = profile.locale if profile is not None else None
    code = profile.language_code if profile is not None else None
    tx = texts(pick_locale(locale, code, turn.config.default_locale))
    turn.replies.append(SendText(user_id, tx.t(key, shop=turn.config.shop_name)))


async def _person(turn: Turn, text: str) -> int | None:
    """A user id or @username of someone the bot knows; otherwise the merchant is told."""
    raw = text.strip()
    if raw.isdigit() and raw.isascii() and 0 < int(raw) < 2**63:
        if await turn.uow.buyers.profile(int(raw)) is not None:
            return int(raw)
    elif raw.startswith("@") and 1 < len(raw) <= 33:
        found = await turn.uow.staff.find_username(raw)
        if found is not None:
            return found
    elif not raw:
        return None
    turn.say(turn.tx.t("ac.tm.unknown_person", who=raw[:40]))
    return None


@command("staff", P)
async def staff_command(turn: Turn, role: Role, args: str) -> None:
    word, _, rest = args.partition(" ")
    word = word.lower()
    if word not in ("add", "remove") or not rest.strip():
        turn.say(turn.tx.t("ac.tm.usage_staff"))
        return
    user_id = await _person(turn, rest)
    if user_id is None:
        return
    who = await _name(turn, user_id)
    if user_id in turn.config.admin_ids:
        turn.say(turn.tx.t("ac.tm.is_owner", who=who))
        return
    if word == "add":
        if not await turn.uow.staff.add(user_id, Role.STAFF, turn.person.id, turn.now):
            turn.say(turn.tx.t("ac.tm.already_staff", who=who))
            return
        await access.audit(turn, role, "staff.add", f"user:{user_id}")
        turn.staff_added.append(user_id)
        turn.say(turn.tx.t("ac.tm.staff_added", who=who))
        await _tell(turn, user_id, "ac.tm.you_are_staff")
        return
    if not await turn.uow.staff.remove(user_id):
        turn.say(turn.tx.t("ac.tm.not_staff", who=who))
        return
    await access.audit(turn, role, "staff.remove", f"user:{user_id}")
    turn.staff_removed.append(user_id)
    turn.say(turn.tx.t("ac.tm.staff_removed", who=who))


@command("leader", P)
async def leader_command(turn: Turn, role: Role, args: str) -> None:
    word, _, rest = args.partition(" ")
    word = word.lower()
    if word not in ("add", "remove") or not rest.strip():
        turn.say(turn.tx.t("ac.tm.usage_leader"))
        return
    user_id = await _person(turn, rest)
    if user_id is None:
        return
    who = await _name(turn, user_id)
    groups = turn.uow.groups
    if word == "add":
        if await groups.is_leader(user_id):  # keeps the pickup point they already set
            turn.say(turn.tx.t("ac.tm.already_leader", who=who))
            return
        await groups.set_leader(user_id, None)
        await access.audit(turn, role, "leader.add", f"user:{user_id}")
        turn.say(turn.tx.t("ac.tm.leader_added", who=who))
        return
    if not await groups.remove_leader(user_id):
        turn.say(turn.tx.t("ac.tm.not_leader", who=who))
        return
    await access.audit(turn, role, "leader.remove", f"user:{user_id}")
    turn.say(turn.tx.t("ac.tm.leader_removed", who=who))
