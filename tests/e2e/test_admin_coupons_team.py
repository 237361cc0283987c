"""The console's coupons and team end to end, on aiogram and on python-telegram-bot: a coupon
made in chat (guided, and in one line) redeemed by a buyer at checkout, disabled after a
confirmation; staff added by the owner open /admin but not Team; a buyer's /admin, forged
console buttons and videos are refused or answered as usual, and nothing changes."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from bot.conversation.screens.admin.registry import admin_cb
from bot.domain.coupons import Coupon, CouponKind
from bot.domain.money import Money
from bot.standin import SimChat
from storage.admin_tables import AdminAuditRow, StaffRow
from storage.group_tables import LeaderRow
from storage.order_tables import CouponRow
from storage.tables import MediaRow, ProductRow, VariantRow
from tests.e2e.harness import ADMIN_ID, RunningShop, keyboard_texts, last_message, only

PICKUP = "🏬 Pick up at Storefront Studio"


async def _said(shop: RunningShop, chat: SimChat, text: str) -> str:
    calls = await shop.send(chat, text)
    return "\n".join(c.params["text"] for c in only(calls, "sendMessage"))


async def _counts(shop: RunningShop) -> dict[str, int]:
    tables = [ProductRow, VariantRow, MediaRow, CouponRow, StaffRow, AdminAuditRow, LeaderRow]
    async with shop.uows.engine.connect() as conn:
        return {
            t.__tablename__: int(await conn.scalar(select(func.count()).select_from(t)) or 0)  # type: ignore[attr-defined]
            for t in tables
        }


async def _actions(shop: RunningShop) -> list[str]:
    async with shop.uows.engine.connect() as conn:
        rows = await conn.execute(select(AdminAuditRow.action).order_by(AdminAuditRow.id))  # type: ignore[arg-type]
        return [str(r[0]) for r in rows.all()]


async def _invoice_prices(shop: RunningShop, buyer: SimChat) -> list[dict[str, Any]]:
    await shop.send(buyer, "/search konjac")
    await shop.press(buyer, last_message(buyer), "⚡ Buy now")
    if "invoice" not in last_message(buyer):
        await shop.press(buyer, last_message(buyer), PICKUP)
    assert "invoice" in last_message(buyer), last_message(buyer)
    [sent] = [c for c in shop.standin.calls if c.method == "sendInvoice"][-1:]
    return list(sent.params["prices"])


async def test_a_coupon_made_step_by_step_is_redeemed_at_checkout(shop: RunningShop) -> None:
    boss = shop.standin.private_chat(ADMIN_ID, "Boss")
    await shop.send(boss, "/admin")
    await shop.press(boss, last_message(boss), "🏷 Coupons")
    await shop.press(boss, last_message(boss), "➕ New coupon")
    assert "can't be a code" in await _said(shop, boss, "no way!")
    await shop.send(boss, "spring15")
    kinds = last_message(boss)
    assert keyboard_texts(kinds)[:3] == ["Percent off", "An amount off", "Free shipping"]
    await shop.press(boss, kinds, "Percent off")
    assert "from 1 to 100" in await _said(shop, boss, "150")
    assert "Minimum order subtotal in USD" in await _said(shop, boss, "15")
    await shop.press(boss, last_message(boss), "⏭ Skip")
    assert "whole number" in await _said(shop, boss, "lots")
    await shop.send(boss, "100")
    await shop.send(boss, "1")
    assert "created: 15% off" in await _said(shop, boss, "7")
    async with shop.uows() as uow:
        coupon = await uow.coupons.by_code("SPRING15")
    assert coupon is not None and (coupon.usage_limit, coupon.per_buyer_limit) == (100, 1)
    assert coupon.expires_at is not None and coupon.min_subtotal is None

    ann = shop.standin.private_chat(5201, "Ann")
    assert "SPRING15</b> applied: 15% off" in await _said(shop, ann, "/coupon spring15")
    prices = await _invoice_prices(shop, ann)
    assert {"label": "Coupon SPRING15", "amount": -75} in prices  # 15% of $4.99, rounded
    await shop.press(boss, last_message(boss), "🏷 Coupons")
    assert (
        "SPRING15 15% off" in last_message(boss)["text"]
        and "used 0/100" in last_message(boss)["text"]
    )
    assert "coupon.create" in await _actions(shop)


async def test_one_line_coupons_bad_terms_and_disabling(shop: RunningShop) -> None:
    boss = shop.standin.private_chat(ADMIN_ID, "Boss")
    assert "a percentage is a whole number" in await _said(shop, boss, "/admin coupon add X1 200%")
    assert "is not an option" in await _said(shop, boss, "/admin coupon add X2 10% forever 3")
    assert "Usage" in await _said(shop, boss, "/admin coupon add")
    reply = await _said(shop, boss, "/admin coupon add FLAT2 2.00 min 4 limit 10 per 2")
    assert "FLAT2</code> created: $2.00 off · from $4.00 · 2 per buyer" in reply
    assert "already is a coupon FLAT2" in await _said(shop, boss, "/admin coupon add flat2 5%")
    ben = shop.standin.private_chat(5202, "Ben")
    await shop.send(ben, "/coupon FLAT2")
    prices = await _invoice_prices(shop, ben)
    assert {"label": "Coupon FLAT2", "amount": -200} in prices
    async with shop.uows() as uow:  # an invite's reward: personal, counted but not listed
        reward = Coupon(0, "GIFT-A1", CouponKind.FIXED, amount=Money(300, "USD"), owner_id=5202)
        await uow.coupons.create(reward, shop.now())
        await uow.commit()
    await shop.send(boss, "/admin coupon list")
    listing = last_message(boss)
    assert "used 0/10" in listing["text"] and "GIFT-A1" not in listing["text"]
    assert "(and 1 personal reward coupon from invites, not listed)" in listing["text"]
    await shop.press(boss, listing, "⛔ Disable FLAT2")
    assert "Disable FLAT2?" in boss.stored(listing["message_id"]).message["text"]  # type: ignore[operator]
    calls = await shop.press(boss, listing["message_id"], "⛔ Yes, disable")
    assert "FLAT2 is disabled" in only(calls, "answerCallbackQuery")[0].params["text"]
    async with shop.uows() as uow:
        flat = await uow.coupons.by_code("FLAT2")
    assert flat is not None and not flat.active
    assert "FLAT2 is disabled" in await _said(shop, boss, "/admin coupon off flat2")
    await shop.send(boss, "/admin coupon off SPRING9")  # typed: the same confirmation first
    assert "There is no coupon" in last_message(boss)["text"]
    await shop.send(boss, "/admin coupon add SPRING9 9%")
    await shop.send(boss, "/admin coupon off spring9")
    assert "Disable SPRING9?" in last_message(boss)["text"]
    async with shop.uows() as uow:
        spring = await uow.coupons.by_code("SPRING9")
    assert spring is not None and spring.active  # not before the Yes
    cy = shop.standin.private_chat(5203, "Cy")
    assert "applied" not in await _said(shop, cy, "/coupon FLAT2")
    assert await _actions(shop) == ["coupon.create", "coupon.disable", "coupon.create"]


async def test_team_staff_roles_and_non_admins_change_nothing(shop: RunningShop) -> None:
    boss = shop.standin.private_chat(ADMIN_ID, "Boss")
    stella = shop.standin.private_chat(4200, "Stella", username="stella_w")
    assert "don't know 4200" in await _said(shop, boss, "/admin staff add 4200")
    await shop.send(stella, "/start")
    assert "only for the shop's staff" in await _said(shop, stella, "/admin")
    calls = await shop.send(boss, "/admin staff add @Stella_W")
    told = {c.params["chat_id"]: c.params["text"] for c in only(calls, "sendMessage")}
    assert "Stella (4200) is staff now" in told[ADMIN_ID]
    assert "You are now on the staff of E2E Shop" in told[4200]
    assert "already staff" in await _said(shop, boss, "/admin staff add 4200")
    assert "is an owner" in await _said(shop, boss, f"/admin staff remove {ADMIN_ID}")

    await shop.send(stella, "/admin")
    menu = keyboard_texts(last_message(stella))
    assert "📦 Products" in menu and "🏷 Coupons" in menu and "👥 Team" not in menu
    assert "Your role can't do that" in await _said(shop, stella, "/admin staff add 4300")
    calls = await shop.press_data(stella, last_message(stella), admin_cb("tm_list"))
    assert "Your role can't do that" in only(calls, "answerCallbackQuery")[0].params["text"]
    assert "created" in await _said(shop, stella, "/admin coupon add STELLA5 5%")

    await shop.send(boss, "/admin")
    await shop.press(boss, last_message(boss), "👥 Team")
    team = last_message(boss)["text"]
    assert "Staff: Stella (4200) @stella_w" in team
    await shop.press(boss, last_message(boss), "📜 Audit log")
    audit = last_message(boss)["text"]
    assert audit.index("coupon.create coupon:STELLA5") < audit.index("staff.add user:4200")
    assert "Stella (4200) (staff)" in audit and "Boss (9000) (owner)" in audit

    # A buyer: /admin, copied console buttons, a video. Nothing changes.
    eve = shop.standin.private_chat(5301, "Eve")
    await shop.send(eve, "/start")
    before = await _counts(shop)
    assert "only for the shop's staff" in await _said(shop, eve, "/admin")
    assert "only for the shop's staff" in await _said(shop, eve, "/admin coupon add FREE 100%")
    for data in (
        admin_cb("pd_archy", 1, 0),
        admin_cb("cp_offy", 1),
        admin_cb("np_pub", 1),
        admin_cb("tm_audit"),
    ):
        calls = await shop.press_data(eve, last_message(eve), data)
        [answer] = only(calls, "answerCallbackQuery")
        assert "only for the shop's staff" in answer.params["text"], data
        assert not only(calls, "sendMessage") and not only(calls, "editMessageText")
    calls = await shop.push(eve.send_video())
    assert "I can't read that kind of message" in only(calls, "sendMessage")[0].params["text"]
    assert await _counts(shop) == before

    assert "is no longer staff" in await _said(shop, boss, "/admin staff remove 4200")
    assert "only for the shop's staff" in await _said(shop, stella, "/admin")
    assert "group-buy leader now" in await _said(shop, boss, "/admin leader add @stella_w")
    assert "use /leader" in await _said(shop, stella, "/admin")
    assert "no longer a group-buy leader" in await _said(shop, boss, "/admin leader remove 4200")
    assert (await _actions(shop))[-3:] == ["staff.remove", "leader.add", "leader.remove"]

    async with shop.uows() as uow:  # a shop with many leaders: the Team screen stays a message
        for n in range(35):
            await uow.groups.set_leader(7000 + n, None)
        await uow.commit()
    await shop.send(boss, "/admin")
    await shop.press(boss, last_message(boss), "👥 Team")
    assert "… +5" in last_message(boss)["text"]


async def test_a_code_typed_with_spaces_or_in_any_case_is_the_same_code(
    shop: RunningShop,
) -> None:
    boss = shop.standin.private_chat(ADMIN_ID, "Boss")
    await shop.send(boss, "/admin")
    await shop.press(boss, last_message(boss), "🏷 Coupons")
    await shop.press(boss, last_message(boss), "➕ New coupon")
    await shop.send(boss, "Save 10")  # the guided steps: one code, spaces and case ignored
    await shop.press(boss, last_message(boss), "Percent off")
    await shop.send(boss, "10")
    for _ in range(4):  # no minimum, limits or days
        await shop.press(boss, last_message(boss), "⏭ Skip")
    assert "Coupon SAVE10 created: 10% off" in last_message(boss)["text"]
    assert "already is a coupon SAVE10" in await _said(shop, boss, "/admin coupon add save10 5%")

    for n, typed in enumerate(("/coupon save 10", "/coupon SAVE 10", "/coupon s a v e 1 0")):
        buyer = shop.standin.private_chat(5210 + n, f"Buyer{n}")
        assert "SAVE10</b> applied: 10% off" in await _said(shop, buyer, typed)
    asked = shop.standin.private_chat(5219, "Asked")
    assert "code" in await _said(shop, asked, "/coupon")  # asked for one, then types it
    assert "SAVE10</b> applied" in await _said(shop, asked, "save 10")
    linked = shop.standin.private_chat(5220, "Linked")
    assert "SAVE10</b> applied" in await _said(shop, linked, "/start c_save10")

    await shop.send(boss, "/admin coupon off save 10")
    assert "Disable SAVE10?" in last_message(boss)["text"]
