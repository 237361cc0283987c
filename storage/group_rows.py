"""Group-buy rows read back as the domain's values: deals, teams, seats and pickup points.

Shared by the group-buy repository (``storage/group_repository.py``), its team boards
(``storage/team_boards.py``) and its leaders' ledger (``storage/group_leaders.py``).
"""

from __future__ import annotations

from datetime import timedelta

from bot.domain.group_buys import GroupDeal, PickupPoint, Team, TeamStatus
from bot.domain.money import Money
from bot.services.group_ports import Seat
from storage.group_tables import GroupDealRow, TeamRow, TeamSeatRow
from storage.types import table_of

TEAM = table_of(TeamRow).c
SEAT = table_of(TeamSeatRow).c


def deal_of(row: GroupDealRow) -> GroupDeal:
    return GroupDeal(
        variant_id=row.variant_id,
        price=Money(row.price_minor, row.currency),
        team_size=row.team_size,
        time_limit=timedelta(minutes=row.limit_minutes),
        max_teams=row.max_teams,
        commission_percent=row.commission_percent,
        active=row.active,
    )


def pickup_of(name: str | None, address: str | None, hours: int | None) -> PickupPoint | None:
    if not name:
        return None
    return PickupPoint(name, address or "", hours or 72)


def team_of(row: TeamRow) -> Team:
    assert row.id is not None
    return Team(
        id=row.id,
        variant_id=row.variant_id,
        product_id=row.product_id,
        leader_id=row.leader_id,
        status=TeamStatus(row.status),
        size=row.size,
        taken=row.taken,
        paid=row.paid,
        price=Money(row.price_minor, row.currency),
        regular_price=Money(row.regular_minor, row.currency),
        commission_percent=row.commission_percent,
        deadline=row.deadline,
        created_at=row.created_at,
        name=row.name,
        pickup=pickup_of(row.pickup_name, row.pickup_address, row.pickup_hours),
        settled_at=row.settled_at,
        board_chat_id=row.board_chat_id,
        board_message_id=row.board_message_id,
    )


def seat_from(row: TeamSeatRow) -> Seat:
    return Seat(row.team_id, row.user_id, row.order_id, row.status, row.number)
