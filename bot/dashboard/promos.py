"""Dashboard section (to come)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from bot.dashboard.visit import Page, Visit

ROUTES: list[tuple[str, str, Callable[[Visit], Awaitable[Page]]]] = []
