"""Who may do what in the merchant console.

The owners are the shop's ``ADMIN_IDS``; an owner adds staff from the chat. Group-buy leaders
(appointed with ``storefront leaders add`` or by an owner in the console) run their teams and
see their own commission, nothing of the shop. Everyone else is a buyer and is refused.
"""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    OWNER = "owner"
    STAFF = "staff"
    LEADER = "leader"


class Permission(StrEnum):
    CATALOG = "catalog"  # add, edit and archive products
    COUPONS = "coupons"  # create and disable coupons
    PROMOS = "promos"  # flash sales and drops
    ORDERS = "orders"  # list orders, mark shipped
    REFUNDS = "refunds"  # give money back
    STATS = "stats"  # sales figures, charts, the CSV export
    STAFF = "staff"  # add and remove staff, read the audit log
    GROUP_BUYS = "group_buys"  # open group buys, the leader's own ledger
    SUPPORT = "support"  # read and answer buyers' questions ("Ask the shop")


_GRANTS: dict[Role, frozenset[Permission]] = {
    Role.OWNER: frozenset(Permission),
    Role.STAFF: frozenset(
        {
            Permission.CATALOG,
            Permission.COUPONS,
            Permission.PROMOS,
            Permission.ORDERS,
            Permission.STATS,
            Permission.GROUP_BUYS,
            Permission.SUPPORT,
        }
    ),
    Role.LEADER: frozenset({Permission.GROUP_BUYS}),
}


def can(role: Role | None, permission: Permission) -> bool:
    return role is not None and permission in _GRANTS[role]


def console_role(role: Role | None) -> bool:
    """Whether ``/admin`` opens for this role at all (leaders use ``/leader``)."""
    return role in (Role.OWNER, Role.STAFF)
