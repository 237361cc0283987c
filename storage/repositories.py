"""Repositories for buyers, carts, handled updates, searches and UI state.

Writes that race (two "+1" presses, a redelivered update) are single conditional statements, so
the database, not a read-then-write in Python, keeps them right.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime

from sqlalchemy import case, delete, func, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from bot.domain.cart import CartLine
from bot.services.ports import BuyerProfile, StoredCartLine, UiState
from storage.catalog_repository import to_variant
from storage.read_cache import RecentBuyers
from storage.tables import (
    CartLineRow,
    ConversationStateRow,
    ProcessedUpdateRow,
    ProductRow,
    SearchRow,
    UserRow,
    VariantRow,
)
from storage.types import rowcount, table_of


def dialect_insert(session: AsyncSession, table: type) -> postgresql.Insert | sqlite.Insert:
    """An INSERT that knows ``ON CONFLICT`` on both SQLite and PostgreSQL."""
    if session.get_bind().dialect.name == "postgresql":
        return postgresql.insert(table)
    return sqlite.insert(table)


class SqlCartRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._s = session

    async def lines(self, user_id: int) -> list[tuple[int, CartLine]]:
        rows = await self._s.execute(
            select(CartLineRow, VariantRow, ProductRow.name)
            .join(VariantRow, col(VariantRow.id) == CartLineRow.variant_id)
            .join(ProductRow, col(ProductRow.id) == VariantRow.product_id)
            .where(CartLineRow.user_id == user_id)
            .order_by(col(CartLineRow.added_at), col(CartLineRow.id))
        )
        out = []
        for line, variant, product_name in rows.all():
            assert line.id is not None
            out.append((line.id, CartLine(to_variant(variant), product_name, line.quantity)))
        return out

    async def line(self, line_id: int) -> StoredCartLine | None:
        row = await self._s.get(CartLineRow, line_id)
        if row is None or row.id is None:
            return None
        return StoredCartLine(row.id, row.user_id, row.variant_id, row.quantity)

    async def quantity(self, user_id: int, variant_id: int) -> int:
        value = await self._s.scalar(
            select(CartLineRow.quantity).where(
                CartLineRow.user_id == user_id, CartLineRow.variant_id == variant_id
            )
        )
        return int(value or 0)

    async def add(self, user_id: int, variant_id: int, delta: int, cap: int, now: datetime) -> int:
        table = table_of(CartLineRow)
        first = dialect_insert(self._s, CartLineRow).values(
            user_id=user_id,
            variant_id=variant_id,
            quantity=min(delta, cap),
            added_at=now,
            updated_at=now,
        )
        stmt = first.on_conflict_do_update(
            index_elements=["user_id", "variant_id"],
            set_={
                "quantity": case(
                    (table.c.quantity + delta > cap, cap), else_=table.c.quantity + delta
                ),
                "updated_at": now,
            },
        ).returning(table.c.quantity)
        return int((await self._s.execute(stmt)).scalar_one())

    async def set_quantity(self, line_id: int, quantity: int, now: datetime) -> None:
        await self._s.execute(
            update(CartLineRow)
            .where(col(CartLineRow.id) == line_id)
            .values(quantity=quantity, updated_at=now)
        )

    async def remove(self, line_id: int) -> None:
        await self._s.execute(delete(CartLineRow).where(col(CartLineRow.id) == line_id))

    async def clear(self, user_id: int) -> int:
        result = await self._s.execute(
            delete(CartLineRow).where(col(CartLineRow.user_id) == user_id)
        )
        return int(rowcount(result) or 0)


class SqlBuyerRepository:
    def __init__(
        self,
        session: AsyncSession,
        recent: RecentBuyers | None = None,
        after_commit: list[Callable[[], None]] | None = None,
    ) -> None:
        self._s = session
        self._recent = recent or RecentBuyers(ttl=0)
        self._after_commit = after_commit if after_commit is not None else []

    async def touch(
        self,
        user_id: int,
        first_name: str,
        username: str | None,
        language_code: str | None,
        now: datetime,
    ) -> BuyerProfile:
        """Create or refresh the buyer's row; skipped when this process wrote it moments ago."""
        seen = (first_name[:128], username, language_code)
        cached: BuyerProfile | None = self._recent.get(user_id, seen)
        if cached is not None:
            return cached
        first = dialect_insert(self._s, UserRow).values(
            id=user_id,
            first_name=first_name[:128],
            username=username,
            language_code=language_code,
            created_at=now,
            last_seen_at=now,
        )
        stmt = first.on_conflict_do_update(
            index_elements=["id"],
            set_={
                "first_name": first_name[:128],
                "username": username,
                "language_code": language_code,
                "last_seen_at": now,
            },
        ).returning(col(UserRow.locale))
        locale = (await self._s.execute(stmt)).scalar_one()
        profile = BuyerProfile(user_id, first_name, language_code, locale, username)
        # Only once committed: a rolled-back first contact must be written again next time.
        self._after_commit.append(lambda: self._recent.put(user_id, seen, profile))
        return profile

    async def profile(self, user_id: int) -> BuyerProfile | None:
        row = await self._s.get(UserRow, user_id)
        if row is None:
            return None
        return BuyerProfile(row.id, row.first_name, row.language_code, row.locale, row.username)

    async def set_locale(self, user_id: int, locale: str) -> None:
        await self._s.execute(
            update(UserRow).where(col(UserRow.id) == user_id).values(locale=locale)
        )
        self._recent.forget(user_id)


class SqlUpdateLog:
    def __init__(self, session: AsyncSession) -> None:
        self._s = session

    async def claim(self, update_id: int, now: datetime) -> bool:
        stmt = (
            dialect_insert(self._s, ProcessedUpdateRow)
            .values(update_id=update_id, processed_at=now)
            .on_conflict_do_nothing(index_elements=["update_id"])
        )
        result = await self._s.execute(stmt)
        return bool(rowcount(result))

    async def forget_before(self, cutoff: datetime) -> int:
        result = await self._s.execute(
            delete(ProcessedUpdateRow).where(col(ProcessedUpdateRow.processed_at) < cutoff)
        )
        return int(rowcount(result) or 0)


class SqlSearchLog:
    def __init__(self, session: AsyncSession) -> None:
        self._s = session

    async def save(self, user_id: int, query: str, now: datetime) -> int:
        row = SearchRow(user_id=user_id, query=query[:256], created_at=now)
        self._s.add(row)
        await self._s.flush()
        assert row.id is not None
        return row.id

    async def get(self, search_id: int) -> tuple[int, str] | None:
        row = await self._s.get(SearchRow, search_id)
        return (row.user_id, row.query) if row else None


class SqlUiStateStore:
    def __init__(self, session: AsyncSession) -> None:
        self._s = session

    async def get(self, user_id: int, chat_id: int) -> UiState | None:
        row = await self._s.get(ConversationStateRow, (user_id, chat_id))
        return UiState(row.state, json.loads(row.data)) if row else None

    async def set(self, user_id: int, chat_id: int, state: UiState, now: datetime) -> None:
        stmt = dialect_insert(self._s, ConversationStateRow).values(
            user_id=user_id,
            chat_id=chat_id,
            state=state.state,
            data=json.dumps(state.data),
            updated_at=now,
        )
        stmt = stmt.on_conflict_do_update(
            index_elements=["user_id", "chat_id"],
            set_={"state": state.state, "data": json.dumps(state.data), "updated_at": now},
        )
        await self._s.execute(stmt)

    async def clear(self, user_id: int, chat_id: int) -> None:
        await self._s.execute(
            delete(ConversationStateRow).where(
                col(ConversationStateRow.user_id) == user_id,
                col(ConversationStateRow.chat_id) == chat_id,
            )
        )


async def count_rows(session: AsyncSession, table: type) -> int:
    return int(await session.scalar(select(func.count()).select_from(table)) or 0)
