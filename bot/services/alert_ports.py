"""The port for the alerts a buyer controls: their choices and the daily count of marketing
messages (taken with one conditional write, so processes never send past the cap)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from bot.domain.alerts import AlertPrefs


@dataclass(frozen=True, slots=True)
class BuyerAlerts:
    prefs: AlertPrefs
    #: The buyer's language (chosen, else Telegram's): the zone's guess when none was chosen.
    language: str | None = None


class AlertRepository(Protocol):
    async def of(self, user_ids: list[int]) -> dict[int, BuyerAlerts]:
        """Each buyer's choices (the defaults for one who never chose); unknown ids are absent
        (a group, a channel)."""
        ...

    async def save(self, user_id: int, prefs: AlertPrefs) -> None: ...
    async def sent_on(self, days: dict[int, str]) -> dict[int, int]:
        """Marketing messages each buyer got on their local day (``YYYY-MM-DD``)."""
        ...

    async def take(self, user_id: int, day: str, cap: int) -> bool:
        """Count one more marketing message on the buyer's day, only while under ``cap``
        (atomic: two processes never both take the last one)."""
        ...
