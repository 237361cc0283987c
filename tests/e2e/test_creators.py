"""Creators end to end, on aiogram and on python-telegram-bot: an invitation accepted, share
links and the ready teaser, last-click attribution, the commission pending, settled after the
return window (the shop's clock moved forward) and reversed by a refund, the dashboard, the
chart and payouts; and every bad input the issue lists."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from sqlalchemy import select

from bot.jobs.scheduler import settle_trust
from bot.services import creators, orders
from bot.standin import SimChat
from storage.trust_tables import CreatorClickRow, CreatorCommissionRow, CreatorRow
from tests.e2e.harness import ADMIN_ID, RunningShop, ShopClock, keyboard_texts, last_message, only

PICKUP = "🏬 Pick up at Storefront Studio"


async def _pid(shop: RunningShop, word: str) -> int:
    async with shop.uows() as uow:
        [pid] = await uow.catalog.search_ids([word], 5)
    return pid


async def _buy(shop: RunningShop, chat: SimChat, card: dict[str, Any]) -> None:
    await shop.press(chat, card, "⚡ Buy now")
    asked = last_message(chat)
    if "invoice" not in asked:
        await shop.press(chat, asked, PICKUP)
    invoice = last_message(chat)
    assert "invoice" in invoice, invoice
    await shop.pay(chat, invoice, order_info={"name": "Buyer"})


async def _become_creator(shop: RunningShop, chat: SimChat, rate: int = 10) -> str:
    admin = shop.standin.private_chat(ADMIN_ID, "Boss")
    calls = await shop.send(admin, f"/creator invite {rate}")
    text = only(calls, "sendMessage")[0].params["text"]
    token = re.search(r"start=ki_([A-Za-z0-9_-]+)", text)
    assert token, text
    await shop.send(chat, f"/start ki_{token.group(1)}")
    offer = last_message(chat)
    assert f"earn {rate}%" in offer["text"]
    await shop.press(chat, offer, "✅ Accept")
    welcome = last_message(chat)["text"]
    async with shop.uows.engine.connect() as conn:
        code = await conn.scalar(
            select(CreatorRow.code).where(CreatorRow.user_id == chat.id)  # type: ignore[arg-type]
        )
    assert code and f"creator code is {code}" in welcome
    assert f"https://t.me/shop_e2e_bot?start=k_{code}" in welcome
    return str(code)


async def _commission(shop: RunningShop) -> list[Any]:
    async with shop.uows.engine.connect() as conn:
        rows = await conn.execute(select(CreatorCommissionRow).order_by(CreatorCommissionRow.id))  # type: ignore[arg-type]
        return list(rows.all())


async def test_link_purchase_pending_settled_then_refund_reverses(shop: RunningShop) -> None:
    kim = shop.standin.private_chat(4101, "Kim")
    code = await _become_creator(shop, kim)
    pid = await _pid(shop, "konjac")

    # The creator's product link and the teaser to forward, Buy carrying the link.
    calls = await shop.send(kim, "/creator link KJ-10")
    link = f"https://t.me/shop_e2e_bot?start=k_{code}_{pid}"
    assert link in only(calls, "sendMessage")[0].params["text"]
    calls = await shop.press(kim, last_message(kim), "📣 Post to my channel")
    teaser = [c for c in calls if c.method in ("sendVideo", "sendPhoto", "sendMessage")][0]
    assert teaser.ok and "Spicy Konjac Jelly" in str(teaser.params)
    button = teaser.params["reply_markup"]["inline_keyboard"][0][0]
    assert button == {"text": "🛒 Buy", "url": link}

    # A buyer opens it and buys: a pending commission of 10% of the goods.
    ann = shop.standin.private_chat(4102, "Ann")
    await shop.send(ann, f"/start k_{code}_{pid}")
    card = last_message(ann)
    assert "Spicy Konjac Jelly" in str(card)
    await _buy(shop, ann, card)
    [earned] = await _commission(shop)
    assert (earned.creator_id, earned.buyer_id, earned.status) == (4101, 4102, "pending")
    assert earned.amount_minor == 50 and earned.revenue_minor == 499
    assert "An order came in through your link: $0.50 commission" in last_message(kim)["text"]

    calls = await shop.send(kim, "/creator")
    board = only(calls, "sendMessage")[0].params["text"]
    assert "Clicks: 1" in board and "Buyers: 1 · Orders: 1 · Revenue: $4.99" in board
    assert "Commission pending: $0.50 · settled: $0.00" in board
    assert "Spicy Konjac Jelly (10 pack): 1" in board

    # Delivered; nothing settles while the return window is open, then it does, once.
    async with shop.uows() as uow:
        assert (await orders.mark_delivered(uow, earned.order_id, shop.now())).refused is None
        await uow.commit()
    assert await settle_trust(shop.worker) == 0
    assert isinstance(shop.storefront.clock, ShopClock)
    shop.storefront.clock.advance(timedelta(days=8))
    assert await settle_trust(shop.worker) == 1
    assert await settle_trust(shop.worker) == 0
    await shop.settle()
    [earned] = await _commission(shop)
    assert earned.status == "settled"
    assert "$0.50 commission settled" in last_message(kim)["text"]
    calls = await shop.send(kim, "/creator")
    assert "pending: $0.00 · settled: $0.50" in only(calls, "sendMessage")[0].params["text"]

    # The chart is a PNG photo.
    calls = await shop.press(kim, last_message(kim), "📈 Chart")
    [photo] = only(calls, "sendPhoto")
    assert photo.ok and photo.params["photo"] == {"upload": "creator-chart.png"}

    # A refund after settling reverses it.
    async with shop.uows() as uow:
        outcome = await orders.merchant_refund(uow, earned.order_id, None, shop.now())
        assert outcome.refused is None
        await uow.commit()
    shop.worker.kick()
    await shop.settle()
    [earned] = await _commission(shop)
    assert earned.status == "reversed" and earned.reversed_minor == 50
    calls = await shop.send(kim, "/creator")
    assert "settled: $0.00" in only(calls, "sendMessage")[0].params["text"]


async def test_payouts_requested_by_the_creator_and_marked_paid(shop: RunningShop) -> None:
    kim = shop.standin.private_chat(4111, "Kim")
    code = await _become_creator(shop, kim, rate=20)
    ann = shop.standin.private_chat(4112, "Ann")
    await shop.send(ann, f"/start k_{code}")  # the shop link: the click counts for any order
    card = await _card(shop, ann, "tripod")
    await _buy(shop, ann, card)
    [earned] = await _commission(shop)
    assert earned.amount_minor == 320  # 20% of $15.99
    async with shop.uows() as uow:
        await orders.mark_delivered(uow, earned.order_id, shop.now())
        await uow.commit()
    assert isinstance(shop.storefront.clock, ShopClock)
    shop.storefront.clock.advance(timedelta(days=8))
    await settle_trust(shop.worker)
    await shop.settle()

    await shop.send(kim, "/creator")
    board = last_message(kim)
    calls = await shop.press(kim, board, "💸 Request payout")
    assert "Payout of $3.20 requested" in str(calls)
    await shop.settle()
    boss = shop.standin.private_chat(ADMIN_ID, "Boss")
    assert (
        "asks for a payout of $3.20. Mark it paid: storefront creators pay 1"
        in last_message(boss)["text"]
    )
    calls = await shop.press(kim, board, "💸 Request payout")  # nothing left to ask
    [answer] = only(calls, "answerCallbackQuery")
    assert "No settled commission" in answer.params["text"]

    async with shop.uows() as uow:
        [payout] = await uow.trust.payouts("requested", 10)
        assert await creators.mark_paid(uow, payout.id, shop.now()) is not None
        assert await creators.mark_paid(uow, payout.id, shop.now()) is None  # once
        await uow.commit()
    shop.worker.kick()
    await shop.settle()
    assert "of $3.20 was paid" in last_message(kim)["text"]
    calls = await shop.send(kim, "/creator")
    assert "Paid out: $3.20 · requested: $0.00 · available: $0.00" in str(calls)


async def test_the_bot_posts_the_teaser_in_a_channel_the_creator_administers(
    shop: RunningShop,
) -> None:
    kim = shop.standin.private_chat(4131, "Kim")
    code = await _become_creator(shop, kim)
    pid = await _pid(shop, "konjac")
    channel = shop.standin.channel_chat(-100_4131, "Kim's picks", username="kims_picks")
    others = shop.standin.channel_chat(-100_4132, "The shop", username="the_shop_news")

    # Not an admin of that channel: refused, nothing posted there.
    await shop.send(kim, "/creator post @the_shop_news KJ-10")
    await shop.settle()
    assert "don't administer @the_shop_news" in last_message(kim)["text"]
    assert others.messages() == []
    await shop.send(kim, "/creator post @nosuchchannel")
    await shop.settle()
    assert "can't find @nosuchchannel" in last_message(kim)["text"]
    calls = await shop.send(kim, "/creator post nowhere")
    assert "Usage: /creator post" in str(calls)

    channel.record.admins.add(kim.id)
    calls = await shop.send(kim, "/creator post @kims_picks KJ-10")
    assert "Posting your teaser to @kims_picks" in str(calls)
    await shop.settle()
    [post] = channel.messages()
    assert "Spicy Konjac Jelly" in str(post)
    link = f"https://t.me/shop_e2e_bot?start=k_{code}_{pid}"
    assert post["reply_markup"]["inline_keyboard"] == [[{"text": "🛒 Buy", "url": link}]]
    assert "teaser is posted in @kims_picks" in last_message(kim)["text"]
    await shop.send(kim, "/creator post @kims_picks")  # the shop's teaser
    await shop.settle()
    shop_post = channel.messages()[-1]
    assert shop_post["reply_markup"]["inline_keyboard"][0][0]["url"].endswith(f"start=k_{code}")


async def _card(shop: RunningShop, chat: SimChat, word: str) -> dict[str, Any]:
    await shop.send(chat, f"/start p_{await _pid(shop, word)}")
    return last_message(chat)


async def _clicks(shop: RunningShop) -> int:
    async with shop.uows.engine.connect() as conn:
        return len((await conn.execute(select(CreatorClickRow.id))).all())  # type: ignore[call-overload]


async def test_bad_creator_input_credits_nobody(shop: RunningShop) -> None:
    kim = shop.standin.private_chat(4121, "Kim")
    code = await _become_creator(shop, kim)
    pid = await _pid(shop, "konjac")

    # Unknown, forged and malformed codes: a clear message, the product (or shop) still opens.
    eve = shop.standin.private_chat(4122, "Eve")
    calls = await shop.send(eve, f"/start k_ZZZZZZZZ_{pid}")
    texts = str(calls)
    assert "creator link is not valid" in texts and "Spicy Konjac Jelly" in texts
    calls = await shop.send(eve, "/start k_nope")
    assert "creator link is not valid" in str(calls)
    calls = await shop.send(eve, "/start k_<b>x</b>")
    assert "Welcome" in str(calls)
    assert await _clicks(shop) == 0

    # The creator's own link: refused, and their own purchase earns nothing.
    calls = await shop.send(kim, f"/start k_{code}_{pid}")
    assert "your own creator link" in str(calls)
    await _buy(shop, kim, last_message(kim))
    assert await _clicks(shop) == 0 and await _commission(shop) == []

    # A click older than the window credits nobody.
    bo = shop.standin.private_chat(4123, "Bo")
    await shop.send(bo, f"/start k_{code}_{pid}")
    assert isinstance(shop.storefront.clock, ShopClock)
    shop.storefront.clock.advance(timedelta(days=8))
    await _buy(shop, bo, await _card(shop, bo, "konjac"))
    assert await _commission(shop) == []

    # Invitations: forged, used by someone else, expired, and a forged Accept button.
    calls = await shop.send(eve, "/start ki_forgedforgedforged123")
    assert "invitation is not valid" in str(calls)
    boss = shop.standin.private_chat(ADMIN_ID, "Boss")
    calls = await shop.send(boss, "/creator invite 10")
    token = re.search(r"start=ki_([A-Za-z0-9_-]+)", str(calls))
    assert token
    await shop.send(eve, f"/start ki_{token.group(1)}")
    offer = last_message(eve)
    accept = offer["reply_markup"]["inline_keyboard"][0][0]["callback_data"]
    mallory = shop.standin.private_chat(4124, "Mallory")
    calls = await shop.send(mallory, f"/start ki_{token.group(1)}")
    assert "already used" in str(calls)
    calls = await shop.press_data(mallory, last_message(mallory), accept)
    assert "already used" in only(calls, "answerCallbackQuery")[0].params["text"]
    shop.storefront.clock.advance(timedelta(days=8))
    calls = await shop.press(eve, offer, "✅ Accept")
    assert "expired" in only(calls, "answerCallbackQuery")[0].params["text"]
    calls = await shop.send(boss, "/creator invite 99")
    assert "0 to 50" in str(calls)

    # Not a creator: the dashboard and its buttons are refused.
    calls = await shop.send(eve, "/creator")
    assert "not a creator" in str(calls)
    calls = await shop.press_data(eve, offer, "kc")
    assert "not a creator" in only(calls, "answerCallbackQuery")[0].params["text"]
    assert keyboard_texts(offer) == ["✅ Accept"]
