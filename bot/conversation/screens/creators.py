"""Creators in chat: accepting an invitation, share links (``k_<CODE>[_<product>]``), the
ready-to-forward teaser, the /creator dashboard, its chart and payout requests.

``/creator invite [percent]`` lets an admin make an invitation link from the chat (the CLI
does the same: ``storefront creators invite``).
"""

from __future__ import annotations

import re
from datetime import timedelta

from bot.conversation.callbacks import Action, Callback, cb, row_id
from bot.conversation.charts import activity_png
from bot.conversation.dispatch import on_command, on_press, on_start
from bot.conversation.replies import Button, MediaRef, SendMedia, SendText
from bot.conversation.screens import browse, guessing
from bot.conversation.screens.coupon_entry import coupon_what
from bot.conversation.screens.creator_text import teaser
from bot.conversation.screens.general import welcome
from bot.conversation.texts import Raw
from bot.conversation.turn import Turn
from bot.domain.catalog import MediaKind, Product
from bot.domain.creators import (
    INVITE_LINK,
    PRODUCT_LINK,
    SHOP_LINK,
    ClickRefusal,
    Creator,
    CreatorError,
    InviteRefusal,
    product_payload,
    shop_payload,
)
from bot.domain.guesses import CodeKind
from bot.domain.money import Money
from bot.services import browsing, creators

#: The notice kind the outbox worker hands to the creator poster (``creator_post``).
POST_NOTICE = "creator_post"
CHART_DAYS = 28
#: A channel or group by @username, or by its id (-100...).
_CHAT_REF = re.compile(r"^(@[A-Za-z][A-Za-z0-9_]{3,31}|-[1-9][0-9]{4,15})$")


@on_start(PRODUCT_LINK)
async def product_link(turn: Turn, link: re.Match[str]) -> None:
    await opened_link(turn, link.group(1), row_id(link.group(2)))


@on_start(SHOP_LINK)
async def shop_link(turn: Turn, link: re.Match[str]) -> None:
    await opened_link(turn, link.group(1), None)


@on_start(INVITE_LINK)
async def invitation_link(turn: Turn, link: re.Match[str]) -> None:
    await open_invitation(turn, link.group(1))


async def open_invitation(turn: Turn, token: str) -> None:
    """``ki_<token>``: the merchant's offer, with Accept (only for whoever opened it first).
    A token that names no invitation is a wrong guess (``guessing``)."""
    tx = turn.tx
    if await guessing.refused(turn):
        return
    found = await creators.open_invite(turn.uow, token, turn.person.id, turn.now)
    if found is InviteRefusal.UNKNOWN:
        await guessing.wrong(turn, CodeKind.CREATOR_INVITE)
    if isinstance(found, InviteRefusal):
        turn.say(tx.t(f"creator.invite.{found.value}"))
        return
    keyboard = ((Button(tx.label("creator.btn_accept"), cb(Action.CREATOR_ACCEPT, found.id)),),)
    turn.say(
        tx.t("creator.invite.offer", shop=turn.config.shop_name, rate=found.rate_percent),
        keyboard,
    )


async def accept(turn: Turn, invite_id: int) -> None:
    tx = turn.tx
    result = await creators.accept(turn.uow, invite_id, turn.person.id, turn.now)
    if isinstance(result, InviteRefusal):
        turn.answer(tx.t(f"creator.invite.{result.value}"), alert=True)
        return
    turn.answer()
    link = turn.deep_link(shop_payload(result.code)) or ""
    turn.show(tx.t("creator.welcome", code=result.code, rate=result.rate_percent, link=link))


async def opened_link(turn: Turn, code: str, product_id: int | None) -> None:
    """A creator's share link: the click is remembered (the last one within the window wins)
    and the buyer sees the product, or the shop. A code no creator has is a wrong guess; while
    the buyer cools down (``guessing``) the code is not looked up, but the product still shows."""
    tx = turn.tx
    window: timedelta = turn.config.creator_window
    if not await guessing.refused(turn):
        result = await creators.click(turn.uow, code, turn.person.id, product_id, turn.now, window)
        if result is ClickRefusal.UNKNOWN:
            await guessing.wrong(turn, CodeKind.CREATOR)
            turn.say(tx.t("creator.link.unknown"))
        elif result is ClickRefusal.OWN_LINK:
            turn.say(tx.t("creator.link.own"))
        elif isinstance(result, Creator):
            await _gift(turn, result)
    if product_id is not None and await browse.open_product(turn, product_id):
        return
    if product_id is not None:
        turn.say(tx.t("card.product_gone"))
    welcome(turn)


async def _gift(turn: Turn, creator: Creator) -> None:
    """The coupon the shop offers through this creator's links, if any: its button is signed
    for this chat, which is what lets it apply the coupon (``callbacks.Signer``)."""
    coupon = await creators.gift(turn.uow, creator, turn.person.id, turn.now)
    if coupon is None:
        return
    tx = turn.tx
    data = turn.config.signer.cb(turn.chat_id, Action.COUPON_APPLY, coupon.id)
    turn.say(
        tx.t("creator.gift", code=coupon.code, what=coupon_what(tx, coupon)),
        ((Button(tx.label("drop.btn_coupon"), data),),),
    )


async def _product(turn: Turn, ref: str) -> Product | None:
    ref = ref.strip()
    if ref.isdigit():
        return await turn.uow.catalog.product(row_id(ref[:12]))
    variant_id = await turn.uow.catalog.variant_by_sku(ref[:64])
    found = await turn.uow.catalog.variant(variant_id) if variant_id is not None else None
    return found[1] if found is not None else None


@on_command("creator")
async def command(turn: Turn, args: str) -> None:
    """/creator (dashboard), /creator link SKU|id, /creator invite [percent] (admins)."""
    tx = turn.tx
    words = args.split()
    if words[:1] == ["invite"] and turn.person.id in turn.config.admin_ids:
        await _admin_invite(turn, words[1:])
        return
    if not turn.in_private:
        turn.say(tx.t("creator.private_only"))
        return
    creator = await turn.uow.trust.creator(turn.person.id)
    if creator is None or not creator.active:
        turn.say(tx.t("creator.not_creator"))
        return
    if words[:1] == ["post"]:
        await _post_to_chat(turn, creator, words[1:])
        return
    if words[:1] == ["link"]:
        product = await _product(turn, " ".join(words[1:]))
        if product is None:
            turn.say(tx.t("creator.link.no_product"))
            return
        _product_link(turn, creator, product)
        return
    await _dashboard(turn, creator)


async def _admin_invite(turn: Turn, words: list[str]) -> None:
    tx = turn.tx
    try:
        rate = int(words[0]) if words else 10
        token = await creators.invite(turn.uow, rate, turn.now)
    except (ValueError, CreatorError):
        turn.say(tx.t("creator.invite.bad_rate"))
        return
    link = turn.deep_link(f"ki_{token}") or f"?start=ki_{token}"
    turn.say(tx.t("creator.invite.made", link=link, rate=rate))


def _product_link(turn: Turn, creator: Creator, product: Product) -> None:
    tx = turn.tx
    link = turn.deep_link(product_payload(creator.code, product.id)) or ""
    keyboard = ((Button(tx.label("creator.btn_post"), cb(Action.CREATOR_POST, product.id)),),)
    turn.say(tx.t("creator.link.product", name=product.name, link=link), keyboard)


async def _dashboard(turn: Turn, creator: Creator) -> None:
    tx = turn.tx
    board = await creators.dashboard(turn.uow, creator)
    lines = [
        tx.t("creator.dash.title", code=creator.code, rate=creator.rate_percent),
        tx.t("creator.dash.link", link=turn.deep_link(shop_payload(creator.code)) or ""),
        tx.t("creator.dash.clicks", clicks=board.clicks),
    ]
    if not board.stats:
        lines.append(tx.t("creator.dash.no_orders"))
    for stats in board.stats:

        def money(amount: int, currency: str = stats.currency) -> Raw:
            return tx.money(Money(amount, currency))

        lines.append(
            tx.t(
                "creator.dash.money",
                buyers=stats.unique_buyers,
                orders=stats.orders,
                revenue=money(stats.revenue),
                pending=money(stats.pending),
                settled=money(stats.settled),
                paid=money(stats.paid_out),
                requested=money(stats.requested),
                available=money(stats.available),
            )
        )
    if board.top:
        lines.append(tx.t("creator.dash.top"))
        lines += [tx.t("creator.dash.top_line", name=n, units=u) for n, u in board.top]
    lines.append(tx.t("creator.dash.help"))
    keyboard = (
        (
            Button(tx.label("creator.btn_chart"), cb(Action.CREATOR_CHART)),
            Button(tx.label("creator.btn_payout"), cb(Action.CREATOR_PAYOUT)),
        ),
        (Button(tx.label("creator.btn_post_shop"), cb(Action.CREATOR_POST, 0)),),
    )
    turn.show("\n".join(lines), keyboard)


async def _post(turn: Turn, creator: Creator, product_id: int) -> None:
    """A ready teaser to forward (or post in a channel): the product's video and caption, and
    a Buy button carrying the creator's link."""
    tx = turn.tx
    page = None
    if product_id:
        page = await browsing.single_page(turn.uow, product_id, turn.now)
        if page is None:
            turn.answer(tx.t("card.product_gone"), alert=True)
            return
    turn.answer()
    shop = turn.config.shop_name
    text, media, keyboard = teaser(tx, creator, page, turn.config.bot_username, shop)
    if media is None:
        turn.replies.append(SendText(turn.chat_id, text, keyboard))
    else:
        turn.replies.append(SendMedia(turn.chat_id, media, text, keyboard))
    turn.replies.append(SendText(turn.chat_id, tx.t("creator.teaser.hint")))


async def _post_to_chat(turn: Turn, creator: Creator, words: list[str]) -> None:
    """/creator post @channel [SKU]: queued; the outbox worker checks the creator administers
    that chat and posts the teaser there."""
    tx = turn.tx
    target: str | int | None = None
    if words and _CHAT_REF.match(words[0]):
        target = int(words[0]) if words[0].startswith("-") else words[0]
    if target is None:
        turn.say(tx.t("creator.post.usage"))
        return
    product_id = 0
    if len(words) > 1:
        product = await _product(turn, " ".join(words[1:]))
        if product is None:
            turn.say(tx.t("creator.link.no_product"))
            return
        product_id = product.id
    params: dict[str, object] = {"target": target, "product": product_id, "locale": tx.locale}
    await turn.uow.notices.add(creator.user_id, POST_NOTICE, params, turn.now)
    turn.outbox_dirty = True
    turn.say(tx.t("creator.post.queued", chat=words[0]))


async def _chart(turn: Turn, creator: Creator) -> None:
    tx = turn.tx
    since = turn.now - timedelta(days=CHART_DAYS)
    activity = await turn.uow.trust.activity(creator.user_id, since)
    labels = (
        tx.label("creator.chart.title", days=CHART_DAYS),
        tx.label("creator.chart.clicks"),
        tx.label("creator.chart.orders"),
    )
    png = activity_png(activity.clicks, activity.orders, turn.now.date(), labels, CHART_DAYS)
    turn.answer()
    media = MediaRef(MediaKind.PHOTO, 0, "", data=png, filename="creator-chart.png")
    caption_text = tx.t(
        "creator.chart.caption",
        days=CHART_DAYS,
        clicks=Raw(tx.plural("creator.count.clicks", len(activity.clicks))),
        orders=Raw(tx.plural("creator.count.orders", len(activity.orders))),
    )
    turn.replies.append(SendMedia(turn.chat_id, media, caption_text))


async def _payout(turn: Turn, creator: Creator) -> None:
    tx = turn.tx
    asked = await creators.request_payout(turn.uow, creator, turn.now)
    if not asked:
        turn.answer(tx.t("creator.payout.nothing"), alert=True)
        return
    turn.answer()
    total = ", ".join(str(tx.money(m)) for _, m in asked)
    turn.say(tx.t("creator.payout.requested", amount=Raw(total)))
    for admin in turn.config.admin_ids:
        for payout_id, amount in asked:
            await turn.uow.notices.add(
                admin,
                "creator_payout_admin",
                {
                    "payout": payout_id,
                    "user": creator.user_id,
                    "code": creator.code,
                    "amount": amount.amount,
                    "currency": amount.currency,
                },
                turn.now,
            )
    turn.outbox_dirty = True


@on_press(Action.CREATOR_ACCEPT, Action.CREATOR_POST, Action.CREATOR_CHART, Action.CREATOR_PAYOUT)
async def pressed(turn: Turn, call: Callback) -> None:
    if call.action is Action.CREATOR_ACCEPT:
        await accept(turn, call.int_arg(0))
        return
    creator = await turn.uow.trust.creator(turn.person.id)
    if creator is None or not creator.active:
        turn.answer(turn.tx.t("creator.not_creator"), alert=True)
        return
    if call.action is Action.CREATOR_POST:
        await _post(turn, creator, call.int_arg(0))
    elif call.action is Action.CREATOR_CHART:
        await _chart(turn, creator)
    elif call.action is Action.CREATOR_PAYOUT:
        await _payout(turn, creator)
