"""Drops in SQL: the fan-out into one delivery per chat, claims with leases, bulk results."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Mapping
from datetime import datetime, timedelta

from sqlalchemy import ScalarSelect, func, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, or_, select

from bot.domain.drops import (
    Audience,
    AudienceKind,
    ButtonKind,
    DeliveryStatus,
    DropButton,
    DropContent,
    DropStatus,
    MediaKind,
    Progress,
)
from bot.domain.orders import MONEY_TAKEN
from bot.services.drop_ports import Delivery, DeliveryResult, Drop
from storage.drop_tables import DropDeliveryRow, DropRow
from storage.interest_repository import interested_in
from storage.order_tables import OrderLineRow, OrderRow
from storage.repositories import dialect_insert
from storage.tables import CartLineRow, ProductRow, UserRow, VariantRow
from storage.types import rowcount, table_of

_D = table_of(DropDeliveryRow).c
_U = table_of(UserRow).c
_FAILED = (
    DeliveryStatus.FAILED.value,
    DeliveryStatus.BLOCKED.value,
    DeliveryStatus.CAPPED.value,
    DeliveryStatus.OPTED_OUT.value,
    DeliveryStatus.STALE.value,
    DeliveryStatus.UNCONFIRMED.value,
)
_SKIPPED = (
    DeliveryStatus.CAPPED.value,
    DeliveryStatus.OPTED_OUT.value,
    DeliveryStatus.STALE.value,
)
_CHUNK = 1000


def _drop(row: DropRow) -> Drop:
    assert row.id is not None
    buttons = tuple(DropButton(ButtonKind(k), int(t)) for k, t in json.loads(row.buttons))
    return Drop(
        id=row.id,
        content=DropContent(row.text, MediaKind(row.media), row.source, buttons),
        audience=Audience.parse(row.audience),
        status=DropStatus(row.status),
        created_at=row.created_at,
        paid=row.paid,
        started_at=row.started_at,
        finished_at=row.finished_at,
        reason=row.reason,
        progress_messages={int(k): int(v) for k, v in json.loads(row.progress).items()},
    )


class SqlDropRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._s = session

    async def create(
        self, content: DropContent, audience: Audience, paid: bool, now: datetime
    ) -> int:
        row = DropRow(
            text=content.text,
            media=content.media.value,
            source=content.source,
            buttons=json.dumps([[b.kind.value, b.target] for b in content.buttons]),
            audience=str(audience),
            paid=paid,
            created_at=now,
        )
        self._s.add(row)
        await self._s.flush()
        assert row.id is not None
        return row.id

    async def _row(self, drop_id: int) -> DropRow | None:
        return await self._s.scalar(
            select(DropRow).where(DropRow.id == drop_id).execution_options(populate_existing=True)
        )

    async def get(self, drop_id: int) -> Drop | None:
        row = await self._row(drop_id)
        return _drop(row) if row is not None else None

    async def recent(self, limit: int) -> list[Drop]:
        rows = (
            await self._s.execute(select(DropRow).order_by(col(DropRow.id).desc()).limit(limit))
        ).scalars()
        return [_drop(r) for r in rows]

    async def recipients(self, audience: Audience, now: datetime) -> list[int]:
        if audience.kind is AudienceKind.CHATS:
            return sorted({int(v) for v in audience.values})
        willing = select(_U.id).where(_U.drops_off.is_(False), _U.blocked.is_(False))
        if audience.kind is AudienceKind.LANG:
            language = func.substr(func.coalesce(_U.locale, _U.language_code, ""), 1, 2)
            willing = willing.where(language.in_(audience.values))
        elif audience.kind is AudienceKind.TAG:
            tagged = or_(
                *(
                    func.lower("," + ProductRow.tags + ",").like(f"%,{tag.lower()},%")
                    for tag in audience.values
                )
            )
            bought = (
                select(OrderRow.user_id)
                .join(OrderLineRow, col(OrderLineRow.order_id) == OrderRow.id)
                .join(ProductRow, col(ProductRow.id) == OrderLineRow.product_id)
                .where(col(OrderRow.status).in_([s.value for s in MONEY_TAKEN]), tagged)
            )
            carted = (
                select(CartLineRow.user_id)
                .join(VariantRow, col(VariantRow.id) == CartLineRow.variant_id)
                .join(ProductRow, col(ProductRow.id) == VariantRow.product_id)
                .where(tagged)
            )
            willing = willing.where(_U.id.in_(bought.union(carted)))
        elif audience.kind is AudienceKind.INTEREST:
            willing = willing.where(_U.id.in_(interested_in(audience.values, now)))
        rows = await self._s.execute(willing.order_by(_U.id))
        return [int(r[0]) for r in rows]

    async def audience_size(self, audience: Audience, now: datetime) -> int:
        return len(await self.recipients(audience, now))

    async def fan_out(
        self,
        drop_id: int,
        audience: Audience,
        per_day: int,
        now: datetime,
        plan: Mapping[int, tuple[DeliveryStatus, datetime]] | None = None,
    ) -> int:
        recipients = await self.recipients(audience, now)
        plan = plan or {}
        capped: set[int] = set()
        if per_day > 0 and audience.kind is not AudienceKind.CHATS:
            rows = await self._s.execute(
                select(_D.chat_id)
                .where(
                    _D.status == DeliveryStatus.SENT.value, _D.sent_at > now - timedelta(days=1)
                )
                .group_by(_D.chat_id)
                .having(func.count() >= per_day)
            )
            capped = {int(r[0]) for r in rows}
        for start in range(0, len(recipients), _CHUNK):
            chunk = recipients[start : start + _CHUNK]
            values = [
                {
                    "drop_id": drop_id,
                    "chat_id": chat,
                    "status": (
                        DeliveryStatus.CAPPED
                        if chat in capped
                        else plan.get(chat, (DeliveryStatus.PENDING, now))[0]
                    ).value,
                    "next_at": plan.get(chat, (DeliveryStatus.PENDING, now))[1],
                    "attempts": 0,
                }
                for chat in chunk
            ]
            stmt = dialect_insert(self._s, DropDeliveryRow).values(values)
            await self._s.execute(
                stmt.on_conflict_do_nothing(index_elements=["drop_id", "chat_id"])
            )
        return len(recipients)

    async def start(self, drop_id: int, now: datetime) -> bool:
        result = await self._s.execute(
            update(DropRow)
            .where(col(DropRow.id) == drop_id, col(DropRow.status) == DropStatus.DRAFT.value)
            .values(status=DropStatus.SENDING.value, started_at=now)
        )
        return bool(rowcount(result))

    async def sending(self) -> list[int]:
        rows = await self._s.execute(
            select(DropRow.id).where(DropRow.status == DropStatus.SENDING.value)
        )
        return [int(r[0]) for r in rows]

    async def take_runner(self, drop_id: int, runner: str, now: datetime, until: datetime) -> bool:
        sending = select(DropRow.id).where(DropRow.status == DropStatus.SENDING.value)
        if self._s.get_bind().dialect.name == "postgresql":
            # Lease takers queue up here (SQLite has one writer anyway), so the check below
            # sees a lease another process has just taken.
            await self._s.execute(sending.order_by(col(DropRow.id)).with_for_update())
        other = await self._s.scalar(
            select(func.count())
            .select_from(DropRow)
            .where(
                col(DropRow.runner).is_not(None),
                DropRow.runner != runner,
                col(DropRow.runner_until) >= now,
                DropRow.status == DropStatus.SENDING.value,
            )
        )
        if other:
            return False
        result = await self._s.execute(
            update(DropRow)
            .where(
                col(DropRow.id) == drop_id,
                or_(
                    col(DropRow.runner).is_(None),
                    DropRow.runner == runner,
                    col(DropRow.runner_until) < now,
                ),
            )
            .values(runner=runner, runner_until=until)
        )
        return bool(rowcount(result))

    async def release_runner(self, drop_id: int, runner: str) -> None:
        await self._s.execute(
            update(DropRow)
            .where(col(DropRow.id) == drop_id, col(DropRow.runner) == runner)
            .values(runner=None, runner_until=None)
        )

    async def claim(
        self, drop_id: int, now: datetime, limit: int, lease_until: datetime
    ) -> list[Delivery]:
        due = (
            select(_D.id)
            .where(
                _D.drop_id == drop_id,
                _D.status == DeliveryStatus.PENDING.value,
                _D.next_at <= now,
            )
            .order_by(_D.id)
            .limit(limit)
        )
        ids: ScalarSelect[int] | list[int] = due.scalar_subquery()
        if self._s.get_bind().dialect.name == "postgresql":
            # Locked and read first: PostgreSQL may run a LIMIT ... SKIP LOCKED subquery of an
            # UPDATE once per row, and then claims far more than ``limit`` rows.
            ids = list((await self._s.execute(due.with_for_update(skip_locked=True))).scalars())
        rows = await self._s.execute(
            update(table_of(DropDeliveryRow))
            .where(_D.id.in_(ids), _D.status == DeliveryStatus.PENDING.value)
            .values(status=DeliveryStatus.SENDING.value, lease_until=lease_until)
            .returning(_D.id, _D.chat_id, _D.attempts)
        )
        claimed = [Delivery(int(r[0]), drop_id, int(r[1]), int(r[2])) for r in rows]
        return sorted(claimed, key=lambda d: d.id)

    async def lapse(self, drop_id: int, now: datetime) -> int:
        result = await self._s.execute(
            update(table_of(DropDeliveryRow))
            .where(
                _D.drop_id == drop_id,
                _D.status == DeliveryStatus.SENDING.value,
                _D.lease_until < now,
            )
            .values(status=DeliveryStatus.UNCONFIRMED.value, lease_until=None)
        )
        return int(rowcount(result))

    async def renew(self, delivery_ids: list[int], lease_until: datetime) -> None:
        for start in range(0, len(delivery_ids), _CHUNK):
            await self._s.execute(
                update(table_of(DropDeliveryRow))
                .where(
                    _D.id.in_(delivery_ids[start : start + _CHUNK]),
                    _D.status == DeliveryStatus.SENDING.value,
                )
                .values(lease_until=lease_until)
            )

    async def record(self, results: list[DeliveryResult], now: datetime) -> None:
        final: dict[tuple[str, str | None], list[int]] = defaultdict(list)
        for result in results:
            if result.status in (DeliveryStatus.PENDING, DeliveryStatus.HELD):
                await self._s.execute(
                    update(table_of(DropDeliveryRow))
                    .where(_D.id == result.delivery_id, _D.status == DeliveryStatus.SENDING.value)
                    .values(
                        status=result.status.value,
                        next_at=result.next_at or now,
                        attempts=_D.attempts + (1 if result.counted else 0),
                        lease_until=None,
                        error=(result.error or "")[:300] or None,
                    )
                )
            else:
                final[(result.status.value, result.error)].append(result.delivery_id)
        for (status, error), ids in final.items():
            values: dict[str, object] = {"status": status, "lease_until": None}
            if status == DeliveryStatus.SENT.value:
                values["sent_at"] = now
            if error:
                values["error"] = error[:300]
            for start in range(0, len(ids), _CHUNK):
                await self._s.execute(
                    update(table_of(DropDeliveryRow))
                    .where(
                        _D.id.in_(ids[start : start + _CHUNK]),
                        _D.status == DeliveryStatus.SENDING.value,
                    )
                    .values(**values)
                )

    async def progress(self, drop_id: int) -> Progress:
        rows = await self._s.execute(
            select(_D.status, func.count()).where(_D.drop_id == drop_id).group_by(_D.status)
        )
        counts = {str(status): int(n) for status, n in rows}
        return Progress(
            total=sum(counts.values()),
            sent=counts.get(DeliveryStatus.SENT.value, 0),
            failed=sum(counts.get(s, 0) for s in _FAILED),
            pending=counts.get(DeliveryStatus.PENDING.value, 0)
            + counts.get(DeliveryStatus.SENDING.value, 0),
            unconfirmed=counts.get(DeliveryStatus.UNCONFIRMED.value, 0),
            held=counts.get(DeliveryStatus.HELD.value, 0),
            skipped=sum(counts.get(s, 0) for s in _SKIPPED),
        )

    async def held_due(self, now: datetime) -> list[int]:
        rows = await self._s.execute(
            select(_D.drop_id)
            .where(_D.status == DeliveryStatus.HELD.value, _D.next_at <= now)
            .group_by(_D.drop_id)
            .order_by(_D.drop_id)
        )
        return [int(r[0]) for r in rows]

    async def release_held(self, drop_id: int, now: datetime, relevant: bool) -> int:
        status = DeliveryStatus.PENDING if relevant else DeliveryStatus.STALE
        result = await self._s.execute(
            update(table_of(DropDeliveryRow))
            .where(
                _D.drop_id == drop_id,
                _D.status == DeliveryStatus.HELD.value,
                _D.next_at <= now,
            )
            .values(status=status.value, next_at=now)
        )
        return int(rowcount(result))

    async def reopen(self, drop_id: int) -> bool:
        result = await self._s.execute(
            update(DropRow)
            .where(col(DropRow.id) == drop_id, col(DropRow.status) == DropStatus.DONE.value)
            .values(status=DropStatus.SENDING.value, finished_at=None)
        )
        return bool(rowcount(result))

    async def finish(
        self, drop_id: int, status: DropStatus, now: datetime, reason: str | None = None
    ) -> bool:
        result = await self._s.execute(
            update(DropRow)
            .where(col(DropRow.id) == drop_id, col(DropRow.status) == DropStatus.SENDING.value)
            .values(status=status.value, finished_at=now, reason=reason)
        )
        return bool(rowcount(result))

    async def set_source(self, drop_id: int, file_id: str) -> None:
        await self._s.execute(
            update(DropRow).where(col(DropRow.id) == drop_id).values(source=file_id)
        )

    async def set_progress_message(self, drop_id: int, chat_id: int, message_id: int) -> None:
        row = await self._row(drop_id)
        if row is None:
            return
        progress = json.loads(row.progress)
        progress[str(chat_id)] = message_id
        await self._s.execute(
            update(DropRow).where(col(DropRow.id) == drop_id).values(progress=json.dumps(progress))
        )

    async def stop_drops(self, user_id: int, stop: bool) -> None:
        await self._s.execute(
            update(table_of(UserRow))
            .where(_U.id == user_id)
            .values(drops_off=stop, **({} if stop else {"blocked": False}))
        )

    async def mark_blocked(self, chat_ids: list[int]) -> None:
        if chat_ids:
            await self._s.execute(
                update(table_of(UserRow)).where(_U.id.in_(chat_ids)).values(blocked=True)
            )
