"""Group buys in the chat: Start group buy on a card, the invite (link, Share, Post in a
group, QR code), joining from ``g_<team>``, the group's progress message, and ``/leader``."""

from __future__ import annotations

import logging
import re

from bot.conversation.callbacks import Action, Callback, cb, row_id
from bot.conversation.dispatch import on_command, on_press, on_start
from bot.conversation.events import InlineQuery
from bot.conversation.qr import qr_png
from bot.conversation.replies import (
    AnswerInline,
    Button,
    InlineArticle,
    MediaRef,
    SendMedia,
)
from bot.conversation.screens import checkout as checkout_screen
from bot.conversation.screens import guessing
from bot.conversation.screens.team_text import (
    card_text,
    invite_link,
    private_keyboard,
    public_keyboard,
    status_text,
)
from bot.conversation.texts import Raw
from bot.conversation.turn import Turn
from bot.domain.catalog import MediaKind
from bot.domain.group_buys import JoinRefusal, PickupPoint, Team
from bot.domain.guesses import CodeKind
from bot.services import group_buys
from bot.services.checkout import Delivery
from bot.services.group_buys import CollectRefusal

log = logging.getLogger(__name__)

_INLINE_TEAM = re.compile(r"^\s*g_([1-9][0-9]{0,17})\s*$")
_MAX_PICKUP_HOURS = 720


def _link(turn: Turn, team: Team) -> str | None:
    return invite_link(turn.config.bot_username, team)


async def start(turn: Turn, variant_id: int) -> None:
    """Start group buy on a card: open a team; in private the opener gets the invite, in a
    group the team's progress message is posted there."""
    tx = turn.tx
    opened = await group_buys.open_team(
        turn.uow,
        turn.person.id,
        variant_id,
        turn.now,
        leaders_only=turn.config.group_leaders_only,
    )
    if opened.refusal is not None:
        turn.answer(tx.t(f"group.open_refusal.{opened.refusal.value}"), alert=True)
        return
    team = opened.team
    assert team is not None
    if not turn.in_private:
        turn.answer(tx.t("group.opened_in_group"))
        await post_board(turn, team)
        return
    turn.answer()
    turn.say(tx.t("group.opened", team=team.id, size=team.size))
    _invite(turn, team, with_qr=True)


def _invite(turn: Turn, team: Team, *, with_qr: bool) -> None:
    tx = turn.tx
    link = _link(turn, team)
    text = card_text(tx, team, turn.now, link)
    keyboard = private_keyboard(tx, team, turn.now, turn.config.bot_username) or None
    if with_qr and link:
        turn.replies.append(SendMedia(turn.chat_id, _qr(link), text, keyboard))
    else:
        turn.say(text, keyboard)


def _qr(link: str) -> MediaRef:
    return MediaRef(MediaKind.PHOTO, 0, "", data=qr_png(link), filename="invite.png")


#: ``t.me/bot?start=g_12``: team 12's card.
GROUP_LINK = re.compile(r"^g_([1-9][0-9]{0,17})$")


@on_start(GROUP_LINK)
async def team_link(turn: Turn, link: re.Match[str]) -> None:
    await show(turn, row_id(link.group(1)))


async def show(turn: Turn, team_id: int) -> None:
    """``g_<team>``: in private the team and a Join button; in a group, its progress message.
    An id that names no team is a wrong guess (``guessing``)."""
    tx = turn.tx
    if await guessing.refused(turn):
        return
    team = await turn.uow.groups.team(team_id)
    if team is None:
        await guessing.wrong(turn, CodeKind.TEAM)
        turn.say(tx.t("group.refusal.not_found"))
        return
    if not turn.in_private:
        await post_board(turn, team)
        return
    _invite(turn, team, with_qr=False)


async def post_board(turn: Turn, team: Team) -> None:
    """The progress message in a group: queued, so the outbox worker can record its message id
    (and edit it as seats fill)."""
    await turn.uow.notices.add(turn.chat_id, "group_card", {"team": team.id}, turn.now)
    turn.outbox_dirty = True


async def join(turn: Turn, team_id: int, delivery: Delivery | None = None) -> None:
    tx = turn.tx
    check = await group_buys.check_join(turn.uow, team_id, turn.person.id, turn.now)
    if check.refusal is not None:
        keyboard = None
        if check.refusal is JoinRefusal.FULL and check.team is not None:
            keyboard = (
                (
                    Button(
                        tx.label("group.btn_start_own"),
                        cb(Action.GROUP_START, check.team.variant_id),
                    ),
                ),
            )
        turn.refuse(tx.t(f"group.refusal.{check.refusal.value}"), keyboard)
        return
    assert check.team is not None
    await checkout_screen.begin(turn, check.team.variant_id, delivery, team=check.team)


async def send_qr(turn: Turn, team_id: int) -> None:
    team = await turn.uow.groups.team(team_id)
    link = _link(turn, team) if team is not None else None
    if team is None or link is None:
        turn.answer(turn.tx.t("group.refusal.not_found"), alert=True)
        return
    turn.answer()
    turn.replies.append(
        SendMedia(turn.chat_id, _qr(link), turn.tx.t("group.qr_caption", team=team.id, link=link))
    )


async def inline(turn: Turn, event: InlineQuery) -> None:
    """``@bot g_<team>`` (what Share types): the team's card to post into the chosen chat."""
    tx = turn.tx
    match = _INLINE_TEAM.match(event.query)
    team = await turn.uow.groups.team(int(match.group(1))) if match else None
    if team is None:
        turn.replies.append(AnswerInline(event.query_id))
        return
    link = _link(turn, team)
    article = InlineArticle(
        id=f"g_{team.id}",
        title=tx.label("inline.group_title", name=team.name),
        description=tx.label(
            "inline.group_description",
            price=tx.money(team.price),
            status=_plain(status_text(tx, team, turn.now)),
        ),
        text=card_text(tx, team, turn.now, link),
        keyboard=public_keyboard(tx, team, turn.now, link),
    )
    turn.replies.append(AnswerInline(event.query_id, (article,)))


def _plain(html: str) -> str:
    return re.sub(r"<[^>]+>", "", html).replace("&amp;", "&").replace("&lt;", "<")


@on_press(
    Action.GROUP_START,
    Action.GROUP_JOIN,
    Action.GROUP_QR,
    Action.GROUP_DELIVERY,
    Action.GROUP_PICKUPS,
    Action.GROUP_COLLECTED,
)
async def pressed(turn: Turn, call: Callback) -> None:
    action = call.action
    if action is Action.GROUP_START:
        await start(turn, call.int_arg(0))
    elif action is Action.GROUP_JOIN:
        await join(turn, call.int_arg(0))
    elif action is Action.GROUP_DELIVERY:
        await join(turn, call.int_arg(1), Delivery(call.str_arg(0)))
    elif action is Action.GROUP_QR:
        await send_qr(turn, call.int_arg(0))
    elif action is Action.GROUP_PICKUPS:
        await pickups(turn, call.int_arg(0))
    elif action is Action.GROUP_COLLECTED:
        await collected(turn, call.int_arg(0))


# The leader ----------------------------------------------------------------------------------


@on_command("leader")
async def leader_command(turn: Turn, args: str) -> None:
    tx = turn.tx
    words = args.strip()
    if words.lower().startswith("pickup"):
        await _set_pickup(turn, words[len("pickup") :])
        return
    view = await group_buys.leader_view(turn.uow, turn.person.id)
    if view is None:
        turn.say(tx.t("leader.not_leader"))
        return
    lines = [tx.t("leader.title"), ""]
    rows = []
    for team in view.teams:
        status = status_text(tx, team, turn.now)
        lines.append(tx.t("leader.team", team=team.id, name=team.name, status=Raw(status)))
        if team.pickup is not None and team.paid:
            rows.append(
                (
                    Button(
                        tx.label("leader.btn_pickups", team=team.id),
                        cb(Action.GROUP_PICKUPS, team.id),
                    ),
                )
            )
    if not view.teams:
        lines.append(tx.t("leader.none"))
    lines.append("")
    for total in view.earned:
        lines.append(tx.t("leader.earned", total=tx.money(total)))
    if view.pickup is not None:
        lines.append(
            tx.t(
                "leader.pickup",
                place=view.pickup.name,
                address=view.pickup.address,
                hours=view.pickup.hours,
            )
        )
    elif view.is_leader:
        lines.append(tx.t("leader.no_pickup"))
    turn.say("\n".join(lines), tuple(rows) or None)


async def _set_pickup(turn: Turn, raw: str) -> None:
    tx = turn.tx
    if not await turn.uow.groups.is_leader(turn.person.id):
        turn.say(tx.t("leader.pickup_only_leaders"))
        return
    parts = [p.strip() for p in raw.split(";")]
    hours = 72
    if len(parts) == 3 and parts[2]:
        if not parts[2].isdigit() or not 1 <= int(parts[2]) <= _MAX_PICKUP_HOURS:
            turn.say(tx.t("leader.pickup_usage"))
            return
        hours = int(parts[2])
    if len(parts) not in (2, 3) or not parts[0] or not parts[1]:
        turn.say(tx.t("leader.pickup_usage"))
        return
    point = PickupPoint(parts[0][:128], parts[1][:256], hours)
    await turn.uow.groups.set_leader(turn.person.id, point)
    turn.say(tx.t("leader.pickup_set", place=point.name, address=point.address, hours=hours))


async def pickups(turn: Turn, team_id: int) -> None:
    tx = turn.tx
    entries = await group_buys.pickup_list(turn.uow, turn.person.id, team_id)
    team = await turn.uow.groups.team(team_id)
    if entries is None or team is None:
        turn.answer(tx.t("leader.not_your_team"), alert=True)
        return
    turn.answer()
    lines = [tx.t("leader.pickups_title", team=team.id, name=team.name), ""]
    rows = []
    for entry in entries:
        order = entry.order
        done = order.delivered_at is not None
        lines.append(
            tx.t(
                "leader.pickup_entry",
                seat=entry.number,
                order=order.id,
                who=order.ship_name or str(order.user_id),
                state=Raw(tx.t("leader.collected" if done else "leader.waiting")),
            )
        )
        if not done:
            rows.append(
                (
                    Button(
                        tx.label("leader.btn_collected", order=order.id),
                        cb(Action.GROUP_COLLECTED, order.id),
                    ),
                )
            )
    if not entries:
        lines.append(tx.t("leader.pickups_none"))
    turn.show("\n".join(lines), tuple(rows) or None)


async def collected(turn: Turn, order_id: int) -> None:
    tx = turn.tx
    refusal = await group_buys.mark_collected(turn.uow, turn.person.id, order_id, turn.now)
    if refusal is not None:
        turn.answer(
            tx.t(f"leader.collect.{refusal.value}"), alert=refusal is CollectRefusal.NOT_YOURS
        )
        return
    turn.answer(tx.t("leader.collect.done"))
    turn.outbox_dirty = True
    order = await turn.uow.orders.get(order_id)
    if order is not None and order.team_id is not None:
        await pickups(turn, order.team_id)
