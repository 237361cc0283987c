"""/mydata (everything the shop holds about the buyer, as a JSON file) and /deleteme (erase
it, after a signed confirmation button; refused with a list while something still needs the
buyer: an unpaid or undelivered order, a refund on its way, a reservation...). Both only in a
private chat: the file and the list are the buyer's alone."""

from __future__ import annotations

import math

from bot.conversation.callbacks import Action, Callback, cb
from bot.conversation.dispatch import on_command, on_press
from bot.conversation.replies import Button, SendDocument
from bot.conversation.turn import Turn
from bot.domain.privacy import Hold, HoldKind, confirm_fresh, confirm_stamp
from bot.services import buyer_data


def _private_only(turn: Turn) -> bool:
    if turn.in_private:
        return True
    turn.tell(turn.tx.t("privacy.private_only"), alert=True)
    return False


@on_command("mydata")
async def mydata_command(turn: Turn, args: str) -> None:
    if not _private_only(turn):
        return
    wait = turn.config.exports.wait(turn.person.id, turn.now)
    if wait is not None:
        seconds = max(1, math.ceil(wait.total_seconds()))
        turn.say(turn.tx.plural("privacy.export_wait", seconds))
        return
    data = await buyer_data.export(turn.uow, turn.person.id, turn.now, turn.config.shop_name)
    name = f"my-data-{turn.now:%Y-%m-%d}.json"
    caption = turn.tx.t("privacy.export_caption", shop=turn.config.shop_name)
    turn.replies.append(SendDocument(turn.chat_id, data, name, caption))


def _hold_line(turn: Turn, hold: Hold) -> str:
    return turn.tx.t(f"privacy.hold.{hold.kind.value}", ref=hold.ref)


def _waiting(turn: Turn, holds: list[Hold]) -> str:
    lines = [turn.tx.plural("privacy.waiting", len(holds))]
    lines += [_hold_line(turn, h) for h in holds]
    lines.append(turn.tx.t("privacy.waiting_footer"))
    return "\n".join(lines)


def _orders_keyboard(turn: Turn, holds: list[Hold]) -> tuple[tuple[Button, ...], ...] | None:
    """A way to the orders when an unpaid one can be cancelled there."""
    if any(h.kind is HoldKind.UNPAID for h in holds):
        return ((Button(turn.tx.label("orders.btn_list"), cb(Action.ORDERS)),),)
    return None


@on_command("deleteme")
async def deleteme_command(turn: Turn, args: str) -> None:
    if not _private_only(turn):
        return
    holds = await buyer_data.holds(turn.uow, turn.person.id)
    if holds:
        turn.say(_waiting(turn, holds), _orders_keyboard(turn, holds))
        return
    tx = turn.tx
    # Signed for this chat and dated: only this person, here, within the confirmation window.
    yes = turn.config.signer.cb(turn.chat_id, Action.ERASE_YES, confirm_stamp(turn.now))
    turn.say(
        tx.t("privacy.confirm"),
        (
            (
                Button(tx.label("privacy.btn_yes"), yes),
                Button(tx.label("privacy.btn_no"), cb(Action.ERASE_NO)),
            ),
        ),
    )


async def _erase(turn: Turn, call: Callback) -> None:
    tx = turn.tx
    if not turn.in_private or not call.signed or not confirm_fresh(call.int_arg(0), turn.now):
        turn.answer(tx.t("privacy.stale"), alert=True)
        return
    outcome = await buyer_data.erase(turn.uow, turn.person.id, turn.chat_id)
    if outcome.holds:  # something changed since the question (an order was paid, say)
        turn.answer()
        turn.show(_waiting(turn, outcome.holds), _orders_keyboard(turn, outcome.holds))
        return
    turn.answer(tx.t("privacy.done_toast"))
    turn.show(tx.t("privacy.done"))


@on_press(Action.ERASE_YES, Action.ERASE_NO)
async def pressed(turn: Turn, call: Callback) -> None:
    if call.action is Action.ERASE_YES:
        await _erase(turn, call)
    else:
        turn.answer()
        turn.show(turn.tx.t("privacy.kept"))
