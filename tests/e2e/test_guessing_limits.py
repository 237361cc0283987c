"""Guessing limits end to end, on aiogram and on python-telegram-bot: a buyer's 11th wrong code
within 10 minutes (coupons typed at checkout, by /coupon or as c_ links; group-buy, invite,
creator, flash-sale and order links) is refused with the cool-down message, and so is a right
code then, unlooked-up; other buyers are not affected; after the window codes work again."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import func, select

from bot.domain.coupons import Coupon, CouponKind
from bot.standin import RecordedCall, SimChat
from storage.tables import WrongGuessRow
from tests.e2e.harness import RunningShop, ShopClock, only

COOLING = "Too many wrong codes (10 within 10 min)"


def _texts(calls: list[RecordedCall]) -> str:
    return "\n".join(c.params["text"] for c in only(calls, "sendMessage"))


async def _wrong_guesses(shop: RunningShop, user_id: int) -> int:
    async with shop.uows.engine.connect() as conn:
        query = select(func.count()).where(WrongGuessRow.user_id == user_id)  # type: ignore[arg-type]
        return int(await conn.scalar(query) or 0)


async def _applied_coupon(shop: RunningShop, user_id: int) -> int | None:
    async with shop.uows() as uow:
        return await uow.prefs.coupon_of(user_id)


def _clock(shop: RunningShop) -> ShopClock:
    clock = shop.storefront.clock
    assert isinstance(clock, ShopClock)
    return clock


async def _say(shop: RunningShop, chat: SimChat, text: str) -> str:
    return _texts(await shop.send(chat, text))


async def test_the_eleventh_wrong_coupon_cools_down_even_a_right_code_until_the_window_ends(
    shop: RunningShop,
) -> None:
    async with shop.uows() as uow:
        save10 = await uow.coupons.create(
            Coupon(0, "SAVE10", CouponKind.PERCENT, percent=10), shop.now()
        )
        await uow.commit()
    ann = shop.standin.private_chat(5101, "Ann")
    # Text that cannot be a code is never looked up, so it is no guess.
    assert "Type your coupon code" in await _say(shop, ann, "/coupon")
    assert "no coupon with that code" in await _say(shop, ann, "not a code at all!")
    assert await _wrong_guesses(shop, 5101) == 0
    # Ten wrong codes, every way a coupon can be typed or opened; each refused as unknown.
    for n in range(4):
        assert "no coupon with that code" in await _say(shop, ann, f"/coupon NOPE{n}")
    for n in range(4, 7):
        assert "no coupon with that code" in await _say(shop, ann, f"/start c_NOPE{n}")
    for n in range(7, 10):
        assert "Type your coupon code" in await _say(shop, ann, "/coupon")
        assert "no coupon with that code" in await _say(shop, ann, f"nope{n}")
    assert await _wrong_guesses(shop, 5101) == 10

    # The 11th wrong code, then the right one: refused unchecked, saying until when.
    refused = await _say(shop, ann, "/coupon NOPE10")
    assert COOLING in refused and "even a right one" in refused
    assert re.search(r"wait 10 minutes \(until \d\d:\d\d UTC\)", refused), refused
    refused = await _say(shop, ann, "/start c_SAVE10")
    assert COOLING in refused and "applied" not in refused
    assert "Type your coupon code" in await _say(shop, ann, "/coupon")
    refused = await _say(shop, ann, "SAVE10")  # typed at the prompt: refused the same way
    assert COOLING in refused
    assert "Check the code" not in refused  # and no longer asked for one
    assert await _applied_coupon(shop, 5101) is None
    assert await _wrong_guesses(shop, 5101) == 10  # what was refused unchecked is not counted

    # Someone else is not held back by Ann's guessing.
    bob = shop.standin.private_chat(5102, "Bob")
    assert "SAVE10</b> applied" in await _say(shop, bob, "/coupon save10")

    # After the window every code is looked up again; a right one does not count.
    _clock(shop).advance(timedelta(minutes=9))
    assert COOLING in await _say(shop, ann, "/coupon SAVE10")
    _clock(shop).advance(timedelta(minutes=1, seconds=1))
    assert "SAVE10</b> applied" in await _say(shop, ann, "/coupon SAVE10")
    assert await _applied_coupon(shop, 5101) == save10
    assert await _wrong_guesses(shop, 5101) == 10


async def test_wrong_group_invite_creator_sale_and_order_links_count_together(
    shop: RunningShop,
) -> None:
    ann = shop.standin.private_chat(5201, "Ann")
    calls = await shop.send(ann, "/invite")
    found = re.search(r"start=f_([A-Za-z0-9]+)", _texts(calls))
    assert found is not None
    code = found.group(1)

    cy = shop.standin.private_chat(5203, "Cy")
    wrong_links = {
        "g_999001": "group buy doesn't exist",
        "g_999002": "group buy doesn't exist",
        "f_NOSUCHCODE1": "invite link is not valid",
        "f_NOSUCHCODE2": "invite link is not valid",
        "k_NOSUCH22": "creator link is not valid",
        "k_NOSUCH33_1": "creator link is not valid",
        "ki_" + "x" * 20: "creator invitation is not valid",
        "s_999003": "flash sale doesn't exist",
        "o_999004": "not in your list",
        "g_999005": "group buy doesn't exist",
    }
    for payload, reason in wrong_links.items():
        assert reason in await _say(shop, cy, f"/start {payload}"), payload
    assert await _wrong_guesses(shop, 5203) == 10

    # The 11th: a group link; then Ann's real invite code is refused unchecked too.
    assert COOLING in await _say(shop, cy, "/start g_999006")
    refused = await _say(shop, cy, f"/start f_{code}")
    assert COOLING in refused and "invited you" not in refused
    async with shop.uows() as uow:
        assert await uow.trust.buyer_invite(5203) is None
    # A creator's product link still shows the product; only the code is not looked up.
    assert COOLING in await _say(shop, cy, "/start k_NOSUCH44")
    assert await _wrong_guesses(shop, 5203) == 10

    _clock(shop).advance(timedelta(minutes=10, seconds=1))
    assert "A friend invited you" in await _say(shop, cy, f"/start f_{code}")
    async with shop.uows() as uow:
        invite = await uow.trust.buyer_invite(5203)
    assert invite is not None and invite.inviter_id == 5201
    assert "group buy doesn't exist" in await _say(shop, cy, "/start g_999007")
    assert await _wrong_guesses(shop, 5203) == 11
