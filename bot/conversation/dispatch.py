"""The routing table of the conversation: each screen registers here what it handles, and the
storefront looks the handler up instead of branching.

* a button: ``@on_press(Action.X, ...)``, a handler ``(turn, call)``; an action nobody
  registered (``NOOP``, a label) only stops the spinner;
* a command: ``@on_command("cart")``, a handler ``(turn, args)``; an unknown one is told so;
* a ``/start`` deep link: ``@on_start(pattern)``, a handler ``(turn, match)``; the patterns
  have distinct prefixes, so at most one matches (a payload none matches is the plain /start);
* a typed step: ``@on_step(state)`` (or ``on_step(prefix, prefix=True)`` for a family of
  states, the console's ``admin.…``), a handler ``(turn, state, text)``.

Every table refuses a second handler for the same key. The merchant console's own table
(``screens.admin.registry``) is built on the same ``Registry``; the console is one entry here
(``Action.ADMIN``, ``/admin``, the ``admin.`` steps) that dispatches its verbs. A screen's
registrations happen when it is imported: ``screens.routes`` imports every screen.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from typing import TypeVar

from bot.conversation.callbacks import Action, Callback
from bot.conversation.turn import Turn
from bot.services.ports import UiState

K = TypeVar("K")
H = TypeVar("H")

PressHandler = Callable[[Turn, Callback], Awaitable[None]]
CommandHandler = Callable[[Turn, str], Awaitable[None]]
StartHandler = Callable[[Turn, re.Match[str]], Awaitable[None]]
StepHandler = Callable[[Turn, UiState, str], Awaitable[None]]


class Registry(dict[K, H]):
    """A table of handlers by key that refuses a second handler for a key."""

    def __init__(self, what: str) -> None:
        super().__init__()
        self.what = what

    def add(self, key: K, handler: H) -> None:
        if key in self:
            raise ValueError(f"{self.what} {key!r} is registered twice")
        self[key] = handler


PRESSES: Registry[Action, PressHandler] = Registry("the button")
COMMANDS: Registry[str, CommandHandler] = Registry("the command")
STARTS: Registry[str, tuple[re.Pattern[str], StartHandler]] = Registry("the start link")
STEPS: Registry[str, StepHandler] = Registry("the step")
#: Steps registered by the prefix of their state's name, tried after the exact ones.
STEP_PREFIXES: Registry[str, StepHandler] = Registry("the step prefix")


def on_press(*actions: Action) -> Callable[[PressHandler], PressHandler]:
    def register(handler: PressHandler) -> PressHandler:
        for action in actions:
            PRESSES.add(action, handler)
        return handler

    return register


def on_command(*names: str) -> Callable[[CommandHandler], CommandHandler]:
    def register(handler: CommandHandler) -> CommandHandler:
        for name in names:
            COMMANDS.add(name, handler)
        return handler

    return register


def on_start(pattern: re.Pattern[str]) -> Callable[[StartHandler], StartHandler]:
    def register(handler: StartHandler) -> StartHandler:
        STARTS.add(pattern.pattern, (pattern, handler))
        return handler

    return register


def on_step(state: str, *, prefix: bool = False) -> Callable[[StepHandler], StepHandler]:
    def register(handler: StepHandler) -> StepHandler:
        (STEP_PREFIXES if prefix else STEPS).add(state, handler)
        return handler

    return register


def start_link(payload: str) -> tuple[StartHandler, re.Match[str]] | None:
    """The handler of a deep link's payload and its match, or None (the plain /start)."""
    for pattern, handler in STARTS.values():
        found = pattern.match(payload)
        if found:
            return handler, found
    return None


def step(state: UiState) -> StepHandler | None:
    """The handler of what is typed while ``state`` waits, or None."""
    handler = STEPS.get(state.state)
    if handler is not None:
        return handler
    for prefix, by_prefix in STEP_PREFIXES.items():
        if state.state.startswith(prefix):
            return by_prefix
    return None
