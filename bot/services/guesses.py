"""The guessing limit as a use case: before a code a buyer typed or opened is looked up, may
they try one now? After it turned out wrong, the attempt is recorded (in the update's own
transaction, so it commits with the refusal the buyer is sent). See ``bot.domain.guesses``."""

from __future__ import annotations

from datetime import datetime

from bot.domain.guesses import CodeKind, GuessLimit
from bot.services.ports import UnitOfWork


async def cooling_until(
    uow: UnitOfWork, user_id: int, rule: GuessLimit, now: datetime
) -> datetime | None:
    """When the buyer may try a code again; None if they may now."""
    if rule.off:
        return None
    recent = await uow.guesses.recent(user_id, rule.since(now), rule.limit)
    return rule.open_again_at(recent, now)


async def wrong(
    uow: UnitOfWork, user_id: int, kind: CodeKind, rule: GuessLimit, now: datetime
) -> None:
    """A code the buyer tried was wrong: it counts towards their limit."""
    if not rule.off:
        await uow.guesses.record(user_id, kind.value, now)
