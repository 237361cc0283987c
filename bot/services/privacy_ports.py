"""The port of a buyer's own data: everything the shop holds about one person, read out, and
erased (what the merchant must keep is anonymised instead)."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from bot.domain.privacy import Hold

#: A JSON-ready record: section name → rows (each a mapping of column → value).
DataRecord = dict[str, list[dict[str, object]]]


class BuyerDataRepository(Protocol):
    async def export(self, user_id: int) -> DataRecord:
        """Every row about ``user_id`` (never another buyer's id or data), by section."""
        ...

    async def holds(self, user_id: int) -> list[Hold]:
        """What still needs the buyer: open orders, reservations, refunds on their way..."""
        ...

    async def erase(self, user_id: int, marker: int, now: datetime) -> dict[str, int]:
        """Delete the buyer's personal rows and put ``marker`` in place of their id in the
        rows the merchant keeps (orders, their lines and amounts; coupon uses; ratings);
        shipping details go; unpaid invoices nothing is held for are cancelled first. How
        many rows each section lost or had anonymised."""
        ...
