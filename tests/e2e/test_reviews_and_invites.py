"""Verified reviews and buyer invites end to end, on aiogram and on python-telegram-bot: the
rating asked once after delivery, the text stripped of markup, the card's "★ 5.0 · 1 sold"
line, the merchant hiding a review (audited); a friend's invite rewarding both once after the
return window; and every bad input the issue lists."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from sqlalchemy import select

from bot.jobs.scheduler import settle_trust
from bot.services import orders, reviews
from bot.standin import SimChat
from storage.order_tables import CouponRow, OrderRow
from storage.trust_tables import BuyerInviteRow, ReviewAuditRow, ReviewRow
from tests.e2e.harness import RunningShop, ShopClock, last_message, only

PICKUP = "🏬 Pick up at Storefront Studio"


async def _pid(shop: RunningShop, word: str) -> int:
    async with shop.uows() as uow:
        [pid] = await uow.catalog.search_ids([word], 5)
    return pid


async def _card(shop: RunningShop, chat: SimChat, word: str) -> dict[str, Any]:
    await shop.send(chat, f"/start p_{await _pid(shop, word)}")
    return last_message(chat)


async def _buy(shop: RunningShop, chat: SimChat, word: str) -> int:
    await shop.press(chat, await _card(shop, chat, word), "⚡ Buy now")
    asked = last_message(chat)
    if "invoice" not in asked:
        await shop.press(chat, asked, PICKUP)
    invoice = last_message(chat)
    assert "invoice" in invoice, invoice
    await shop.pay(chat, invoice, order_info={"name": "Buyer"})
    async with shop.uows.engine.connect() as conn:
        return int(
            await conn.scalar(
                select(OrderRow.id)  # type: ignore[arg-type]
                .where(OrderRow.user_id == chat.id, OrderRow.status == "paid")  # type: ignore[arg-type]
                .order_by(OrderRow.id.desc())  # type: ignore[union-attr]
            )
        )


async def _deliver(shop: RunningShop, order_id: int) -> None:
    async with shop.uows() as uow:
        assert (await orders.mark_delivered(uow, order_id, shop.now())).refused is None
        await uow.commit()
    shop.worker.kick()
    await shop.settle()


def _caption(message: dict[str, Any]) -> str:
    return str(message.get("caption") or message.get("text"))


async def test_a_verified_review_shows_on_the_card_and_bad_reviews_are_refused(
    shop: RunningShop,
) -> None:
    ann = shop.standin.private_chat(4201, "Ann")
    pid = await _pid(shop, "konjac")
    other = await _pid(shop, "tripod")
    order_id = await _buy(shop, ann, "konjac")

    # Before delivery: no review, whatever the button says.
    calls = await shop.press_data(ann, last_message(ann), f"rr:{order_id}:{pid}:5")
    assert "Only buyers" in only(calls, "answerCallbackQuery")[0].params["text"]

    await _deliver(shop, order_id)
    ask = last_message(ann)
    assert "How was Spicy Konjac Jelly" in ask["text"]
    assert [b["text"] for b in ask["reply_markup"]["inline_keyboard"][0]] == [
        "1★",
        "2★",
        "3★",
        "4★",
        "5★",
    ]
    # A product not in the order, a rating out of range, someone else's order: refused.
    calls = await shop.press_data(ann, ask, f"rr:{order_id}:{other}:5")
    assert "Only buyers" in only(calls, "answerCallbackQuery")[0].params["text"]
    calls = await shop.press_data(ann, ask, f"rr:{order_id}:{pid}:9")
    assert "1 to 5 stars" in only(calls, "answerCallbackQuery")[0].params["text"]
    bo = shop.standin.private_chat(4202, "Bo")
    await shop.send(bo, "/start")
    calls = await shop.press_data(bo, last_message(bo), f"rr:{order_id}:{pid}:1")
    assert "Only buyers" in only(calls, "answerCallbackQuery")[0].params["text"]

    calls = await shop.press(ann, ask, "5★")
    assert "Add a few words" in str(calls)
    # 10 kB of text: refused, the step stays; markup is stripped from what is kept.
    calls = await shop.send(ann, "x" * 10_000)
    assert "at most 500 characters" in str(calls)
    calls = await shop.send(ann, "<b>*")
    assert "no text left" in str(calls)
    await shop.send(ann, 'So <b>spicy</b> **yum** [win](https://evil.example) <a href="x">me</a>')
    assert "review is up" in last_message(ann)["text"]
    async with shop.uows.engine.connect() as conn:
        [review] = (await conn.execute(select(ReviewRow))).all()  # type: ignore[call-overload]
    assert review.rating == 5 and review.text == "So spicy yum win me"

    # The stars made way for the question; a second review of the product is refused.
    edited = next(m for m in ann.messages() if m["message_id"] == ask["message_id"])
    assert "reply_markup" not in edited and "Add a few words" in edited["text"]
    calls = await shop.press_data(ann, ask, f"rr:{order_id}:{pid}:4")
    assert "already reviewed" in only(calls, "answerCallbackQuery")[0].params["text"]

    card = await _card(shop, bo, "konjac")
    assert "★ 5.0 · 1 sold" in _caption(card)
    assert "★★★★★ “So spicy yum win me” — Ann" in _caption(card)

    # The merchant hides it (audited): the card no longer counts it; a reply reaches Ann.
    async with shop.uows() as uow:
        assert await reviews.set_visible(uow, review.id, False, "cli", "abusive", shop.now())
        assert await reviews.reply(uow, review.id, "cli", "Thanks <i>Ann</i>!", shop.now())
        await uow.commit()
    shop.worker.kick()
    await shop.settle()
    assert (
        "The shop replied" in last_message(ann)["text"]
        and "Thanks Ann!" in last_message(ann)["text"]
    )
    card = await _card(shop, bo, "konjac")
    assert "1 sold" in _caption(card) and "★" not in _caption(card)
    async with shop.uows.engine.connect() as conn:
        audit = (await conn.execute(select(ReviewAuditRow.action))).scalars().all()  # type: ignore[call-overload]
    assert audit == ["hide", "reply"]

    # A photo is a review too (its caption, plain, as the words); outside a review it is not.
    await _deliver(shop, await _buy(shop, bo, "konjac"))
    calls = await shop.press(bo, last_message(bo), "4★")
    assert "or a photo" in str(calls)
    photo = bo.send_photo(caption="Looks <b>exactly</b> like this")
    await shop.push(photo)
    assert "review is up" in last_message(bo)["text"]
    async with shop.uows.engine.connect() as conn:
        row = (await conn.execute(select(ReviewRow).where(ReviewRow.user_id == 4202))).one()  # type: ignore[arg-type, call-overload]
    assert row.photo_file_id and row.text == "Looks exactly like this" and row.rating == 4
    card = await _card(shop, ann, "konjac")
    assert "★ 4.0 · 2 sold" in _caption(card)
    assert "★★★★ 📷 “Looks exactly like this” — Bo" in _caption(card)
    photo = bo.send_photo()
    calls = await shop.push(photo)
    assert "review is up" not in str(calls)


def _code(text: str) -> str:
    found = re.search(r"start=f_([A-Za-z0-9]+)", text)
    assert found, text
    return found.group(1)


async def _coupons(shop: RunningShop) -> list[str]:
    async with shop.uows.engine.connect() as conn:
        return list((await conn.execute(select(CouponRow.code))).scalars().all())  # type: ignore[call-overload]


async def test_a_friends_invite_rewards_both_once_and_bad_invites_are_refused(
    shop: RunningShop,
) -> None:
    ann = shop.standin.private_chat(4301, "Ann")
    calls = await shop.send(ann, "/invite")
    code = _code(only(calls, "sendMessage")[0].params["text"])
    calls = await shop.send(ann, "/invite")  # the same link every time
    assert _code(only(calls, "sendMessage")[0].params["text"]) == code

    calls = await shop.send(ann, f"/start f_{code}")
    assert "your own invite link" in str(calls)
    eve = shop.standin.private_chat(4302, "Eve")
    calls = await shop.send(eve, "/start f_NOSUCHCODE")
    assert "invite link is not valid" in str(calls)
    # Someone who bought already is not new.
    dan = shop.standin.private_chat(4303, "Dan")
    await _buy(shop, dan, "tripod")
    calls = await shop.send(dan, f"/start f_{code}")
    assert "people new to the shop" in str(calls)

    cy = shop.standin.private_chat(4304, "Cy")
    calls = await shop.send(cy, f"/start f_{code}")
    assert "A friend invited you" in str(calls)
    calls = await shop.send(cy, f"/start f_{code}")
    assert "already invited" in str(calls)
    order_id = await _buy(shop, cy, "konjac")
    await _deliver(shop, order_id)

    assert await settle_trust(shop.worker) == 0  # the return window is still open
    assert isinstance(shop.storefront.clock, ShopClock)
    shop.storefront.clock.advance(timedelta(days=8))
    assert await settle_trust(shop.worker) == 1
    assert await settle_trust(shop.worker) == 0  # once
    await shop.settle()
    coupons = [c for c in await _coupons(shop) if c.startswith("FRIEND-")]
    assert len(coupons) == 2
    for chat in (ann, cy):
        reward = last_message(chat)
        text = reward["text"]
        assert "Here's your coupon" in text
        [mine] = [c for c in coupons if c in text]
        # A reward coupon is personal: someone else who learns the code cannot use it...
        calls = await shop.send(eve, f"/coupon {mine}")
        assert "someone else's personal coupon" in only(calls, "sendMessage")[0].params["text"]
        # ... nor its button (the same data pressed under Eve's own message).
        [[button]] = reward["reply_markup"]["inline_keyboard"]
        assert button["text"] == "🎟 Use the coupon"
        calls = await shop.press_data(eve, last_message(eve), button["callback_data"])
        [answer] = only(calls, "answerCallbackQuery")
        assert answer.params["text"] == "This coupon isn't available to you."
        assert mine not in str(calls)
        # Its owner applies it by the button (Ann) or by typing the code (Cy).
        if chat is ann:
            calls = await shop.press(chat, reward, "🎟 Use the coupon")
        else:
            calls = await shop.send(chat, f"/coupon {mine}")
        assert "applied: 10% off" in only(calls, "sendMessage")[0].params["text"]
    async with shop.uows.engine.connect() as conn:
        [invite] = (await conn.execute(select(BuyerInviteRow))).all()  # type: ignore[call-overload]
    assert (invite.inviter_id, invite.invitee_id, invite.status) == (4301, 4304, "rewarded")
    # A second order of the friend rewards nobody again.
    await _deliver(shop, await _buy(shop, cy, "tripod"))
    shop.storefront.clock.advance(timedelta(days=8))
    assert await settle_trust(shop.worker) == 0
