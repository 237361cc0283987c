"""Coupons entered by the buyer: ``/coupon CODE``, a ``c_CODE`` deep link, a code typed after a
checkout's Coupon button (a fresh invoice with the discount follows), a coupon button from a
drop, a creator or an invite reward, and Remove coupon on an invoice.
"""

from __future__ import annotations

import re

from bot.conversation.callbacks import Action, Callback
from bot.conversation.dispatch import on_command, on_press, on_start, on_step
from bot.conversation.screens import guessing
from bot.conversation.screens.checkout import begin
from bot.conversation.texts import Texts
from bot.conversation.turn import Turn
from bot.domain.coupons import Coupon, CouponKind, CouponRefusal
from bot.domain.guesses import CodeKind
from bot.services import coupons
from bot.services.coupons import Applied
from bot.services.ports import UiState

ASK_COUPON = "checkout.coupon"
#: ``t.me/bot?start=c_CODE``: apply the coupon.
COUPON_LINK = re.compile(r"^c_([A-Za-z0-9_-]{2,32})$")


@on_step(ASK_COUPON)
async def coupon_typed(turn: Turn, state: UiState, text: str) -> None:
    then = int(state.data.get("variant", 0)) if state.data.get("checkout") else None
    await apply_typed(turn, text, then_checkout=then)


@on_start(COUPON_LINK)
async def coupon_link(turn: Turn, link: re.Match[str]) -> None:
    await apply_typed(turn, link.group(1), then_checkout=None)


async def _checkout_exists(turn: Turn, variant_id: int) -> bool:
    """Whether a checkout's Coupon button names the cart (0) or a variant on sale; a forged
    or stale one is answered, and no step begins."""
    found = await turn.uow.catalog.variant(variant_id) if variant_id else None
    if variant_id and (found is None or not found[0].active or not found[1].active):
        turn.answer(turn.tx.t("checkout.problem.gone"), alert=True)
        return False
    return True


@on_press(Action.COUPON_ASK, Action.COUPON_REMOVE)
async def coupon_pressed(turn: Turn, call: Callback) -> None:
    """A checkout's Coupon button (ask for a code, then a fresh invoice) or Remove coupon."""
    if call.action is Action.COUPON_ASK:
        if not await _checkout_exists(turn, call.int_arg(0)):
            return
        await turn.uow.ui_states.set(
            turn.person.id,
            turn.chat_id,
            UiState(ASK_COUPON, {"variant": call.int_arg(0), "checkout": 1}),
            turn.now,
        )
        turn.answer()
        turn.say(turn.tx.t("coupon.ask"))
    else:
        await coupons.remove(turn.uow, turn.person.id)
        turn.answer(turn.tx.t("coupon.removed"))
        await begin(turn, call.int_arg(0))


@on_command("coupon")
async def coupon_command(turn: Turn, args: str) -> None:
    """``/coupon CODE`` (or a ``c_CODE`` deep link): apply it; without a code, say which one
    is applied and ask for one."""
    if not args.strip():
        current = await coupons.current(turn.uow, turn.person.id)
        if current is not None:
            turn.say(turn.tx.t("coupon.current", code=current.code))
        await turn.uow.ui_states.set(
            turn.person.id, turn.chat_id, UiState(ASK_COUPON, {"variant": 0}), turn.now
        )
        turn.say(turn.tx.t("coupon.ask"))
        return
    await apply_typed(turn, args, then_checkout=None)


async def apply_typed(turn: Turn, raw: str, then_checkout: int | None) -> None:
    """A code the buyer typed or linked. After a checkout's Coupon button, a fresh invoice
    with the discount follows at once. A buyer cooling down after too many wrong codes is
    refused before anything is looked up (and no longer asked for a code)."""
    if await guessing.refused(turn):
        await turn.uow.ui_states.clear(turn.person.id, turn.chat_id)
        return
    applied = await coupons.apply_code(turn.uow, turn.person.id, raw, turn.now)
    if applied.wrong:
        await guessing.wrong(turn, CodeKind.COUPON)
    await _applied(turn, applied, then_checkout)


@on_press(Action.COUPON_APPLY)
async def apply_button(turn: Turn, call: Callback) -> None:
    """A coupon button (a drop's, a creator's gift, an invite reward's): applied only if the
    shop gave it to this buyer or made it public; a refusal is the button's answer."""
    applied = await coupons.apply_button(
        turn.uow, turn.person.id, call.int_arg(0), turn.now, signed=call.signed
    )
    if applied.refusal is not None:
        code = applied.coupon.code if applied.coupon else ""
        turn.answer(turn.tx.t(f"coupon.refusal.{applied.refusal.value}", code=code), alert=True)
        return
    turn.answer()
    await _applied(turn, applied, None)


async def _applied(turn: Turn, applied: Applied, then_checkout: int | None) -> None:
    tx = turn.tx
    if applied.refusal is not None:
        code = applied.coupon.code if applied.coupon else ""
        turn.say(tx.t(f"coupon.refusal.{applied.refusal.value}", code=code))
        if applied.refusal is CouponRefusal.UNKNOWN and then_checkout is not None:
            turn.say(tx.t("coupon.try_again"))
        return
    assert applied.coupon is not None
    await turn.uow.ui_states.clear(turn.person.id, turn.chat_id)
    coupon = applied.coupon
    turn.say(tx.t("coupon.applied", code=coupon.code, what=coupon_what(tx, coupon)))
    if then_checkout is not None:
        await begin(turn, then_checkout)


def coupon_what(tx: Texts, coupon: Coupon) -> str:
    """ "10% off", "$5.00 off", "free shipping"."""
    if coupon.kind is CouponKind.PERCENT:
        return tx.label("coupon.what_percent", percent=coupon.percent)
    if coupon.kind is CouponKind.FIXED and coupon.amount is not None:
        return tx.label("coupon.what_fixed", amount=tx.money(coupon.amount))
    return tx.label("coupon.what_free_shipping")
