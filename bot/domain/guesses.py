"""Guessing limits: how many wrong codes a buyer may type or open before a cool-down.

Codes are secrets of a kind: a coupon code, a friend's invite code, a creator's code, the id in a
group-buy, flash-sale or order link. Guessing them at full speed would find the ones that work;
so a buyer gets at most ``limit`` wrong ones in any ``window`` (a sliding window). Once they
are used up, every code the buyer sends is refused *without being looked up* (a right one
too) until the oldest of those wrong attempts is older than the window. A right code never
counts, and neither does text that cannot be a code at all (it is never looked up).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

DEFAULT_LIMIT = 10
DEFAULT_WINDOW = timedelta(minutes=10)
#: The longest window a shop may configure; older wrong attempts are pruned.
MAX_WINDOW = timedelta(days=1)


class CodeKind(StrEnum):
    """What a wrong attempt tried to open (kept with the attempt, for the merchant's logs)."""

    COUPON = "coupon"  # typed at checkout, /coupon CODE, a c_CODE link
    TEAM = "team"  # a group buy's g_<id> link
    SALE = "sale"  # a flash sale's s_<id> link
    ORDER = "order"  # an o_<id> link to an order that is not the buyer's
    INVITE = "invite"  # a friend's f_<code> link
    CREATOR = "creator"  # a creator's k_<CODE> link
    CREATOR_INVITE = "creator_invite"  # a merchant's ki_<token> invitation


@dataclass(frozen=True, slots=True)
class GuessLimit:
    """At most ``limit`` wrong codes per buyer in any ``window``; ``limit`` 0 turns it off."""

    limit: int = DEFAULT_LIMIT
    window: timedelta = DEFAULT_WINDOW

    def __post_init__(self) -> None:
        if self.limit < 0:
            raise ValueError("the guess limit is 0 (off) or more")
        if not timedelta(0) < self.window <= MAX_WINDOW:
            raise ValueError("the guess window is more than 0 and at most a day")

    @property
    def off(self) -> bool:
        return self.limit == 0

    def since(self, now: datetime) -> datetime:
        """Wrong attempts after this moment count."""
        return now - self.window

    def open_again_at(self, recent: Sequence[datetime], now: datetime) -> datetime | None:
        """When the buyer may try a code again, or None if they may now.

        ``recent``: the times of their newest wrong attempts (at least ``limit`` of them if
        there are that many), in any order. The ``limit``-th newest one inside the window
        decides: once it leaves the window, fewer than ``limit`` are left in it."""
        if self.off:
            return None
        counted = sorted((at for at in recent if at > self.since(now)), reverse=True)
        if len(counted) < self.limit:
            return None
        return counted[self.limit - 1] + self.window
