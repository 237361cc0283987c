"""Flash sales in the chat: the sale line and button on a card, Grab it (a reservation and its
invoice), Notify me, Notify me if stock returns, and ``s_<sale>`` links."""

from __future__ import annotations

import re

from bot.conversation.callbacks import Action, Callback, cb, row_id
from bot.conversation.dispatch import on_press, on_start
from bot.conversation.replies import Button, Keyboard
from bot.conversation.screens import browse, guessing
from bot.conversation.screens import checkout as checkout_screen
from bot.conversation.screens.invoice import Reserved
from bot.conversation.texts import Texts
from bot.conversation.turn import Turn
from bot.domain.flash_sales import ClaimRefusal, FlashSale, SaleState
from bot.domain.guesses import CodeKind
from bot.services import flash_sales
from bot.services.checkout import Delivery


async def grab(turn: Turn, sale_id: int) -> None:
    """Grab it: reserve a unit (one conditional write decides races), then the invoice."""
    tx = turn.tx
    if not turn.in_private:
        link = turn.deep_link(f"s_{sale_id}")
        turn.answer(tx.t("checkout.private_only"), alert=link is None)
        if link:
            turn.say(
                tx.t("checkout.private_only"),
                ((Button(tx.label("cart.btn_open_private"), url=link),),),
            )
        return
    window = turn.config.claim_window
    result = await flash_sales.claim(turn.uow, sale_id, turn.person.id, turn.now, window)
    sale = result.sale
    if result.refusal is not None or result.claim_id is None or sale is None:
        refusal = result.refusal or ClaimRefusal.NOT_FOUND
        turn.refuse(
            tx.t(f"sale.refusal.{refusal.value}", n=result.mine), _after_refusal(tx, sale, refusal)
        )
        return
    turn.answer()
    minutes = int(window.total_seconds() // 60)
    turn.say(tx.t("sale.reserved", name=sale.name, minutes=minutes))
    reserved = Reserved(sale, result.claim_id)
    await checkout_screen.begin(turn, sale.variant_id, reserved=reserved)


def _after_refusal(tx: Texts, sale: FlashSale | None, refusal: ClaimRefusal) -> Keyboard | None:
    if sale is None:
        return None
    if refusal is ClaimRefusal.SOLD_OUT:
        return ((Button(tx.label("sale.btn_restock"), cb(Action.FLASH_RESTOCK, sale.id)),),)
    if refusal is ClaimRefusal.NOT_STARTED:
        return ((Button(tx.label("sale.btn_notify"), cb(Action.FLASH_WATCH, sale.id)),),)
    return None


async def choose_delivery(turn: Turn, how: Delivery, claim_id: int) -> None:
    """Delivery or pickup for a reserved unit (the button carries only the claim's id)."""
    tx = turn.tx
    claim = await turn.uow.sales.claim_of(claim_id)
    sale = await turn.uow.sales.sale(claim.sale_id) if claim is not None else None
    if claim is None or sale is None or claim.user_id != turn.person.id:
        turn.answer(tx.t("stale_button"), alert=True)
        return
    if claim.status != "reserved" or claim.expires_at <= turn.now:
        turn.answer()
        turn.say(tx.t("sale.refusal.expired_claim"), _again(tx, sale))
        return
    reserved = Reserved(sale, claim.id)
    await checkout_screen.begin(turn, sale.variant_id, how, reserved=reserved)


def _again(tx: Texts, sale: FlashSale) -> Keyboard:
    return (
        (
            Button(
                tx.label("sale.btn_claim", price=tx.money(sale.price)),
                cb(Action.FLASH_CLAIM, sale.id),
            ),
        ),
    )


#: ``t.me/bot?start=s_12``: sale 12.
SALE_LINK = re.compile(r"^s_([1-9][0-9]{0,17})$")


@on_start(SALE_LINK)
async def sale_link(turn: Turn, link: re.Match[str]) -> None:
    await open_sale(turn, row_id(link.group(1)))


async def open_sale(turn: Turn, sale_id: int) -> None:
    """``s_<sale>``: in private, the sale's product card (with its line and button); in a group
    (``?startgroup=s_<sale>``), the sale's card, kept up to date as units go. An id that
    names no sale is a wrong guess (``guessing``)."""
    if await guessing.refused(turn):
        return
    sale = await turn.uow.sales.sale(sale_id)
    if sale is None:
        await guessing.wrong(turn, CodeKind.SALE)
    if sale is not None and not turn.in_private:
        # Queued, so the outbox worker can record the message it posts and edit it later.
        await turn.uow.notices.add(turn.chat_id, "sale_card", {"sale": sale.id}, turn.now)
        turn.outbox_dirty = True
        return
    if sale is None or not await browse.open_product(turn, sale.product_id):
        turn.say(turn.tx.t("sale.refusal.not_found"))


async def watch(turn: Turn, sale_id: int, kind: str) -> None:
    """Notify me (or Notify me if stock returns). Pressed before the moment it waits for, the
    buyer is told we'll tell them; pressed once the sale is on with units left, the live sale
    is shown at once (its card, with Grab it); once it is over, they are told so."""
    tx = turn.tx
    asked = await flash_sales.watch(turn.uow, sale_id, turn.person.id, kind, turn.now)
    sale = asked.sale
    if sale is None:
        turn.answer(tx.t("sale.refusal.not_found"), alert=True)
        return
    if asked.kind is not None:
        turn.answer(tx.t("sale.watching" if asked.kind == "start" else "sale.watching_restock"))
        return
    if sale.state(turn.now) is SaleState.ENDED:
        turn.refuse(tx.t("sale.refusal.ended"))
        return
    turn.answer(tx.t("sale.live_now"))
    if not await browse.open_product(turn, sale.product_id):
        turn.say(tx.t("sale.refusal.not_found"))


@on_press(Action.FLASH_CLAIM, Action.FLASH_WATCH, Action.FLASH_RESTOCK, Action.FLASH_DELIVERY)
async def pressed(turn: Turn, call: Callback) -> None:
    action = call.action
    if action is Action.FLASH_CLAIM:
        await grab(turn, call.int_arg(0))
    elif action is Action.FLASH_WATCH:
        await watch(turn, call.int_arg(0), "start")
    elif action is Action.FLASH_RESTOCK:
        await watch(turn, call.int_arg(0), "restock")
    elif action is Action.FLASH_DELIVERY:
        await choose_delivery(turn, Delivery(call.str_arg(0)), call.int_arg(1))
