"""Console section, part of coupons: one-time codes. A coupon's codes with who used which;
more made in bulk (the coupon's Codes button, or ``/admin coupon codes SAVE10 100`` through
``coupon_command``), sent as a CSV.
"""

from __future__ import annotations

from bot.conversation.replies import Button, Keyboard, SendDocument
from bot.conversation.screens.admin import access
from bot.conversation.screens.admin.catalog_text import cancel_row
from bot.conversation.screens.admin.coupons import SHOWN, P, go
from bot.conversation.screens.admin.registry import admin_cb, step, verb
from bot.conversation.turn import Turn
from bot.domain.coupons import MAX_ONE_TIME_CODES, Coupon
from bot.domain.staff import Role
from bot.services import coupons
from bot.services.order_ports import CodeUse
from bot.services.ports import UiState

ASK_COUNT = "admin.coupon.count"


async def _shop_coupon(turn: Turn, coupon_id: int) -> Coupon | None:
    coupon = await turn.uow.coupons.by_id(coupon_id) if coupon_id else None
    return coupon if coupon is not None and coupon.owner_id is None else None


@verb("cp_codes", P)
async def codes_pressed(turn: Turn, role: Role, coupon_id: int, _: int) -> None:
    coupon = await _shop_coupon(turn, coupon_id)
    if coupon is None:
        turn.answer(turn.tx.t("stale_button"))
        return
    turn.answer()
    turn.show(*await _codes_view(turn, coupon))


async def _codes_view(turn: Turn, coupon: Coupon) -> tuple[str, Keyboard]:
    """The coupon's one-time codes: how many, how many used, and the latest used (by whom,
    when); every code with its use is in the CSV."""
    tx = turn.tx
    uses = await turn.uow.coupons.codes(coupon.id)
    used = sorted(
        (u for u in uses if u.used_by is not None and u.used_at is not None),
        key=lambda u: (u.used_at, u.code),
        reverse=True,
    )
    lines = [tx.t("ac.cp.codes_title", code=coupon.code)]
    if uses:
        lines.append(tx.plural("ac.cp.codes_count", len(uses), used=len(used)))
    else:
        lines.append(tx.t("ac.cp.codes_none"))
    for use in used[:SHOWN]:
        when = f"{use.used_at:%Y-%m-%d %H:%M} UTC"
        lines.append(tx.t("ac.cp.code_used", code=use.code, buyer=use.used_by, when=when))
    if len(used) > SHOWN:
        lines.append(tx.plural("ac.cp.codes_used_more", len(used) - SHOWN))
    rows: list[tuple[Button, ...]] = []
    if coupon.active:
        rows.append((Button(tx.label("ac.cp.btn_make_codes"), admin_cb("cp_mkc", coupon.id)),))
    if uses:
        rows.append((Button(tx.label("ac.cp.btn_codes_csv"), admin_cb("cp_csv", coupon.id)),))
    rows.append((Button(tx.label("ac.cp.btn_list"), admin_cb("cp_list")),))
    return "\n".join(lines), tuple(rows)


@verb("cp_csv", P)
async def codes_csv_pressed(turn: Turn, role: Role, coupon_id: int, _: int) -> None:
    coupon = await _shop_coupon(turn, coupon_id)
    if coupon is None:
        turn.answer(turn.tx.t("stale_button"))
        return
    uses = await turn.uow.coupons.codes(coupon.id)
    if not uses:
        turn.answer(turn.tx.t("ac.cp.codes_none"), alert=True)
        return
    turn.answer()
    used = sum(1 for u in uses if u.used_by is not None)
    caption = turn.tx.plural("ac.cp.codes_csv", len(uses), code=coupon.code, used=used)
    _send_csv(turn, coupon, coupons.codes_csv(coupon, uses), caption)


def _send_csv(turn: Turn, coupon: Coupon, text: str, caption: str) -> None:
    name = f"codes-{coupon.code}.csv"
    turn.replies.append(SendDocument(turn.chat_id, text.encode("utf-8"), name, caption))


@verb("cp_mkc", P)
async def make_codes_pressed(turn: Turn, role: Role, coupon_id: int, _: int) -> None:
    coupon = await _shop_coupon(turn, coupon_id)
    if coupon is None:
        turn.answer(turn.tx.t("stale_button"))
        return
    turn.answer()
    await go(turn, ASK_COUNT, {"coupon": coupon.id})
    turn.say(_ask_count(turn, coupon), (cancel_row(turn, "cp_cstop"),))


def _ask_count(turn: Turn, coupon: Coupon) -> str:
    return turn.tx.t("ac.cp.ask_count", code=coupon.code, max=MAX_ONE_TIME_CODES)


@step(ASK_COUNT, P)
async def count_typed(turn: Turn, role: Role, st: UiState, text: str) -> None:
    coupon = await _shop_coupon(turn, int(st.data["coupon"]))
    if coupon is None:
        await turn.uow.ui_states.clear(turn.person.id, turn.chat_id)
        turn.say(turn.tx.t("admin.step_gone"))
        return
    count = parse_count(text)
    if count is None:
        bad = turn.tx.t("ac.cp.bad_count", text=text.strip()[:32], max=MAX_ONE_TIME_CODES)
        turn.say(bad + "\n" + _ask_count(turn, coupon), (cancel_row(turn, "cp_cstop"),))
        return
    await turn.uow.ui_states.clear(turn.person.id, turn.chat_id)
    await make_codes(turn, role, coupon.code, count)


def parse_count(text: str) -> int | None:
    word = text.strip()
    if not word.isascii() or not word.isdigit() or len(word) > 6:
        return None
    count = int(word)
    return count if 1 <= count <= MAX_ONE_TIME_CODES else None


async def make_codes(turn: Turn, role: Role, code: str, count: int) -> None:
    tx = turn.tx
    made = await coupons.make_codes(turn.uow, code, count, turn.now)
    coupon = made.coupon
    if made.refusal is coupons.CodesRefusal.COUNT:
        turn.say(tx.t("ac.cp.codes_usage", max=MAX_ONE_TIME_CODES))
        return
    if made.refusal is not None or coupon is None:
        if coupon is None:
            turn.say(tx.t("ac.cp.no_such", code=code[:32]))
        else:
            refusal = made.refusal or coupons.CodesRefusal.DISABLED
            turn.say(tx.t(f"ac.cp.codes_refused.{refusal.value}", code=coupon.code))
        return
    await access.audit(turn, role, "coupon.codes", f"coupon:{coupon.code}", n=len(made.made))
    uses = [CodeUse(c, None, None, turn.now) for c in made.made]
    caption = tx.plural("ac.cp.codes_made", len(uses), code=coupon.code)
    _send_csv(turn, coupon, coupons.codes_csv(coupon, uses), caption)


@verb("cp_cstop", P)
async def codes_stop_pressed(turn: Turn, role: Role, _: int, __: int) -> None:
    current = await turn.uow.ui_states.get(turn.person.id, turn.chat_id)
    if current is None or current.state != ASK_COUNT:
        turn.answer(turn.tx.t("ac.pn.nothing_to_cancel"))
        return
    await turn.uow.ui_states.clear(turn.person.id, turn.chat_id)
    turn.answer()
    turn.say(turn.tx.t("ac.cp.codes_cancelled"))
