"""The console's routing table: each section registers its commands, buttons, typed steps and
media steps here, with the permission each needs; ``screens.admin`` dispatches to them after
checking the person's role again (a button is never trusted to say who may press it).

* a command is ``/admin <word> [args]``;
* a button is ``Action.ADMIN`` with a verb and two ids (``admin_cb("or_ship", order_id)``);
* a step is a ``UiState`` whose name starts with ``admin.`` (typing a price, sending a video).

The tables are ``bot.conversation.dispatch.Registry`` tables, as the buyer side's; the console
itself is one entry there (``Action.ADMIN``, ``/admin``, the ``admin.`` steps).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

from bot.conversation.callbacks import Action, Callback, cb
from bot.conversation.dispatch import Registry
from bot.conversation.turn import Turn
from bot.domain.catalog import MediaKind
from bot.domain.staff import Permission, Role
from bot.services.ports import UiState

#: Every console step's state name starts with this.
STATE_PREFIX = "admin."

CommandHandler = Callable[[Turn, Role, str], Awaitable[None]]
PressHandler = Callable[[Turn, Role, int, int], Awaitable[None]]
TextHandler = Callable[[Turn, Role, UiState, str], Awaitable[None]]
#: (turn, role, state or None, kind, file_id, caption): a video or photo sent in private.
MediaHandler = Callable[[Turn, Role, UiState | None, MediaKind, str, str], Awaitable[None]]


H = TypeVar("H")


@dataclass(frozen=True, slots=True)
class Entry(Generic[H]):
    permission: Permission
    handler: H
    #: A button whose ids carry what the merchant confirmed (an amount), not only what it
    #: acts on: it must be signed for the presser's chat (``signed_cb``), or it is stale.
    signed: bool = False


@dataclass(frozen=True, slots=True)
class MenuItem:
    order: int
    label_key: str
    verb: str
    permission: Permission


COMMANDS: Registry[str, Entry[CommandHandler]] = Registry("the console command")
VERBS: Registry[str, Entry[PressHandler]] = Registry("the console button")
STEPS: Registry[str, Entry[TextHandler]] = Registry("the console step")
MEDIA_STEPS: Registry[str, Entry[MediaHandler]] = Registry("the console media step")
MENU: list[MenuItem] = []
#: What a video or photo sent with no step running does (starts adding a product).
NEW_MEDIA: list[Entry[MediaHandler]] = []


def command(word: str, permission: Permission) -> Callable[[CommandHandler], CommandHandler]:
    def register(handler: CommandHandler) -> CommandHandler:
        COMMANDS.add(word, Entry(permission, handler))
        return handler

    return register


def verb(
    name: str, permission: Permission, *, signed: bool = False
) -> Callable[[PressHandler], PressHandler]:
    if not Callback(Action.ADMIN, (name, 0, 0)).encode():  # checks the verb's spelling
        raise ValueError(name)

    def register(handler: PressHandler) -> PressHandler:
        VERBS.add(name, Entry(permission, handler, signed))
        return handler

    return register


def step(state: str, permission: Permission) -> Callable[[TextHandler], TextHandler]:
    if not state.startswith(STATE_PREFIX):
        raise ValueError(f"a console step is named {STATE_PREFIX}…, not {state!r}")

    def register(handler: TextHandler) -> TextHandler:
        STEPS.add(state, Entry(permission, handler))
        return handler

    return register


def media_step(state: str, permission: Permission) -> Callable[[MediaHandler], MediaHandler]:
    def register(handler: MediaHandler) -> MediaHandler:
        MEDIA_STEPS.add(state, Entry(permission, handler))
        return handler

    return register


def new_media(permission: Permission) -> Callable[[MediaHandler], MediaHandler]:
    def register(handler: MediaHandler) -> MediaHandler:
        if NEW_MEDIA:
            raise ValueError("only one section handles a video sent out of the blue")
        NEW_MEDIA.append(Entry(permission, handler))
        return handler

    return register


def menu_item(order: int, label_key: str, verb_name: str, permission: Permission) -> None:
    MENU.append(MenuItem(order, label_key, verb_name, permission))
    MENU.sort(key=lambda m: m.order)


def admin_cb(name: str, first: int = 0, second: int = 0) -> str:
    """Callback data of a console button."""
    return cb(Action.ADMIN, name, first, second)


def signed_cb(turn: Turn, name: str, first: int = 0, second: int = 0) -> str:
    """Callback data of a console button registered ``signed``: signed for this chat, so its
    ids (an order and the total its refunds reach) are the ones the bot offered here."""
    return turn.config.signer.cb(turn.chat_id, Action.ADMIN, name, first, second)


def state(name: str, **data: int | str) -> UiState:
    """A console step (``state("admin.pr.price", draft=3)``)."""
    return UiState(STATE_PREFIX + name if not name.startswith(STATE_PREFIX) else name, data)


async def at_step(turn: Turn, name: str, gone_key: str = "admin.step_gone") -> UiState | None:
    """The step's state if the person is still at step ``name``; otherwise the pressed button
    is stale (pressed twice, or after another step began): told so, and None."""
    current = await turn.uow.ui_states.get(turn.person.id, turn.chat_id)
    if current is None or current.state != name:
        turn.answer(turn.tx.t(gone_key), alert=True)
        return None
    return current
