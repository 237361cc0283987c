"""Buyer invites: a friend brings a friend, and both get a coupon once the friend's first order
is paid and past its return window.

An invite is accepted only by someone new to the shop (no paid order yet) who has no inviter
yet, and never from one's own link. The reward is given once per invite, keyed by the friend's
order, and at most ``MAX_REWARDS`` times per inviter; a friend's order paid with a charge the
inviter already used (the same person paying from two accounts) rewards nobody.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

LINK = re.compile(r"^f_([A-Za-z0-9]{6,16})$")
#: How many friends earn an inviter a coupon.
MAX_REWARDS = 10
#: The reward coupon: this percent off one order, valid this long after it is given.
REWARD_PERCENT = 10
REWARD_VALID = timedelta(days=30)


class InviteStatus(StrEnum):
    PENDING = "pending"  # the friend has not paid a first order yet (or it is in its window)
    REWARDED = "rewarded"  # both got their coupon
    REFUSED = "refused"  # the first order was refunded, or an abuse check failed


class InviteRefusal(StrEnum):
    UNKNOWN = "unknown"  # no such invite code
    OWN_LINK = "own_link"
    NOT_NEW = "not_new"  # the friend already bought here before
    ALREADY_INVITED = "already_invited"  # someone else's invite was accepted first


def invite_refusal(
    inviter: int | None, invitee: int, has_paid_order: bool, has_inviter: bool
) -> InviteRefusal | None:
    if inviter is None:
        return InviteRefusal.UNKNOWN
    if inviter == invitee:
        return InviteRefusal.OWN_LINK
    if has_inviter:
        return InviteRefusal.ALREADY_INVITED
    if has_paid_order:
        return InviteRefusal.NOT_NEW
    return None


class RewardRefusal(StrEnum):
    SAME_CHARGE = "same_charge"  # the friend's payment is one the inviter made
    CAP = "cap"  # the inviter has had MAX_REWARDS rewards: only the friend gets a coupon


@dataclass(frozen=True, slots=True)
class Invite:
    invitee_id: int
    inviter_id: int
    status: InviteStatus
    created_at: datetime
    order_id: int | None = None
