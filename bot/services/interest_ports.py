"""Ports of interest recommendations: recording interactions and reading them back."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from bot.domain.interests import InteractionKind


class InterestRepository(Protocol):
    async def record(
        self, user_id: int, product_ids: list[int], kind: InteractionKind, now: datetime
    ) -> None:
        """One interaction per product (views of the same card within a short while count once)."""
        ...
