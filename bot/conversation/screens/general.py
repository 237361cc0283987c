"""/start (with deep links), /help, /lang, /cancel, /stop, and what to say to the unexpected."""

from __future__ import annotations

import re

from bot.conversation.callbacks import Action, Callback, cb, row_id
from bot.conversation.dispatch import on_command, on_press, start_link
from bot.conversation.replies import Button
from bot.conversation.screens import browse, cart
from bot.conversation.texts import NATIVE_NAMES, SUPPORTED, texts
from bot.conversation.turn import Turn

#: Deep-link payloads (``t.me/bot?start=p_12``): Telegram allows 64 chars of [A-Za-z0-9_-].
_PRODUCT_LINK = re.compile(r"^p_(\d{1,18})$")

#: The command menu, in the order Telegram shows it.
MENU = (
    "start",
    "catalog",
    "search",
    "cart",
    "orders",
    "support",
    "coupon",
    "alerts",
    "lang",
    "help",
    "cancel",
)


def command_menu(locale: str) -> list[tuple[str, str]]:
    tx = texts(locale)
    return [(name, tx.t(f"cmd.{name}")) for name in MENU]


def welcome(turn: Turn) -> None:
    keyboard = (
        (
            Button(turn.tx.label("start.btn_browse"), cb(Action.CATEGORIES)),
            Button(turn.tx.label("start.btn_cart"), cb(Action.CART)),
        ),
    )
    turn.say(
        turn.tx.t(
            "start.welcome", name=turn.person.first_name or "👋", shop=turn.config.shop_name
        ),
        keyboard,
    )


@on_command("start")
async def start_command(turn: Turn, args: str) -> None:
    """/start, perhaps with a deep link's payload: a screen's link (``on_start``) or ours."""
    payload = args.strip()
    if turn.in_private:  # /start again after /stop (or after unblocking the bot)
        await turn.uow.drops.stop_drops(turn.person.id, False)
    link = start_link(payload)
    if link is not None:
        handler, found = link
        await handler(turn, found)
    else:
        await start(turn, payload)


@on_command("stop")
async def stop_command(turn: Turn, args: str) -> None:
    """No more promotional drops (in private; in a group the command is another bot's)."""
    if not turn.in_private:
        unknown_command(turn, "stop")
        return
    await turn.uow.drops.stop_drops(turn.person.id, True)
    turn.say(turn.tx.t("drops.stopped"))


@on_command("help")
async def help_command(turn: Turn, args: str) -> None:
    help_(turn)


@on_command("lang")
async def lang_command(turn: Turn, args: str) -> None:
    choose_language(turn)


@on_command("cancel")
async def cancel_command(turn: Turn, args: str) -> None:
    await cancel(turn)


async def start(turn: Turn, payload: str) -> None:
    payload = payload.strip()
    match = _PRODUCT_LINK.match(payload)
    if match:
        if await browse.open_product(turn, row_id(match.group(1))):
            return
        turn.say(turn.tx.t("card.product_gone"))
    elif payload == "cart":
        await cart.show_cart(turn)
        return
    welcome(turn)


def help_(turn: Turn) -> None:
    text = turn.tx.t("help.text")
    if turn.person.id in turn.config.admin_ids:
        text += "\n\n" + turn.tx.t("help.admin")
    turn.say(text)


def choose_language(turn: Turn) -> None:
    rows = tuple((Button(NATIVE_NAMES[code], cb(Action.LANG, code)),) for code in SUPPORTED)
    turn.say(turn.tx.t("lang.choose"), rows)


@on_press(Action.LANG)
async def set_language(turn: Turn, call: Callback) -> None:
    code = call.str_arg(0)
    if code not in SUPPORTED:
        turn.answer(turn.tx.t("stale_button"))
        return
    await turn.uow.buyers.set_locale(turn.person.id, code)
    turn.tx = texts(code)
    turn.answer(turn.tx.t("lang.set"))
    turn.show(turn.tx.t("lang.set"))


async def cancel(turn: Turn) -> None:
    state = await turn.uow.ui_states.get(turn.person.id, turn.chat_id)
    if state is None:
        turn.say(turn.tx.t("cancel.nothing"))
        return
    await turn.uow.ui_states.clear(turn.person.id, turn.chat_id)
    turn.say(turn.tx.t("cancel.done"))


def unknown_command(turn: Turn, name: str) -> None:
    if turn.in_private:  # in a group the command may be meant for another bot
        turn.say(turn.tx.t("unknown_command", name=name[:32]))


def unsupported(turn: Turn, what: str) -> None:
    if turn.in_private:
        key = "unsupported.sticker" if what == "sticker" else "unsupported.media"
        turn.say(turn.tx.t("unsupported", what=turn.tx.t(key)))
