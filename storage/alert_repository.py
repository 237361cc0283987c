"""The alerts a buyer controls, in SQL: their choices, and the day's count taken atomically
(``INSERT ... ON CONFLICT DO NOTHING``, then
``UPDATE ... SET sent = sent + 1 WHERE sent < cap``)."""

from __future__ import annotations

from sqlalchemy import func, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import select

from bot.domain.alerts import AlertKind, AlertPrefs
from bot.services.alert_ports import BuyerAlerts
from storage.alert_tables import AlertCountRow, AlertPrefsRow
from storage.repositories import dialect_insert
from storage.tables import UserRow
from storage.types import rowcount, table_of

_P = table_of(AlertPrefsRow).c
_C = table_of(AlertCountRow).c
_U = table_of(UserRow).c
_CHUNK = 500
_KINDS = {k.value: k for k in AlertKind}


def _prefs(row: AlertPrefsRow) -> AlertPrefs:
    kinds = frozenset(_KINDS[k] for k in row.kinds_off.split(",") if k in _KINDS)
    categories = frozenset(int(c) for c in row.categories_off.split(",") if c.isdecimal())
    quiet: tuple[int, int] | None = None
    chosen = row.quiet_off
    if not row.quiet_off and row.quiet_start is not None and row.quiet_end is not None:
        quiet, chosen = (row.quiet_start, row.quiet_end), True
    return AlertPrefs(kinds, categories, row.cap, row.zone, quiet, chosen)


class SqlAlertRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._s = session

    async def of(self, user_ids: list[int]) -> dict[int, BuyerAlerts]:
        found: dict[int, BuyerAlerts] = {}
        ids = sorted(set(user_ids))
        for start in range(0, len(ids), _CHUNK):
            chunk = ids[start : start + _CHUNK]
            language = func.coalesce(_U.locale, _U.language_code)
            rows = await self._s.execute(
                select(_U.id, language, AlertPrefsRow)
                .select_from(table_of(UserRow))
                .outerjoin(AlertPrefsRow, _P.user_id == _U.id)
                .where(_U.id.in_(chunk))
            )
            for user_id, lang, prefs in rows:
                chosen = _prefs(prefs) if prefs is not None else AlertPrefs()
                found[int(user_id)] = BuyerAlerts(chosen, lang)
        return found

    async def save(self, user_id: int, prefs: AlertPrefs) -> None:
        values = {
            "user_id": user_id,
            "kinds_off": ",".join(sorted(k.value for k in prefs.kinds_off)),
            "categories_off": ",".join(str(c) for c in sorted(prefs.categories_off))[:2000],
            "cap": prefs.cap,
            "zone": prefs.zone,
            "quiet_start": prefs.quiet[0] if prefs.quiet_chosen and prefs.quiet else None,
            "quiet_end": prefs.quiet[1] if prefs.quiet_chosen and prefs.quiet else None,
            "quiet_off": prefs.quiet_chosen and prefs.quiet is None,
        }
        stmt = dialect_insert(self._s, AlertPrefsRow).values(values)
        changed = {k: v for k, v in values.items() if k != "user_id"}
        await self._s.execute(stmt.on_conflict_do_update(index_elements=["user_id"], set_=changed))

    async def sent_on(self, days: dict[int, str]) -> dict[int, int]:
        counts: dict[int, int] = {}
        by_day: dict[str, list[int]] = {}
        for user_id, day in days.items():
            by_day.setdefault(day, []).append(user_id)
        for day, users in by_day.items():
            for start in range(0, len(users), _CHUNK):
                rows = await self._s.execute(
                    select(_C.user_id, _C.sent).where(
                        _C.day == day, _C.user_id.in_(users[start : start + _CHUNK])
                    )
                )
                counts.update({int(u): int(n) for u, n in rows})
        return counts

    async def take(self, user_id: int, day: str, cap: int) -> bool:
        if cap <= 0:
            return False
        start = dialect_insert(self._s, AlertCountRow).values(user_id=user_id, day=day, sent=0)
        await self._s.execute(start.on_conflict_do_nothing(index_elements=["user_id", "day"]))
        result = await self._s.execute(
            update(table_of(AlertCountRow))
            .where(_C.user_id == user_id, _C.day == day, _C.sent < cap)
            .values(sent=_C.sent + 1)
        )
        return bool(rowcount(result))
