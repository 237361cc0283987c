"""How a group-buy team reads: its card, its progress line, its buttons (one wording for the
private invite, the group's progress message, the inline result and the receipt)."""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.conversation.callbacks import Action, cb
from bot.conversation.replies import Button, Keyboard
from bot.conversation.texts import Texts
from bot.domain.group_buys import Team, TeamStatus, countdown


def left_text(tx: Texts, left: timedelta) -> str:
    days, hours, minutes = countdown(left)
    if days:
        return tx.label("group.left_days", d=days, h=hours)
    if hours:
        return tx.label("group.left_hours", h=hours, m=minutes)
    return tx.label("group.left_minutes", m=minutes)


def status_text(tx: Texts, team: Team, now: datetime) -> str:
    if team.status is TeamStatus.FILLED:
        return tx.t("group.status_filled", size=team.size)
    if team.status is TeamStatus.EXPIRED or now >= team.deadline:
        return tx.t("group.status_expired", paid=team.paid, size=team.size)
    return tx.t(
        "group.status_open",
        paid=team.paid,
        size=team.size,
        left=left_text(tx, team.remaining(now)),
    )


def invite_link(bot_username: str | None, team: Team) -> str | None:
    return f"https://t.me/{bot_username}?start=g_{team.id}" if bot_username else None


def card_text(tx: Texts, team: Team, now: datetime, link: str | None) -> str:
    lines = [
        tx.t("group.title", name=team.name),
        tx.t(
            "group.prices",
            price=tx.money(team.price),
            size=team.size,
            regular=tx.money(team.regular_price),
        ),
        "",
        status_text(tx, team, now),
    ]
    if team.pickup is not None:
        lines.append(tx.t("group.pickup", place=team.pickup.name, address=team.pickup.address))
    if link and team.is_open(now):
        lines += ["", tx.t("group.invite", link=link)]
    return "\n".join(lines)


def private_keyboard(
    tx: Texts, team: Team, now: datetime, bot_username: str | None, *, member: bool = False
) -> Keyboard:
    """Under the invite in a private chat: join (unless a member), share, post into a group,
    the QR code."""
    if not team.is_open(now):
        return ()
    rows: list[tuple[Button, ...]] = (
        []
        if member
        else [
            (
                Button(
                    tx.label("group.btn_join", price=tx.money(team.price)),
                    cb(Action.GROUP_JOIN, team.id),
                ),
            )
        ]
    )
    share: list[Button] = [Button(tx.label("group.btn_share"), share=f"g_{team.id}")]
    if bot_username:
        share.append(
            Button(
                tx.label("group.btn_post"),
                url=f"https://t.me/{bot_username}?startgroup=g_{team.id}",
            )
        )
        rows.append(tuple(share))
        rows.append((Button(tx.label("group.btn_qr"), cb(Action.GROUP_QR, team.id)),))
    else:
        rows.append(tuple(share))
    return tuple(rows)


def public_keyboard(tx: Texts, team: Team, now: datetime, link: str | None) -> Keyboard | None:
    """Under a card posted in a group or channel: a link into a private chat to pay there."""
    if link is None or not team.is_open(now):
        return None
    return ((Button(tx.label("group.btn_join", price=tx.money(team.price)), url=link),),)
