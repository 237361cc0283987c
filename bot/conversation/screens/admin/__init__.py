"""The merchant console in chat: ``/admin`` for the shop's owners (``ADMIN_IDS``) and the staff
they add.

This module is the console's front door: it checks the person's role on every command, button
and typed step, then hands over to the section that registered it (see ``registry``). Every
section is imported here, and each registers what it handles on import. A part of a section
(refunds of the orders, a drop's composing) imports its parent, never the other way round, so
the console's modules import each other in no circle.
"""

from __future__ import annotations

import logging

from bot.conversation.callbacks import Action, Callback
from bot.conversation.dispatch import on_command, on_press, on_step
from bot.conversation.replies import Button

# The routing table, and every section (each registers its commands, buttons and steps).
from bot.conversation.screens.admin import (  # noqa: F401
    access,
    coupon_codes,
    coupon_command,
    coupon_wizard,
    coupons,
    drop_compose,
    order_cash,
    order_refunds,
    orders,
    product_edit,
    products,
    promo_drops,
    promos,
    registry,
    sale_wizard,
    stats,
    support,
    team,
)
from bot.conversation.screens.admin.registry import STATE_PREFIX, admin_cb
from bot.conversation.turn import Turn
from bot.domain.catalog import MediaKind
from bot.domain.staff import Permission, Role, can, console_role
from bot.services.ports import UiState

log = logging.getLogger(__name__)

__all__ = ["STATE_PREFIX", "command", "media_sent", "pressed", "text_typed", "wants_media"]


async def _console_role(turn: Turn) -> Role | None:
    role = await access.role_of(turn)
    if role is None or not console_role(role):
        access.refuse(turn, "admin.refused" if role is None else "admin.leader_use_leader")
        return None
    if not turn.in_private:
        turn.tell(turn.tx.t("admin.private_only"), alert=True)
        return None
    return role


def show_menu(turn: Turn, role: Role) -> None:
    tx = turn.tx
    items = [m for m in registry.MENU if can(role, m.permission)]
    buttons = [Button(tx.label(m.label_key), admin_cb(m.verb)) for m in items]
    keyboard = tuple(tuple(buttons[i : i + 2]) for i in range(0, len(buttons), 2))
    if turn.config.dashboard_url and turn.chat_id == turn.person.id:
        # A Web App button opens in private chats only (the console's home); last, so the
        # console's own buttons keep their places.
        dashboard = Button(tx.label("admin.btn_dashboard"), web_app=turn.config.dashboard_url)
        keyboard = (*keyboard, (dashboard,))
    turn.show(tx.t("admin.menu", role=tx.label(f"admin.role.{role.value}")), keyboard or None)


@on_command("admin")
async def command(turn: Turn, args: str) -> None:
    """``/admin`` (the menu) or ``/admin <word> [args]``."""
    role = await _console_role(turn)
    if role is None:
        return
    word, _, rest = args.strip().partition(" ")
    if not word:
        show_menu(turn, role)
        return
    entry = registry.COMMANDS.get(word.lower())
    if entry is None:
        turn.say(turn.tx.t("admin.unknown_command", word=word))
        show_menu(turn, role)
        return
    if not can(role, entry.permission):
        access.refuse(turn, "admin.not_your_role")
        return
    await entry.handler(turn, role, rest.strip())


@on_press(Action.ADMIN)
async def pressed(turn: Turn, call: Callback) -> None:
    role = await _console_role(turn)
    if role is None:
        return
    name = call.str_arg(0)
    if name == "menu":
        await turn.uow.ui_states.clear(turn.person.id, turn.chat_id)
        turn.answer()
        show_menu(turn, role)
        return
    entry = registry.VERBS.get(name)
    if entry is None:
        turn.answer(turn.tx.t("stale_button"))
        return
    if not can(role, entry.permission):
        access.refuse(turn, "admin.not_your_role")
        return
    if entry.signed and not call.signed:  # its ids are not ones the bot offered here
        log.info("unsigned console button %s from %s", name, turn.person.id)
        turn.answer(turn.tx.t("stale_button"), alert=True)
        return
    await entry.handler(turn, role, call.int_arg(1), call.int_arg(2))


@on_step(STATE_PREFIX, prefix=True)
async def text_typed(turn: Turn, state: UiState, text: str) -> None:
    """A message typed while a console step waits for it (a price, a tracking number...)."""
    role = await _console_role(turn)
    entry = registry.STEPS.get(state.state)
    if role is None or entry is None or not can(role, entry.permission):
        await turn.uow.ui_states.clear(turn.person.id, turn.chat_id)
        if role is not None:
            turn.say(turn.tx.t("admin.step_gone"))
        return
    await entry.handler(turn, role, state, text.strip())


async def wants_media(turn: Turn, state: UiState | None) -> bool:
    """Whether a video or photo sent in private is for the console (a step asks for one, or
    the sender may add products and no other step is running)."""
    if not turn.in_private:
        return False
    if state is not None:
        return state.state in registry.MEDIA_STEPS
    if not registry.NEW_MEDIA:
        return False
    role = await access.role_of(turn)
    return role is not None and can(role, registry.NEW_MEDIA[0].permission)


async def media_sent(
    turn: Turn, state: UiState | None, kind: MediaKind, file_id: str, caption: str
) -> None:
    role = await _console_role(turn)
    if role is None:
        return
    entry = registry.MEDIA_STEPS.get(state.state) if state is not None else registry.NEW_MEDIA[0]
    if entry is None or not can(role, entry.permission):
        access.refuse(turn, "admin.not_your_role")
        return
    await entry.handler(turn, role, state, kind, file_id, caption)


def back_button(turn: Turn) -> Button:
    return Button(turn.tx.label("admin.btn_menu"), admin_cb("menu"))


_ = Permission  # re-exported for sections' convenience
