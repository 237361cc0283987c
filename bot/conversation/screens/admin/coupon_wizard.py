"""Console section, part of coupons: a new coupon by a guided conversation: the code, the
kind, the value, then the optional minimum, limits and days, each skippable (or Create now).
"""

from __future__ import annotations

from bot.conversation.replies import Button, Keyboard
from bot.conversation.screens.admin.catalog_text import cancel_row, terms_text
from bot.conversation.screens.admin.coupons import P, go, shop_currency, store
from bot.conversation.screens.admin.registry import admin_cb, at_step, step, verb
from bot.conversation.turn import Turn
from bot.domain.coupons import CouponKind
from bot.domain.money import Money
from bot.domain.staff import Role
from bot.services import coupon_terms as terms
from bot.services.ports import UiState

ASK_CODE = "admin.coupon.code"
ASK_KIND = "admin.coupon.kind"
ASK_VALUE = "admin.coupon.value"
ASK_OPTION = "admin.coupon.opt"
_KINDS = (CouponKind.PERCENT, CouponKind.FIXED, CouponKind.FREE_SHIPPING)


def _cancel(turn: Turn) -> Keyboard:
    return (cancel_row(turn, "cp_stop"),)


@verb("cp_new", P)
async def new_pressed(turn: Turn, role: Role, _: int, __: int) -> None:
    turn.answer()
    await go(turn, ASK_CODE, {})
    turn.say(turn.tx.t("ac.cp.ask_code"), _cancel(turn))


@step(ASK_CODE, P)
async def code_typed(turn: Turn, role: Role, st: UiState, text: str) -> None:
    try:
        code = terms.parse_code(text)
    except terms.TermsError as exc:
        turn.say(terms_text(turn, exc) + "\n" + turn.tx.t("ac.cp.ask_code"), _cancel(turn))
        return
    if await turn.uow.coupons.by_code(code) is not None:
        turn.say(
            turn.tx.t("ac.cp.exists", code=code) + "\n" + turn.tx.t("ac.cp.ask_code"),
            _cancel(turn),
        )
        return
    await go(turn, ASK_KIND, {"code": code})
    kinds = tuple(
        (Button(turn.tx.label(f"ac.cp.kind.{k.value}"), admin_cb("cp_kind", i + 1)),)
        for i, k in enumerate(_KINDS)
    )
    turn.say(turn.tx.t("ac.cp.ask_kind", code=code), (*kinds, cancel_row(turn, "cp_stop")))


@verb("cp_kind", P)
async def kind_pressed(turn: Turn, role: Role, number: int, _: int) -> None:
    st = await at_step(turn, ASK_KIND)
    if st is None:
        return
    if not 1 <= number <= len(_KINDS):
        turn.answer(turn.tx.t("stale_button"))
        return
    turn.answer()
    kind = _KINDS[number - 1]
    data: dict[str, int | str] = {"code": str(st.data["code"]), "kind": kind.value}
    if kind is CouponKind.FREE_SHIPPING:
        await _ask_option(turn, role, data, 0)
        return
    await go(turn, ASK_VALUE, data)
    key = "ac.cp.ask_percent" if kind is CouponKind.PERCENT else "ac.cp.ask_amount"
    turn.say(turn.tx.t(key, currency=await shop_currency(turn)), _cancel(turn))


@step(ASK_VALUE, P)
async def value_typed(turn: Turn, role: Role, st: UiState, text: str) -> None:
    data = dict(st.data)
    try:
        if data["kind"] == CouponKind.PERCENT.value:
            data["percent"] = terms.parse_percent(text)
        else:
            data["amount"] = terms.parse_amount(text, await shop_currency(turn)).amount
    except terms.TermsError as exc:
        turn.say(terms_text(turn, exc), _cancel(turn))
        return
    await _ask_option(turn, role, data, 0)


async def _ask_option(turn: Turn, role: Role, data: dict[str, int | str], index: int) -> None:
    if index >= len(terms.OPTIONS):
        await _create_from(turn, role, data)
        return
    await go(turn, ASK_OPTION, {**data, "i": index})
    name = terms.OPTIONS[index]
    keyboard = (
        (
            Button(turn.tx.label("ac.pn.btn_skip"), admin_cb("cp_skip", index)),
            Button(turn.tx.label("ac.cp.btn_create_now"), admin_cb("cp_make")),
        ),
        cancel_row(turn, "cp_stop"),
    )
    turn.say(turn.tx.t(f"ac.cp.ask_{name}", currency=await shop_currency(turn)), keyboard)


@step(ASK_OPTION, P)
async def option_typed(turn: Turn, role: Role, st: UiState, text: str) -> None:
    index = int(st.data["i"])
    name = terms.OPTIONS[index]
    currency = await shop_currency(turn)
    try:
        value = terms.parse_option(name, text, currency)
    except terms.TermsError as exc:
        again = turn.tx.t(f"ac.cp.ask_{name}", currency=currency)
        turn.say(terms_text(turn, exc) + "\n" + again, _cancel(turn))
        return
    await _ask_option(turn, role, {**st.data, name: value}, index + 1)


@verb("cp_skip", P)
async def option_skipped(turn: Turn, role: Role, index: int, _: int) -> None:
    st = await at_step(turn, ASK_OPTION)
    if st is None:
        return
    if int(st.data["i"]) != index:  # the Skip of a question already answered
        turn.answer(turn.tx.t("stale_button"))
        return
    turn.answer()
    await _ask_option(turn, role, dict(st.data), index + 1)


@verb("cp_make", P)
async def create_now(turn: Turn, role: Role, _: int, __: int) -> None:
    st = await at_step(turn, ASK_OPTION)
    if st is None:
        return
    turn.answer()
    await _create_from(turn, role, dict(st.data))


@verb("cp_stop", P)
async def stop_pressed(turn: Turn, role: Role, _: int, __: int) -> None:
    current = await turn.uow.ui_states.get(turn.person.id, turn.chat_id)
    if current is None or not current.state.startswith("admin.coupon."):
        turn.answer(turn.tx.t("ac.pn.nothing_to_cancel"))
        return
    await turn.uow.ui_states.clear(turn.person.id, turn.chat_id)
    turn.answer()
    turn.say(turn.tx.t("ac.cp.cancelled"))


async def _create_from(turn: Turn, role: Role, data: dict[str, int | str]) -> None:
    await turn.uow.ui_states.clear(turn.person.id, turn.chat_id)
    currency = await shop_currency(turn)
    kind = CouponKind(str(data["kind"]))
    amount = Money(int(data["amount"]), currency) if "amount" in data else None
    value = terms.Value(kind, percent=int(data.get("percent", 0)), amount=amount)
    found = {k: int(data[k]) for k in terms.OPTIONS if k in data}
    coupon = terms.with_options(
        str(data["code"]), value, terms.options_from(found, currency), turn.now
    )
    await store(turn, role, coupon)
