"""Buyer invites in chat: /invite gives a personal link (``f_<code>``); a friend opening it is
recorded as invited when new to the shop, and both hear of the coupon later."""

from __future__ import annotations

import re

from bot.conversation.dispatch import on_command, on_start
from bot.conversation.screens import guessing
from bot.conversation.screens.general import welcome
from bot.conversation.turn import Turn
from bot.domain.guesses import CodeKind
from bot.domain.invites import LINK, MAX_REWARDS, REWARD_PERCENT, InviteRefusal
from bot.services import invites


@on_command("invite")
async def invite_command(turn: Turn, args: str) -> None:
    await command(turn)


@on_start(LINK)
async def friend_link(turn: Turn, link: re.Match[str]) -> None:
    await opened(turn, link.group(1))


async def command(turn: Turn) -> None:
    tx = turn.tx
    if not turn.in_private:
        turn.say(tx.t("invite.private_only"))
        return
    code = await invites.my_code(turn.uow, turn.person.id)
    link = turn.deep_link(f"f_{code}") or f"?start=f_{code}"
    counts = await turn.uow.trust.invites_of(turn.person.id)
    turn.say(
        tx.t(
            "invite.yours",
            link=link,
            percent=REWARD_PERCENT,
            cap=MAX_REWARDS,
            pending=counts.get("pending", 0),
            rewarded=counts.get("rewarded", 0),
        )
    )


async def opened(turn: Turn, code: str) -> None:
    """``f_<code>``: a friend's invite; a code nobody has is a wrong guess (``guessing``)."""
    tx = turn.tx
    if await guessing.refused(turn):
        welcome(turn)
        return
    result = await invites.accept(turn.uow, code, turn.person.id, turn.now)
    if result is InviteRefusal.UNKNOWN:
        await guessing.wrong(turn, CodeKind.INVITE)
    if isinstance(result, InviteRefusal):
        turn.say(tx.t(f"invite.refusal.{result.value}"))
    else:
        turn.say(tx.t("invite.accepted", percent=REWARD_PERCENT))
    welcome(turn)
