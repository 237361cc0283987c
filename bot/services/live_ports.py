"""The port for live selling: one show per chat (the pinned card and what it features)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol


@dataclass(frozen=True, slots=True)
class LiveShow:
    chat_id: int
    #: The pinned card, edited in place when the featured product changes.
    message_id: int
    product_id: int
    started_by: int
    started_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class ProductMatch:
    """What a typed product id or SKU names, archived or not."""

    product_id: int
    active: bool


class LiveRepository(Protocol):
    async def show(self, chat_id: int) -> LiveShow | None: ...
    async def shows(self) -> list[LiveShow]: ...
    async def start(
        self, chat_id: int, message_id: int, product_id: int, by: int, now: datetime
    ) -> None:
        """The show in ``chat_id`` is on, its card pinned (replaces a show left behind)."""
        ...

    async def swap(self, chat_id: int, message_id: int, product_id: int, now: datetime) -> bool:
        """The card now features ``product_id`` (and is ``message_id``); False if no show."""
        ...

    async def end(self, chat_id: int) -> bool: ...
    async def find_product(self, ref: str) -> ProductMatch | None:
        """A product by id (digits) or by one of its variants' SKU, archived ones too."""
        ...
