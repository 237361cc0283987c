"""Group buys (team purchase): a cheaper price that unlocks only when enough people join
before a deadline.

A merchant makes a variant group-buyable (``GroupDeal``); a leader opens a ``Team`` for it;
members take seats by paying the group price. Seats are counted by the database (``taken`` for
seats held by a payment sheet or paid, ``paid`` for seats paid), so a team never over-fills.
The team ends exactly once: ``filled`` when the last seat is paid, ``expired`` when the
deadline passes first, and every member's money is then captured or given back.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from bot.domain.coupons import percent_of
from bot.domain.money import Money

MIN_TEAM = 2
MAX_TEAM = 100
MIN_LIMIT = timedelta(minutes=5)
MAX_LIMIT = timedelta(days=7)
MAX_COMMISSION_PERCENT = 50


class DealError(ValueError):
    """A group deal a merchant described makes no sense (said back to them as is)."""


@dataclass(frozen=True, slots=True)
class GroupDeal:
    """What a merchant set for one variant: the group price and the team's rules."""

    variant_id: int
    price: Money
    team_size: int
    time_limit: timedelta
    max_teams: int | None = None
    commission_percent: int = 0
    active: bool = True

    def __post_init__(self) -> None:
        if not MIN_TEAM <= self.team_size <= MAX_TEAM:
            raise DealError(f"a team has {MIN_TEAM} to {MAX_TEAM} members")
        if not MIN_LIMIT <= self.time_limit <= MAX_LIMIT:
            raise DealError("the time limit is between 5 minutes and 7 days")
        if self.price.amount <= 0:
            raise DealError("the group price must be above zero")
        if not 0 <= self.commission_percent <= MAX_COMMISSION_PERCENT:
            raise DealError(f"the commission is 0 to {MAX_COMMISSION_PERCENT} percent")
        if self.max_teams is not None and self.max_teams < 1:
            raise DealError("max teams is at least 1 (or unset)")


class TeamStatus(StrEnum):
    OPEN = "open"
    FILLED = "filled"  # every seat paid before the deadline: orders confirmed
    EXPIRED = "expired"  # the deadline passed first: every member's money goes back


@dataclass(frozen=True, slots=True)
class PickupPoint:
    """Where a leader hands out parcels, and for how long after the team fills."""

    name: str
    address: str
    hours: int = 72


@dataclass(frozen=True, slots=True)
class Team:
    id: int
    variant_id: int
    product_id: int
    leader_id: int
    status: TeamStatus
    size: int
    #: Seats held by a payment sheet or paid (never above ``size``: one conditional UPDATE).
    taken: int
    paid: int
    price: Money
    regular_price: Money
    commission_percent: int
    deadline: datetime
    created_at: datetime
    name: str = ""
    pickup: PickupPoint | None = None
    settled_at: datetime | None = None
    #: The group chat message that shows the team's progress (edited in place).
    board_chat_id: int | None = None
    board_message_id: int | None = None

    @property
    def seats_left(self) -> int:
        return max(self.size - self.paid, 0)

    def remaining(self, now: datetime) -> timedelta:
        return max(self.deadline - now, timedelta(0))

    def is_open(self, now: datetime) -> bool:
        return self.status is TeamStatus.OPEN and now < self.deadline

    @property
    def pickup_until(self) -> datetime | None:
        if self.pickup is None or self.settled_at is None:
            return None
        return self.settled_at + timedelta(hours=self.pickup.hours)


class JoinRefusal(StrEnum):
    NOT_FOUND = "not_found"  # no such team (a forged or mistyped id)
    FULL = "full"  # every seat is taken (some may still be paying)
    EXPIRED = "expired"  # the deadline passed
    SETTLED = "settled"  # already complete
    ALREADY_MEMBER = "already_member"


def join_refusal(team: Team | None, now: datetime, has_seat: bool) -> JoinRefusal | None:
    """Why this person cannot take a seat now, or None."""
    if team is None:
        return JoinRefusal.NOT_FOUND
    if has_seat:
        return JoinRefusal.ALREADY_MEMBER
    if team.status is TeamStatus.FILLED:
        return JoinRefusal.SETTLED
    if team.status is TeamStatus.EXPIRED or now >= team.deadline:
        return JoinRefusal.EXPIRED
    if team.taken >= team.size:
        return JoinRefusal.FULL
    return None


def commission(goods: Money, percent: int) -> Money:
    """The leader's share of one member's goods (not shipping), rounded half up once."""
    return percent_of(goods, percent)


def countdown(left: timedelta) -> tuple[int, int, int]:
    """(days, hours, minutes) left, minutes rounded up so "0 min" means really over."""
    minutes = -(-int(left.total_seconds()) // 60)
    days, rest = divmod(max(minutes, 0), 24 * 60)
    return days, rest // 60, rest % 60


def board_interval(left: timedelta) -> timedelta:
    """How stale a group's progress message may get before the countdown is edited again:
    each minute in the last hour, every 10 minutes before. With Telegram's 20 messages a minute
    per group, a group can show many teams at once without being throttled."""
    if left <= timedelta(hours=1):
        return timedelta(minutes=1)
    return timedelta(minutes=10)
