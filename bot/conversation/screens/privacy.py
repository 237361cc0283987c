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
from bot.domain.privacy import Hold, HoldKind, blocking, confirm_fresh, confirm_stamp
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


@on_command("deleteme")
async def deleteme_command(turn: Turn, args: str) -> None:
    if not _private_only(turn):
        return
    found = await buyer_data.holds(turn.uow, turn.person.id)
    waiting = blocking(found)
    if waiting:
        turn.say(_waiting(turn, waiting))
        return
    tx = turn.tx
    lines = [tx.t("privacy.confirm")]
    unpaid = [h for h in found if h.kind is HoldKind.UNPAID]
    if unpaid:  # said before the buyer agrees: these invoices are cancelled with the rest
        lines.append(tx.plural("privacy.cancels", len(unpaid)))
        lines += [tx.t("privacy.cancel_line", ref=h.ref) for h in unpaid]
    # Signed for this chat and dated: only this person, here, within the confirmation window.
    yes = turn.config.signer.cb(turn.chat_id, Action.ERASE_YES, confirm_stamp(turn.now))
    turn.say(
        "\n\n".join([lines[0], "\n".join(lines[1:])]) if unpaid else lines[0],
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
    outcome = await buyer_data.erase(turn.uow, turn.person.id, turn.chat_id, turn.now)
    if outcome.holds:  # something changed since the question (a payment began, say)
        turn.answer()
        turn.show(_waiting(turn, outcome.holds))
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
