"""/alerts: the buyer decides which marketing messages they get (drops, flash sales, group buys,
restock, creators' posts; each catalog category), how many a day (never more than the shop's
cap), and when not to be disturbed (quiet hours in their time zone).

"🔕 Fewer like this" under a marketing message opens the same screen as a new message, with
that message's kind one tap from off. Typed values: ``/alerts quiet 23-7``, ``/alerts quiet
off``, ``/alerts tz +8`` (or the time-zone screen's buttons, or an offset typed after it).
"""

from __future__ import annotations

from bot.conversation.callbacks import Action, Callback, cb
from bot.conversation.dispatch import on_command, on_press, on_step
from bot.conversation.replies import Button, Keyboard
from bot.conversation.turn import Turn
from bot.domain.alerts import (
    KINDS,
    QUIET_PRESETS,
    ZONES,
    AlertError,
    AlertKind,
    cap_choices,
    parse_quiet,
    parse_zone,
    quiet_label,
)
from bot.services import alerts
from bot.services.alerts import AlertView
from bot.services.ports import UiState

ASK_ZONE = "alerts.zone"
#: Categories the screen lists at most (the first ones of the catalog).
MAX_CATEGORIES = 8


def _b(text: str, verb: str, value: int = 0) -> Button:
    return Button(text, cb(Action.ALERTS, verb, value))


def _private_only(turn: Turn) -> bool:
    if turn.in_private:
        return True
    turn.tell(turn.tx.t("alerts.private_only"), alert=True)
    return False


async def render(turn: Turn, highlight: AlertKind | None = None) -> tuple[str, Keyboard]:
    tx = turn.tx
    seen = await alerts.view(turn.uow, turn.person.id, turn.config.alerts)
    prefs = seen.prefs
    lines = [tx.t("alerts.title")]
    if highlight is not None:
        kind = tx.label(f"alerts.kind.{highlight.value}")
        off = highlight in prefs.kinds_off
        lines.append(tx.t("alerts.fewer_off" if off else "alerts.fewer", kind=kind))
    lines.append(_summary(turn, seen))
    rows: list[tuple[Button, ...]] = []
    if highlight is not None and highlight not in prefs.kinds_off:
        label = tx.label("alerts.btn_turn_off", kind=tx.label(f"alerts.kind.{highlight.value}"))
        rows.append((_b(label, "ko", KINDS.index(highlight)),))
    kinds = [
        _b(_mark(k not in prefs.kinds_off, tx.label(f"alerts.kind.{k.value}")), "k", i)
        for i, k in enumerate(KINDS)
    ]
    rows += _pairs(kinds)
    listed = (await turn.uow.catalog.categories())[:MAX_CATEGORIES]
    if listed:
        lines.append(tx.t("alerts.categories_hint"))
        rows += _pairs(
            [
                _b(
                    _mark(c.category.id not in prefs.categories_off, c.category.name),
                    "c",
                    c.category.id,
                )
                for c in listed
            ]
        )
    caps = [_b(_current(n == seen.cap, str(n)), "n", n) for n in cap_choices(seen.merchant_cap)]
    rows.append((Button(tx.label("alerts.btn_cap"), cb(Action.NOOP)), *caps))
    presets = [
        _b(_current(seen.quiet == (s * 60, e * 60), f"{s:02d}–{e:02d}"), "q", i + 1)
        for i, (s, e) in enumerate(QUIET_PRESETS)
    ]
    rows.append(tuple(presets[:2]))
    rows.append(
        (*presets[2:], _b(_current(seen.quiet is None, tx.label("alerts.btn_quiet_off")), "q", 0))
    )
    rows.append((_b(tx.label("alerts.btn_zone", zone=seen.zone), "z"),))
    return "\n\n".join(lines), tuple(rows)


def _summary(turn: Turn, seen: AlertView) -> str:
    tx = turn.tx
    quiet = (
        tx.t("alerts.quiet_on", hours=quiet_label(seen.quiet), zone=seen.zone)
        if seen.quiet
        else tx.t("alerts.quiet_none", zone=seen.zone)
    )
    return "\n".join([tx.t("alerts.cap", cap=seen.cap, max=seen.merchant_cap), quiet])


def _mark(on: bool, label: str) -> str:
    return ("✅ " if on else "🚫 ") + label


def _current(chosen: bool, label: str) -> str:
    return f"• {label} •" if chosen else label


def _pairs(buttons: list[Button]) -> list[tuple[Button, ...]]:
    return [tuple(buttons[i : i + 2]) for i in range(0, len(buttons), 2)]


async def show(turn: Turn, highlight: AlertKind | None = None, *, new: bool = False) -> None:
    text, keyboard = await render(turn, highlight)
    if new:
        turn.say(text, keyboard)
    else:
        turn.show(text, keyboard)


@on_command("alerts")
async def alerts_command(turn: Turn, args: str) -> None:
    if not _private_only(turn):
        return
    what, _, value = args.strip().partition(" ")
    what = what.lower()
    try:
        if what == "quiet":
            await alerts.set_quiet(turn.uow, turn.person.id, parse_quiet(value))
        elif what in ("tz", "zone"):
            await alerts.set_zone(turn.uow, turn.person.id, parse_zone(value))
        elif what:
            turn.say(turn.tx.t("alerts.usage"))
            return
    except AlertError as exc:
        turn.say(turn.tx.t(f"alerts.bad_{exc}"))
        return
    if what:
        turn.say(turn.tx.t("alerts.saved"))
    await show(turn, new=True)


@on_press(Action.ALERTS)
async def pressed(turn: Turn, call: Callback) -> None:
    if not _private_only(turn):
        return
    verb, value = call.str_arg(0), call.int_arg(1)
    user = turn.person.id
    kind = KINDS[value] if verb in ("f", "k", "ko") and value < len(KINDS) else None
    if verb in ("f", "k", "ko") and kind is None:
        turn.answer(turn.tx.t("alerts.stale"), alert=True)
        return
    if verb == "f" and kind is not None:  # from a marketing message: a new message
        turn.answer()
        await show(turn, kind, new=True)
        return
    if verb == "k" and kind is not None:
        await alerts.toggle_kind(turn.uow, user, kind)
    elif verb == "ko" and kind is not None:
        await alerts.turn_off(turn.uow, user, kind)
        turn.answer(
            turn.tx.t("alerts.turned_off", kind=turn.tx.label(f"alerts.kind.{kind.value}"))
        )
        await show(turn, kind)
        return
    elif verb == "c":
        if await turn.uow.catalog.category(value) is None:
            turn.answer(turn.tx.t("alerts.stale"), alert=True)
            return
        await alerts.toggle_category(turn.uow, user, value)
    elif verb == "n" and value in cap_choices(turn.config.alerts.cap):
        await alerts.set_cap(turn.uow, user, value, turn.config.alerts)
    elif verb == "q" and value <= len(QUIET_PRESETS):
        start, end = QUIET_PRESETS[value - 1] if value else (0, 0)
        await alerts.set_quiet(turn.uow, user, (start * 60, end * 60) if value else None)
    elif verb == "z":
        turn.answer()
        _zones(turn)
        return
    elif verb == "zs" and value < len(ZONES):
        await alerts.set_zone(turn.uow, user, ZONES[value])
    elif verb == "zt":
        await turn.uow.ui_states.set(user, turn.chat_id, UiState(ASK_ZONE, {}), turn.now)
        turn.answer()
        turn.say(turn.tx.t("alerts.ask_zone"))
        return
    elif verb != "v":
        turn.answer(turn.tx.t("alerts.stale"), alert=True)
        return
    turn.answer(turn.tx.t("alerts.saved") if verb != "v" else None)
    await show(turn)


def _zones(turn: Turn) -> None:
    tx = turn.tx
    rows = _pairs([_b(zone, "zs", i) for i, zone in enumerate(ZONES)])
    rows.append((_b(tx.label("alerts.btn_offset"), "zt"),))
    rows.append((_b(tx.label("alerts.btn_back"), "v"),))
    turn.show(tx.t("alerts.zones"), tuple(rows))


@on_step(ASK_ZONE)
async def zone_typed(turn: Turn, state: UiState, text: str) -> None:
    try:
        zone = parse_zone(text)
    except AlertError:
        turn.say(turn.tx.t("alerts.bad_zone"))
        return
    await turn.uow.ui_states.clear(turn.person.id, turn.chat_id)
    await alerts.set_zone(turn.uow, turn.person.id, zone)
    turn.say(turn.tx.t("alerts.saved"))
    await show(turn, new=True)
