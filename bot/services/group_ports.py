"""The port for group buys: deals, teams, seats, leaders and the leaders' commission ledger.

``storage`` implements every seat and team change as one conditional statement, so the last
seat raced by many joiners goes to one of them, and a deadline and the last payment racing
for one team settle it once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from bot.domain.group_buys import GroupDeal, PickupPoint, Team
from bot.domain.money import Money


@dataclass(frozen=True, slots=True)
class NewTeam:
    variant_id: int
    product_id: int
    leader_id: int
    size: int
    price: Money
    regular_price: Money
    commission_percent: int
    deadline: datetime
    name: str
    pickup: PickupPoint | None = None


@dataclass(frozen=True, slots=True)
class Seat:
    team_id: int
    user_id: int
    order_id: int
    #: held (a payment sheet is open) or paid.
    status: str
    #: 1, 2, ... in the order the seats were paid (0 while held).
    number: int = 0


@dataclass(frozen=True, slots=True)
class CommissionEntry:
    id: int
    leader_id: int
    team_id: int
    order_id: int
    amount: Money
    created_at: datetime


class GroupBuyRepository(Protocol):
    async def deal(self, variant_id: int) -> GroupDeal | None: ...
    async def deals_for_product(self, product_id: int) -> list[GroupDeal]: ...
    async def set_deal(self, deal: GroupDeal) -> None: ...
    async def all_deals(self) -> list[GroupDeal]: ...
    async def open_teams(self, variant_id: int, now: datetime) -> int: ...
    async def create_team(self, new: NewTeam, now: datetime) -> Team: ...
    async def team(self, team_id: int) -> Team | None: ...
    async def seat_of(self, team_id: int, user_id: int) -> Seat | None: ...
    async def seats(self, team_id: int) -> list[Seat]: ...
    async def take_seat(self, team_id: int, user_id: int, order_id: int, now: datetime) -> bool:
        """Hold a seat: one conditional UPDATE (open, before the deadline, ``taken < size``)
        and the seat row (one per person and team); both or neither."""
        ...

    async def release_seat(self, team_id: int, order_id: int) -> bool:
        """Give an open team's seat back (a hold lapsed, a member cancelled)."""
        ...

    async def pay_seat(self, team_id: int, order_id: int) -> int | None:
        """Mark the held seat paid; its number (1, 2, ...), or None if it holds no seat."""
        ...

    async def fill(self, team_id: int, now: datetime) -> bool:
        """Open -> filled when every seat is paid; True for the one caller that did it."""
        ...

    async def due(self, now: datetime, limit: int) -> list[int]:
        """Open teams whose deadline has passed."""
        ...

    async def expire(self, team_id: int, now: datetime) -> bool:
        """Open -> expired after the deadline; True for the one caller that did it."""
        ...

    async def set_board(
        self, team_id: int, chat_id: int, message_id: int, now: datetime
    ) -> None: ...

    async def boards_due(self, now: datetime, limit: int) -> list[Team]:
        """Teams whose group progress message is stale (changed, or the countdown moved)."""
        ...

    async def board_edited(self, team_id: int, now: datetime) -> None: ...
    async def drop_board(self, team_id: int) -> None:
        """The progress message is gone (deleted, the bot removed): stop editing it."""
        ...

    async def is_leader(self, user_id: int) -> bool: ...
    async def leader_pickup(self, user_id: int) -> PickupPoint | None: ...
    async def set_leader(self, user_id: int, pickup: PickupPoint | None) -> None: ...
    async def remove_leader(self, user_id: int) -> bool: ...
    async def leaders(self) -> list[tuple[int, PickupPoint | None]]: ...
    async def teams_led(self, leader_id: int, limit: int) -> list[Team]: ...
    async def add_commission(
        self, leader_id: int, team_id: int, order_id: int, amount: Money, now: datetime
    ) -> None: ...
    async def commission_of(self, order_id: int) -> Money | None:
        """What the leader has earned (net of reversals) on one member's order."""
        ...

    async def ledger(self, leader_id: int, limit: int) -> list[CommissionEntry]: ...
    async def ledger_totals(self, leader_id: int) -> list[Money]: ...
