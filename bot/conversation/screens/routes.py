"""Every screen, imported in one place: each registers its buttons, commands, deep links and
typed steps (``bot.conversation.dispatch``) on import. A new screen module is added here."""

from __future__ import annotations

from bot.conversation.screens import (  # noqa: F401
    admin,
    alerts,
    browse,
    cart,
    cash,
    checkout,
    cod,
    coupon_entry,
    creators,
    flash_sales,
    general,
    group_buys,
    invites,
    live,
    orders,
    payment,
    privacy,
    recs,
    reviews,
    sharing,
    support,
    support_staff,
)
