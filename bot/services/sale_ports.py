"""The port for flash sales: sales, claims (reservations), per-buyer counts and watchers.

``storage`` takes a claim in single conditional writes (the sale's ``claimed < stock``, the
buyer's ``count < per_buyer``, the variant's ``stock >= 1``), all or none, so 10,000 buyers
racing for 100 units get exactly 100 reservations.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from bot.domain.flash_sales import FlashSale, PostPhase, SalePost
from bot.domain.money import Money


@dataclass(frozen=True, slots=True)
class NewSale:
    variant_id: int
    product_id: int
    name: str
    price: Money
    regular_price: Money
    stock: int
    per_buyer: int
    starts_at: datetime
    ends_at: datetime


@dataclass(frozen=True, slots=True)
class Claim:
    id: int
    sale_id: int
    user_id: int
    #: reserved (waiting for payment), paid, expired (window passed) or cancelled.
    status: str
    expires_at: datetime
    order_id: int | None = None


class SaleRepository(Protocol):
    async def create(self, new: NewSale, now: datetime) -> FlashSale: ...
    async def sale(self, sale_id: int) -> FlashSale | None: ...
    async def current_for_product(self, product_id: int, now: datetime) -> FlashSale | None:
        """The upcoming or live sale a product's card shows (read through a short cache)."""
        ...

    async def recent(self, limit: int) -> list[FlashSale]: ...
    async def set_stock(self, sale_id: int, stock: int) -> bool: ...
    async def stop(self, sale_id: int) -> bool: ...
    async def claim(
        self, sale_id: int, user_id: int, now: datetime, until: datetime
    ) -> int | None:
        """Reserve one unit; the claim id, or None when the sale is not live, sold out, or the
        buyer reached the limit (nothing changed then)."""
        ...

    async def buyer_count(self, sale_id: int, user_id: int) -> int: ...
    async def claim_of(self, claim_id: int) -> Claim | None: ...
    async def attach_order(self, claim_id: int, order_id: int) -> None: ...
    async def pay(self, claim_id: int) -> bool:
        """reserved -> paid; False if the reservation lapsed (or was paid) meanwhile."""
        ...

    async def retake(self, claim_id: int, now: datetime) -> bool:
        """A lapsed reservation paid after all: take its unit again if one is left."""
        ...

    async def release(self, claim_id: int, status: str, now: datetime) -> bool:
        """reserved or paid -> ``status`` (expired, cancelled), the unit back to the variant
        and the sale, the buyer's count back; False if another caller did it first."""
        ...

    async def due(self, now: datetime, limit: int) -> list[int]: ...
    async def watch(self, sale_id: int, user_id: int, kind: str, now: datetime) -> bool: ...
    async def watchers(self, sale_id: int, kind: str) -> list[int]: ...
    async def take_watchers(self, sale_id: int, kind: str, limit: int) -> list[int]:
        """Watchers of ``kind`` to tell now; each is told once (their watch is used up)."""
        ...

    async def alerts_due(self, now: datetime, lead_seconds: int, limit: int) -> list[int]:
        """Sales whose "starts soon" or "live now" alert has not gone out yet."""
        ...

    async def mark_alert(self, sale_id: int, kind: str) -> bool: ...


class SalePostRepository(Protocol):
    """Sale cards posted in groups and channels, edited as units go and the countdown runs."""

    async def record(
        self, sale_id: int, chat_id: int, message_id: int, shown: SalePostShown, now: datetime
    ) -> None:
        """The card posted in ``chat_id`` (a second post in one chat replaces the first)."""
        ...

    async def candidates(
        self, now: datetime, min_gap: timedelta, limit: int
    ) -> list[tuple[SalePost, FlashSale]]:
        """Open posts not edited for ``min_gap``, oldest edit first, with their sales."""
        ...

    async def shown(self, post_id: int, shown: SalePostShown, now: datetime) -> None: ...
    async def close(self, post_id: int) -> None:
        """No more edits: the sale is over, or the message (or the bot) left the chat."""
        ...


@dataclass(frozen=True, slots=True)
class SalePostShown:
    left: int
    phase: PostPhase


class SoldOutGate(Protocol):
    """Which sales are sold out, kept outside the database and shared by every process on it
    (in process memory for one process, Redis for several), so that once the units are gone
    the losers are refused without a query. It only ever refuses: the units themselves are
    taken by the conditional writes of ``SaleRepository.claim``.

    A sale is shut by a claim that found it sold out in the database, for a short while at
    most (``SOLD_OUT_TTL``): every path that gives units back (a reservation expired or
    cancelled, the merchant's stock, a stopped sale) reopens it after its commit, and the
    time limit covers what cannot tell this gate (another process without Redis, a Redis
    outage). The ticket taken before reading the database makes a shut that raced a reopen a
    no-op, so a unit that came back is not hidden by a claim that saw the sale just before.
    """

    async def check(self, sale_id: int, now: datetime) -> tuple[FlashSale | None, int | None]:
        """The sale as it was found sold out, if it is shut now (refuse without the database);
        otherwise None and the ticket to give ``shut`` (None: this gate cannot shut now)."""
        ...

    async def shut(self, sale: FlashSale, ticket: int | None, now: datetime) -> None:
        """The database says ``sale`` is sold out: refuse its buyers here for a while, unless
        it was reopened since ``ticket`` was taken."""
        ...

    async def reopen(self, sale_ids: Iterable[int]) -> None:
        """Units of these sales came back, or the sales changed: ask the database again (called
        after the commit; never raises)."""
        ...
