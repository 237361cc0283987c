"""``/live``: the merchant's live-selling command. In a group: ``/live KJ-10`` pins the
product's card (or swaps the pinned card to it), ``/live end`` unpins it; from the private
chat, for a channel or group: ``/live @channel KJ-10``. Only the shop's admins may use it.

The checks a person should hear about at once happen here; posting, pinning and editing the
card need Telegram's answers (the message id, "not enough rights"), so they are queued for the
live desk (``bot/workers/live_desk.py``), which reports back to the merchant.
"""

from __future__ import annotations

from bot.conversation.dispatch import on_command
from bot.conversation.texts import Texts
from bot.conversation.turn import Turn
from bot.domain.live import LiveOp, LiveRequest, chat_id_of, may_run_live, parse_request
from bot.services import live

#: The notice kind the outbox worker hands to the live desk.
LIVE_NOTICE = "live"


def usage(tx: Texts, *, in_private: bool) -> str:
    return tx.t("live.usage_private" if in_private else "live.usage_group")


@on_command("live")
async def live_command(turn: Turn, args: str) -> None:
    tx = turn.tx
    if not may_run_live(turn.person.id, turn.config.admin_ids):
        turn.say(tx.t("live.not_admin"))
        return
    request = parse_request(args, in_private=turn.in_private)
    if request is None:
        turn.say(usage(tx, in_private=turn.in_private))
        return
    if request.op is LiveOp.STATUS:
        await _status(turn, request)
        return
    target = request.target or str(turn.chat_id)
    where = request.target or tx.t("live.here")
    numeric = chat_id_of(target)
    ending = request.op is LiveOp.END and numeric is not None
    if ending and numeric is not None and await turn.uow.live.show(numeric) is None:
        turn.say(tx.t("live.no_show", chat=where))
        return
    params: dict[str, object] = {
        "op": request.op.value,
        "target": numeric if numeric is not None else target,
        "by": turn.person.id,
        "locale": tx.locale,
        "private": turn.in_private,
    }
    if request.op is LiveOp.SHOW:
        assert request.product is not None
        pick = await live.pick_product(turn.uow, request.product)
        if pick.product is None:
            assert pick.refusal is not None
            turn.say(tx.t(f"live.{pick.refusal.value}", ref=request.product))
            return
        params["product"] = pick.product.id
    await turn.uow.notices.add(turn.chat_id, LIVE_NOTICE, params, turn.now)
    turn.outbox_dirty = True


async def _status(turn: Turn, request: LiveRequest) -> None:
    tx = turn.tx
    lines: list[str] = []
    numeric = chat_id_of(request.target) if request.target else turn.chat_id
    if request.target is None and turn.in_private:
        numeric = None
    # (Which show an @username has is not known without asking Telegram: the list tells.)
    if numeric is not None:
        where = request.target or tx.t("live.here")
        found = await live.featured(turn.uow, numeric)
        if found is None:
            lines.append(tx.t("live.status_off", chat=where))
        else:
            show, product = found
            name = product.name if product is not None else f"#{show.product_id}"
            lines.append(tx.t("live.status_on", chat=where, name=name))
    else:
        shows = await turn.uow.live.shows()
        lines.append(tx.t("live.shows_title") if shows else tx.t("live.shows_none"))
        for show in shows:
            product = await turn.uow.catalog.product(show.product_id)
            name = product.name if product is not None else f"#{show.product_id}"
            lines.append(tx.t("live.show_line", chat=show.chat_id, name=name))
    lines += ["", usage(tx, in_private=turn.in_private)]
    turn.say("\n".join(lines))
