"""Interest signals: what a buyer did with a product, the recommender's only input."""

from __future__ import annotations

from enum import StrEnum


class InteractionKind(StrEnum):
    VIEW = "view"  # a teaser card was shown to the buyer
    ADD = "add"  # put in the cart
    PURCHASE = "purchase"  # paid for
    SHARE = "share"  # posted to a chat through inline mode
