"""Coupon buttons the shop gave still work, on aiogram and on python-telegram-bot: a drop's
(in a private chat, and in a group where any member may press it), a creator's gift to whoever
opens their link, and a public coupon's; the invoice then carries the discount. The same
buttons forged, or copied into another chat, apply nothing and name no code (see also
``test_button_authority`` for every action, and ``test_reviews_and_invites`` for the invite
reward's button)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select

from bot.domain.coupons import Coupon, CouponKind
from bot.domain.drops import MediaKind
from bot.services import creators, drops
from bot.standin import SimChat
from storage.tables import UserRow
from tests.e2e.harness import ADMIN_ID, RunningShop, last_message, only

USE = "🎟 Use the coupon"
NOT_GIVEN = "This coupon isn't available to you."


async def _coupon(shop: RunningShop, code: str) -> int:
    async with shop.uows() as uow:
        coupon_id = await uow.coupons.create(
            Coupon(0, code, CouponKind.PERCENT, percent=50), shop.now()
        )
        await uow.commit()
    return coupon_id


async def _drop(shop: RunningShop, code: str, audience: str) -> None:
    now = datetime.now(UTC)
    async with shop.uows() as uow:
        drop_id = await drops.compose(
            uow,
            f"Half off with {code}",
            MediaKind.NONE,
            None,
            [f"coupon:{code}"],
            audience,
            False,
            now,
        )
        await drops.send(uow, drop_id, 5, now)
        await uow.commit()
    await shop.drops.run(drop_id)


def _data(message: dict[str, Any]) -> str:
    [[button]] = message["reply_markup"]["inline_keyboard"]
    assert button["text"] == USE
    return str(button["callback_data"])


async def _applied_coupon(shop: RunningShop, user_id: int) -> int | None:
    async with shop.uows.engine.connect() as conn:
        return await conn.scalar(select(UserRow.coupon_id).where(UserRow.id == user_id))  # type: ignore[arg-type]


async def _invoice_discount(shop: RunningShop, chat: SimChat) -> list[Any]:
    """Buy the tripod now: the invoice's coupon line."""
    async with shop.uows() as uow:
        [pid] = await uow.catalog.search_ids(["tripod"], 5)
    await shop.send(chat, f"/start p_{pid}")
    calls = await shop.press(chat, last_message(chat), "⚡ Buy now")
    if not only(calls, "sendInvoice"):
        calls = await shop.press(chat, last_message(chat), "🏬 Pick up at Storefront Studio")
    [invoice] = only(calls, "sendInvoice")
    return [p for p in invoice.params["prices"] if p["label"].startswith("Coupon")]


async def test_a_drops_coupon_button_applies_for_whom_it_was_sent(shop: RunningShop) -> None:
    ann = shop.standin.private_chat(8101, "Ann")
    bo = shop.standin.private_chat(8102, "Bo")
    for chat in (ann, bo):
        await shop.send(chat, "/start")
    coupon_id = await _coupon(shop, "DROP50")
    await _drop(shop, "DROP50", "chats:8101")
    gift = last_message(ann)
    data = _data(gift)
    assert data.startswith(f"ck:{coupon_id}:")  # signed for Ann's chat

    # Bo was not sent it: neither the bare id nor Ann's button (pressed in his chat) works.
    for forged in (f"ck:{coupon_id}", data):
        calls = await shop.press_data(bo, last_message(bo), forged)
        [answer] = only(calls, "answerCallbackQuery")
        assert answer.params["text"] in (
            NOT_GIVEN,
            "This button has expired. Please use the latest message.",
        )
        assert "DROP50" not in str(calls)
    assert await _applied_coupon(shop, 8102) is None

    calls = await shop.press(ann, gift, USE)
    assert "DROP50</b> applied: 50% off" in only(calls, "sendMessage")[0].params["text"]
    assert await _applied_coupon(shop, 8101) == coupon_id
    assert await _invoice_discount(shop, ann) == [{"label": "Coupon DROP50", "amount": -800}]


async def test_a_drop_in_a_group_serves_every_member_there(shop: RunningShop) -> None:
    group = shop.standin.group_chat(-1008103, "Buyers club")
    cy, di = shop.standin.user(8103, "Cy"), shop.standin.user(8104, "Di")
    coupon_id = await _coupon(shop, "CLUB50")
    await _drop(shop, "CLUB50", "chats:-1008103")
    post = last_message(group)
    data = _data(post)
    for member in (cy, di):
        calls = await shop.push(group.press(post, USE, from_user=member))
        assert "CLUB50</b> applied" in only(calls, "sendMessage")[0].params["text"]
        assert await _applied_coupon(shop, member.id) == coupon_id
    # The group's button copied into a private chat is not the group's any more.
    ed = shop.standin.private_chat(8105, "Ed")
    await shop.send(ed, "/start")
    calls = await shop.press_data(ed, last_message(ed), data)
    assert "CLUB50" not in str(calls)
    assert await _applied_coupon(shop, 8105) is None


async def test_a_creators_link_gives_its_coupon_by_a_button(shop: RunningShop) -> None:
    coupon_id = await _coupon(shop, "KOL50")
    async with shop.uows() as uow:
        token = await creators.invite(uow, 10, shop.now())
        await uow.commit()
    kim = shop.standin.private_chat(8106, "Kim")
    await shop.send(kim, f"/start ki_{token}")
    await shop.press(kim, last_message(kim), "✅ Accept")
    async with shop.uows() as uow:
        creator = await uow.trust.creator(8106)
        assert creator is not None
        assert await uow.trust.set_creator_coupon(8106, coupon_id)
        await uow.commit()

    fan = shop.standin.private_chat(8107, "Fan")
    calls = await shop.send(fan, f"/start k_{creator.code}")
    [gift] = [m for m in fan.messages() if "A gift with this link" in m.get("text", "")]
    assert "KOL50" in gift["text"] and "50% off" in gift["text"]
    assert only(calls, "sendMessage")
    calls = await shop.press(fan, gift, USE)
    assert "KOL50</b> applied" in only(calls, "sendMessage")[0].params["text"]
    assert await _invoice_discount(shop, fan) == [{"label": "Coupon KOL50", "amount": -800}]

    # Someone who never opened the link forges the button: nothing, and no code.
    eve = shop.standin.private_chat(8108, "Eve")
    await shop.send(eve, "/start")
    calls = await shop.press_data(eve, last_message(eve), f"ck:{coupon_id}")
    assert only(calls, "answerCallbackQuery")[0].params["text"] == NOT_GIVEN
    assert "KOL50" not in str(calls)
    assert await _applied_coupon(shop, 8108) is None


async def test_a_public_coupons_button_works_for_anyone(shop: RunningShop) -> None:
    owner = shop.standin.private_chat(ADMIN_ID, "Owner")
    calls = await shop.send(owner, "/admin coupon add OPEN50 50% public")
    assert "public (anyone may apply it by a button)" in str(calls)
    async with shop.uows() as uow:
        made = await uow.coupons.by_code("OPEN50")
    assert made is not None and made.public
    coupon_id = made.id
    staff = await _coupon(shop, "STAFF50")
    gus = shop.standin.private_chat(8109, "Gus")
    await shop.send(gus, "/start")
    calls = await shop.press_data(gus, last_message(gus), f"ck:{staff}")
    assert only(calls, "answerCallbackQuery")[0].params["text"] == NOT_GIVEN
    assert "STAFF50" not in str(calls)
    calls = await shop.press_data(gus, last_message(gus), f"ck:{coupon_id}")
    assert "OPEN50</b> applied: 50% off" in only(calls, "sendMessage")[0].params["text"]
    assert await _invoice_discount(shop, gus) == [{"label": "Coupon OPEN50", "amount": -800}]
