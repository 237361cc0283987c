"""Group buys end to end, on aiogram and on python-telegram-bot: a team opened from a card,
the invite (QR code, Share, the group's progress message), members paying seats, the team
filling or expiring, a restart across the deadline, and every bad input the issue lists."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path
from typing import Any

import numpy as np
import png
import pytest
import zxingcpp
from sqlalchemy import select

from bot.domain.group_buys import GroupDeal
from bot.domain.money import Money
from bot.domain.orders import OrderStatus
from bot.jobs.scheduler import make_scheduler, settle_teams
from bot.standin import SimChat
from storage.group_tables import CommissionRow, TeamRow
from storage.order_tables import OrderRow
from storage.tables import VariantRow
from tests.e2e.harness import (
    US,
    RunningShop,
    ShopClock,
    keyboard_texts,
    only,
    start_shop,
    stop_shop,
)

START = "👥 Group price $3.49 · team of 3"
JOIN = "💳 Join for $3.49"


async def _deal(shop: RunningShop, size: int = 3, commission: int = 10) -> int:
    async with shop.uows() as uow:
        variant_id = await uow.catalog.variant_by_sku("KJ-10")
        assert variant_id is not None
        deal = GroupDeal(
            variant_id, Money(349, "USD"), size, timedelta(hours=24), None, commission
        )
        await uow.groups.set_deal(deal)
        await uow.commit()
    return variant_id


async def _card(shop: RunningShop, chat: SimChat) -> dict[str, Any]:
    async with shop.uows() as uow:
        [pid] = await uow.catalog.search_ids(["konjac"], 5)
    await shop.send(chat, f"/start p_{pid}")
    card = chat.last_message()
    assert card is not None
    return card


async def _open(shop: RunningShop, leader: SimChat) -> int:
    card = await _card(shop, leader)
    [start] = [t for t in keyboard_texts(card) if t.startswith("👥 Group price $3.49")]
    calls = await shop.press(leader, card, start)
    [photo] = only(calls, "sendPhoto")
    assert photo.ok and photo.params["photo"] == {"upload": "invite.png"}
    async with shop.uows.engine.connect() as conn:
        return int(await conn.scalar(select(TeamRow.id).order_by(TeamRow.id.desc())))  # type: ignore[arg-type]


async def _join_and_pay(
    shop: RunningShop, chat: SimChat, team_id: int, *, pickup: bool = False
) -> list[Any]:
    """/start g_<team> -> Join -> (delivery) -> invoice -> pay; the calls of the payment."""
    await shop.send(chat, f"/start g_{team_id}")
    invite = chat.last_message()
    assert invite is not None and JOIN in keyboard_texts(invite), invite
    await shop.press(chat, invite, JOIN)
    asked = chat.last_message()
    assert asked is not None
    if "invoice" not in asked:
        choice = [t for t in keyboard_texts(asked) if ("Pick up" in t) == pickup][0]
        await shop.press(chat, asked, choice)
    invoice = chat.last_message()
    assert invoice is not None and "invoice" in invoice, invoice
    if pickup:
        return await shop.pay(chat, invoice, order_info={"name": "Member", "phone_number": "+1"})
    return await shop.pay(chat, invoice, order_info=US, shipping_option_id="us-standard")


async def _orders(shop: RunningShop, team_id: int) -> list[Any]:
    async with shop.uows.engine.connect() as conn:
        rows = await conn.execute(
            select(OrderRow).where(OrderRow.team_id == team_id).order_by(OrderRow.id)  # type: ignore[arg-type]
        )
        return list(rows.all())


async def _stock(shop: RunningShop) -> int:
    async with shop.uows.engine.connect() as conn:
        return int(await conn.scalar(select(VariantRow.stock).where(VariantRow.sku == "KJ-10")))  # type: ignore[arg-type]


def _decode_qr(content: bytes) -> str:
    width, height, rows, info = png.Reader(bytes=content).asDirect()
    pixels = np.vstack([np.asarray(row, dtype=np.uint8) for row in rows])
    if info["bitdepth"] == 1:
        pixels = pixels * 255
    pixels = pixels.reshape(height, width, info["planes"])[:, :, 0]
    [code] = zxingcpp.read_barcodes(np.ascontiguousarray(pixels))
    return str(code.text)


async def test_a_team_fills_every_member_is_told_and_the_leader_earns(
    shop: RunningShop,
) -> None:
    await _deal(shop)
    ann = shop.standin.private_chat(4001, "Ann")
    team_id = await _open(shop, ann)
    invite = ann.last_message()
    assert invite is not None and "photo" in invite
    assert "0 of 3 joined · 1 d 0 h left" in invite["caption"]
    assert keyboard_texts(invite) == [JOIN, "📤 Share", "👥 Post in a group", "🔳 QR code"]
    share = invite["reply_markup"]["inline_keyboard"][1][0]
    assert share["switch_inline_query"] == f"g_{team_id}"
    # The QR code in the photo reads back as the invite link.
    stored = shop.standin.state.files.get(invite["photo"][-1]["file_id"])
    assert stored is not None and stored.content
    assert _decode_qr(stored.content) == f"https://t.me/shop_e2e_bot?start=g_{team_id}"

    # The leader posts the team into a group: one progress message, kept up to date.
    group = shop.standin.group_chat(-4100, "Neighbours")
    leader = shop.standin.user(4001, "Ann")
    await shop.send(group, f"/start@shop_e2e_bot g_{team_id}", from_user=leader)
    await shop.settle()
    board = group.last_message()
    assert board is not None and "0 of 3 joined" in board["text"]
    assert board["reply_markup"]["inline_keyboard"][0][0]["url"].endswith(f"start=g_{team_id}")

    calls = await _join_and_pay(shop, ann, team_id)
    texts = [c.params["text"] for c in only(calls, "sendMessage")]
    assert any("Total: $8.48" in t for t in texts), texts  # $3.49 + $4.99 shipping
    assert any("You have seat 1 of 3" in t for t in texts), texts
    bob = shop.standin.private_chat(4002, "Bob")
    await _join_and_pay(shop, bob, team_id, pickup=True)
    shop.storefront.clock.advance(timedelta(seconds=5))  # type: ignore[attr-defined]
    await shop.worker.drain()
    board = group.stored(board["message_id"]).message
    assert "2 of 3 joined" in board["text"]

    carol = shop.standin.private_chat(4003, "Carol")
    calls = await _join_and_pay(shop, carol, team_id)
    assert any("Your seat completed group" in c.params["text"] for c in only(calls, "sendMessage"))
    await shop.settle()
    for chat in (ann, bob, carol):
        assert any(
            f"Group #{team_id} for Spicy Konjac Jelly (10 pack) is complete" in m.get("text", "")
            for m in chat.messages()
        ), chat.id
    # Ann leads it: 10% of each member's $3.49 (35¢, rounded half up once) is in her ledger.
    assert any("Commission earned: $1.05" in m.get("text", "") for m in ann.messages())
    orders = await _orders(shop, team_id)
    assert [o.status for o in orders] == [OrderStatus.PAID] * 3
    assert await _stock(shop) == 200 - 3
    async with shop.uows.engine.connect() as conn:
        ledger = (await conn.execute(select(CommissionRow.amount_minor))).scalars().all()
    assert sorted(ledger) == [35, 35, 35]

    shop.storefront.clock.advance(timedelta(seconds=5))  # type: ignore[attr-defined]
    await shop.worker.drain()
    board = group.stored(board["message_id"]).message
    assert "✅ Complete: 3 of 3 joined" in board["text"] and "reply_markup" not in board
    assert len(only(shop.standin.calls, "sendMessage")) > 0
    assert len([m for m in group.messages() if "Group buy" in m.get("text", "")]) == 1

    await shop.send(bob, f"/start o_{orders[1].id}")
    details = bob.last_message()
    assert details is not None and f"Group #{team_id}: ✅ Complete" in details["text"]
    assert "Storefront Studio" in details["text"]  # no leader point: the shop's pickup
    calls = await shop.send(ann, "/leader")
    [text] = [c.params["text"] for c in only(calls, "sendMessage")]
    assert f"#{team_id} Spicy Konjac Jelly (10 pack): ✅ Complete" in text
    assert "Commission earned: $1.05" in text
    # Joining a settled team, and the same person twice: told, nothing charged.
    dan = shop.standin.private_chat(4004, "Dan")
    await shop.send(dan, f"/start g_{team_id}")
    assert JOIN not in keyboard_texts(dan.last_message() or {})
    await shop.press_data(dan, dan.last_message(), f"gj:{team_id}")  # type: ignore[arg-type]
    assert "already complete" in (dan.last_message() or {})["text"]


async def test_the_deadline_refunds_every_member_once_and_a_late_payment_too(
    shop: RunningShop,
) -> None:
    variant_id = await _deal(shop)
    ann = shop.standin.private_chat(4011, "Ann")
    team_id = await _open(shop, ann)
    bob = shop.standin.private_chat(4012, "Bob")
    carol = shop.standin.private_chat(4013, "Carol")
    await _join_and_pay(shop, bob, team_id)
    await _join_and_pay(shop, carol, team_id)
    eve = shop.standin.private_chat(4015, "Eve")
    await shop.send(eve, f"/start g_{team_id}")
    await shop.press(eve, eve.last_message(), JOIN)  # type: ignore[arg-type]
    await shop.press(eve, eve.last_message(), "🚚 Deliver to my address")  # type: ignore[arg-type]
    eve_invoice = eve.last_message()
    assert eve_invoice is not None and "invoice" in eve_invoice
    assert await _stock(shop) == 198

    shop.storefront.clock.advance(timedelta(hours=25))  # type: ignore[attr-defined]
    assert await settle_teams(shop.worker) == 1
    await shop.settle()
    assert await settle_teams(shop.worker) == 0  # a second wake-up finds nothing to do
    await shop.settle()
    refunds = shop.stripe.requests_to("/v1/refunds", "POST")
    orders = await _orders(shop, team_id)
    paid = [o for o in orders if o.telegram_charge_id]
    assert sorted(r.params["charge"] for r in refunds) == sorted(
        o.provider_charge_id for o in paid
    )
    assert all(r.params["amount"] == "848" for r in refunds)
    assert all(o.status == OrderStatus.CANCELLED and o.refunded_minor == 848 for o in paid)
    assert await _stock(shop) == 200
    for chat in (bob, carol):
        told = chat.last_message()
        assert told is not None
        assert "didn't fill in time" in told["text"] or "Refund of $8.48" in told["text"]
        assert any(
            "⚡ Buy at the regular price" in keyboard_texts(m) for m in chat.messages()[-3:]
        )
    assert any("closed with 2 of 3" in m.get("text", "") for m in ann.messages())

    # The invoice Eve opened before the deadline: Telegram's sheet now refuses the seat...
    calls = await shop.pay(eve, eve_invoice, order_info=US, shipping_option_id="us-standard")
    [pre] = only(calls, "answerPreCheckoutQuery")
    assert pre.params["ok"] is False and "full or has ended" in pre.params["error_message"]
    # ...and a payment that arrives anyway (it raced the deadline) is refunded and explained.
    late = dict(shop.last_payment())
    [eve_order] = [o for o in await _orders(shop, team_id) if o.user_id == 4015]
    paid_info = dict(late["successful_payment"])
    paid_info.update(
        invoice_payload=f"o:{eve_order.id}:{eve_order.token}",
        telegram_payment_charge_id="tg-late-charge",
        provider_payment_charge_id="ch_late_charge",
        total_amount=848,
    )
    shop.stripe.register_charge("ch_late_charge", 848, "usd")
    user = {"id": 4015, "is_bot": False, "first_name": "Eve"}
    shop.standin.state.updates.push(
        {"message": {**late, "from": user, "chat": eve.chat, "successful_payment": paid_info}}
    )
    await shop.settle()
    assert any(
        "the group buy closed before it arrived" in m.get("text", "") for m in eve.messages()
    )
    refunds = shop.stripe.requests_to("/v1/refunds", "POST")
    assert [r.params["charge"] for r in refunds].count("ch_late_charge") == 1
    await shop.send(eve, f"/start g_{team_id}")
    await shop.press_data(eve, eve.last_message(), f"gj:{team_id}")  # type: ignore[arg-type]
    assert "has ended" in (eve.last_message() or {})["text"]
    assert variant_id


@pytest.mark.parametrize("framework", ["aiogram", "ptb"])
async def test_a_deadline_that_passes_while_the_bot_is_down_settles_once_on_start(
    framework: str, tmp_path: Path
) -> None:
    clock = ShopClock()
    shop = await start_shop(framework, tmp_path, clock=clock)  # type: ignore[arg-type]
    restarted: RunningShop | None = None
    try:
        await _deal(shop)
        ann = shop.standin.private_chat(4021, "Ann")
        team_id = await _open(shop, ann)
        bob = shop.standin.private_chat(4022, "Bob")
        await _join_and_pay(shop, bob, team_id)
        await stop_shop(shop, keep_servers=True)  # the process stops...
        clock.advance(timedelta(hours=30))  # ...the deadline passes while it is down...
        restarted = await start_shop(  # ...and it starts again on the same database
            framework,  # type: ignore[arg-type]
            tmp_path,
            clock=clock,
            fresh=False,
            standin=shop.standin,
            stripe=shop.stripe,
        )
        scheduler = make_scheduler(restarted.uows, restarted.worker)
        scheduler.start()
        try:
            for _ in range(100):
                if shop.stripe.requests_to("/v1/refunds", "POST"):
                    break
                await asyncio.sleep(0.1)
            await restarted.worker.idle()
        finally:
            scheduler.shutdown(wait=False)
        [refund] = shop.stripe.requests_to("/v1/refunds", "POST")
        [order] = await _orders(restarted, team_id)
        assert refund.params["charge"] == order.provider_charge_id
        assert order.status == OrderStatus.CANCELLED
        assert await settle_teams(restarted.worker) == 0
        await restarted.settle()
        assert len(shop.stripe.requests_to("/v1/refunds", "POST")) == 1
        assert any("didn't fill in time" in m.get("text", "") for m in bob.messages())
    finally:
        if restarted is not None:
            await stop_shop(restarted)
        else:
            await stop_shop(shop)


async def test_pickup_at_the_leaders_point_and_the_pickup_list(shop: RunningShop) -> None:
    await _deal(shop, size=2)
    ann = shop.standin.private_chat(4031, "Ann")
    # Not (yet) a leader: the leader's tools refuse politely and change nothing.
    calls = await shop.send(ann, "/leader")
    assert "for group-buy leaders" in only(calls, "sendMessage")[0].params["text"]
    calls = await shop.send(ann, "/leader pickup Corner Shop; 5 Elm St; 48")
    assert "Only leaders the shop appointed" in only(calls, "sendMessage")[0].params["text"]
    async with shop.uows() as uow:
        await uow.groups.set_leader(4031, None)
        await uow.commit()
    calls = await shop.send(ann, "/leader pickup Corner Shop")
    assert "Write it as" in only(calls, "sendMessage")[0].params["text"]
    calls = await shop.send(ann, "/leader pickup Corner Shop; 5 Elm St; 48")
    assert "Pickup point saved: Corner Shop, 5 Elm St (48 h)" in str(calls)

    team_id = await _open(shop, ann)
    assert "Pickup at Corner Shop, 5 Elm St" in (ann.last_message() or {})["caption"]
    bob = shop.standin.private_chat(4032, "Bob")
    await shop.send(bob, f"/start g_{team_id}")
    await shop.press(bob, bob.last_message(), JOIN)  # type: ignore[arg-type]
    asked = bob.last_message()
    assert asked is not None and "🏬 Pick up at Corner Shop" in keyboard_texts(asked)
    await _join_and_pay(shop, bob, team_id, pickup=True)
    cyd = shop.standin.private_chat(4033, "Cyd")
    calls = await _join_and_pay(shop, cyd, team_id, pickup=True)
    receipt = [
        c.params["text"]
        for c in only(calls, "sendMessage")
        if "Payment received" in c.params["text"]
    ]
    assert receipt and "Corner Shop" in receipt[0]
    await shop.settle()

    # A stranger pressing the leader's buttons is refused.
    calls = await shop.press_data(cyd, cyd.last_message(), f"gp:{team_id}")  # type: ignore[arg-type]
    assert "not one of your groups" in str(only(calls, "answerCallbackQuery")[0].params)

    await shop.send(ann, "/leader")
    calls = await shop.press(ann, ann.last_message(), f"📦 Pickup list #{team_id}")  # type: ignore[arg-type]
    listing = ann.last_message()
    assert listing is not None and listing["text"].count("⏳ to collect") == 2
    [first, _] = await _orders(shop, team_id)
    await shop.press(ann, listing, f"✅ #{first.id} collected")
    listing = ann.last_message()
    assert listing is not None and listing["text"].count("✅ collected") == 1
    await shop.settle()
    assert any(f"Order #{first.id} was collected" in m.get("text", "") for m in bob.messages())
    orders = await _orders(shop, team_id)
    assert orders[0].status == OrderStatus.DELIVERED and orders[1].status == OrderStatus.PAID
    calls = await shop.press_data(ann, listing, f"gc:{first.id}")
    assert "Already marked collected" in str(calls)


async def test_bad_group_inputs_get_clear_answers(shop: RunningShop) -> None:
    await _deal(shop, size=2)
    ann = shop.standin.private_chat(4041, "Ann")
    calls = await shop.send(ann, "/start g_999999")
    assert "That group buy doesn't exist" in only(calls, "sendMessage")[0].params["text"]
    team_id = await _open(shop, ann)
    await shop.press_data(ann, ann.last_message(), "gj:999999")  # type: ignore[arg-type]
    assert "doesn't exist" in (ann.last_message() or {})["text"]
    await _join_and_pay(shop, ann, team_id)
    await shop.press_data(ann, ann.last_message(), f"gj:{team_id}")  # type: ignore[arg-type]
    assert "already in this group" in (ann.last_message() or {})["text"]
    # Share types "@bot g_<team>" in the chosen chat: one card to post, validated by the spec.
    user = shop.standin.user(4041, "Ann")
    mark = len(shop.standin.calls)
    user.inline_query(f"g_{team_id}")
    user.inline_query("no such thing")
    await shop.settle()
    answers = only(shop.standin.calls[mark:], "answerInlineQuery")
    assert [len(a.params["results"]) for a in answers] == [1, 0]
    [card] = answers[0].params["results"]
    assert card["title"] == "Group buy: Spicy Konjac Jelly (10 pack)"
    assert "1 of 2 joined" in card["input_message_content"]["message_text"]
    assert all(a.ok for a in answers)
    # A forged or stale button for someone else's parcel.
    await shop.press_data(ann, ann.last_message(), "gc:1")  # type: ignore[arg-type]
    assert "not on your pickup list" in str(shop.standin.calls[-3:])


async def test_only_leaders_open_teams_when_the_shop_says_so(shop: RunningShop) -> None:
    await _deal(shop)
    shop.storefront.config.group_leaders_only = True
    bob = shop.standin.private_chat(4051, "Bob")
    card = await _card(shop, bob)
    calls = await shop.press(bob, card, START)
    [answer] = only(calls, "answerCallbackQuery")
    assert "Only the shop's group leaders" in answer.params["text"]
    async with shop.uows.engine.connect() as conn:
        assert await conn.scalar(select(TeamRow.id)) is None
