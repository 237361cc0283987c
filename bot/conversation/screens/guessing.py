"""The guessing limit in chat (``bot.domain.guesses``): every screen that looks up a code a
buyer typed or opened asks ``refused`` first, and reports a wrong one with ``wrong``.

While a buyer cools down, their codes are not looked up at all (a right one is refused too, and
the message says so), so guessing learns nothing, however fast it goes.
"""

from __future__ import annotations

import logging
import math

from bot.conversation.turn import Turn
from bot.domain.guesses import CodeKind
from bot.services import guesses

log = logging.getLogger(__name__)


async def refused(turn: Turn) -> bool:
    """True when the buyer must wait: they are told until when, and the code is left alone."""
    rule = turn.config.guesses
    until = await guesses.cooling_until(turn.uow, turn.person.id, rule, turn.now)
    if until is None:
        return False
    log.info("buyer %s sent a code while cooling down (until %s)", turn.person.id, until)
    minutes = max(1, math.ceil((until - turn.now).total_seconds() / 60))
    window = int(rule.window.total_seconds() // 60)
    text = turn.tx.plural(
        "guess.cooling", minutes, at=f"{until:%H:%M}", limit=rule.limit, window=window
    )
    turn.say(text)
    return True


async def wrong(turn: Turn, kind: CodeKind) -> None:
    """The code matched nothing the buyer may open: it counts towards their limit."""
    await guesses.wrong(turn.uow, turn.person.id, kind, turn.config.guesses, turn.now)
