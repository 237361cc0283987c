"""Flash sales end to end, on aiogram and on python-telegram-bot: Notify me -> the alerts ->
Grab it -> pay -> order; a reservation that expires gives its unit back (and tells who waits);
the loser of the last unit is told at once; claims outside the sale or beyond the limit."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from bot.domain.orders import OrderStatus
from bot.jobs.scheduler import flash_sale_timers
from storage.order_tables import OrderRow
from storage.tables import VariantRow
from tests.e2e.harness import (
    GRAB,
    US,
    RunningShop,
    advance,
    keyboard_texts,
    only,
    sale_card,
    schedule_sale,
)


async def _stock(shop: RunningShop) -> int:
    async with shop.uows.engine.connect() as conn:
        return int(await conn.scalar(select(VariantRow.stock).where(VariantRow.sku == "KJ-10")))  # type: ignore[arg-type]


async def _tick(shop: RunningShop) -> None:
    await flash_sale_timers(shop.worker)
    await shop.settle()


async def test_notify_me_alerts_then_grab_pay_and_order(shop: RunningShop) -> None:
    sale_id = await schedule_sale(shop, starts_in=timedelta(minutes=30))
    ann = shop.standin.private_chat(5001, "Ann")
    card = await sale_card(shop, ann, sale_id)
    assert "Flash sale $2.99 (was $4.99) · starts in 30 min" in card["caption"]
    calls = await shop.press(ann, card, "🔔 Notify me")
    assert "We'll tell you before it starts" in str(only(calls, "answerCallbackQuery")[0].params)
    # Too early to grab (a stale or forged button): told, nothing reserved.
    await shop.press_data(ann, card, f"fs:{sale_id}")
    assert "hasn't started yet" in (ann.last_message() or {})["text"]

    advance(shop, timedelta(minutes=21))  # 9 minutes before the start
    await _tick(shop)
    assert "Flash sale soon" in (ann.last_message() or {})["text"]
    await _tick(shop)  # the alert goes out once
    assert sum("Flash sale soon" in m.get("text", "") for m in ann.messages()) == 1
    advance(shop, timedelta(minutes=10))
    await _tick(shop)
    live = ann.last_message()
    assert live is not None and "Flash sale is live" in live["text"]
    assert keyboard_texts(live) == ["⚡ Grab it", "🔕 Fewer like this"]

    calls = await shop.press(ann, live, "⚡ Grab it")
    texts = [c.params["text"] for c in only(calls, "sendMessage")]
    assert any("Reserved for you" in t and "10 min" in t for t in texts), texts
    assert await _stock(shop) == 199  # the reservation is the stock
    asked = ann.last_message()
    assert asked is not None and "How would you like" in asked["text"]
    await shop.press(ann, asked, "🚚 Deliver to my address")
    invoice = ann.last_message()
    assert invoice is not None and "invoice" in invoice
    [sent] = only(shop.standin.calls, "sendInvoice")[-1:]
    assert sent.params["prices"] == [{"label": "Spicy Konjac Jelly (10 pack) × 1", "amount": 299}]
    assert "Coupon code" not in str(keyboard_texts(invoice))
    calls = await shop.pay(ann, invoice, order_info=US, shipping_option_id="us-standard")
    assert only(calls, "answerPreCheckoutQuery")[0].params["ok"] is True
    assert any("Payment received" in c.params["text"] for c in only(calls, "sendMessage"))
    async with shop.uows.engine.connect() as conn:
        [order] = (await conn.execute(select(OrderRow).where(OrderRow.user_id == 5001))).all()
    assert order.status == OrderStatus.PAID and order.total_minor == 299 + 499
    assert order.claim_id is not None
    assert await _stock(shop) == 199  # paid: nothing taken twice
    # The per-buyer limit (1): a second grab is refused, and says why.
    card = await sale_card(shop, ann, sale_id)
    await shop.press(ann, card, GRAB)
    assert "You already have 1 from this sale" in (ann.last_message() or {})["text"]


async def test_the_last_unit_the_loser_and_an_expired_reservation(shop: RunningShop) -> None:
    sale_id = await schedule_sale(shop, units=1, starts_in=timedelta(0))
    bob = shop.standin.private_chat(5002, "Bob")
    cyd = shop.standin.private_chat(5003, "Cyd")
    bob_card = await sale_card(shop, bob, sale_id)
    cyd_card = await sale_card(shop, cyd, sale_id)
    assert "1 left" in bob_card["caption"]
    await shop.press(bob, bob_card, GRAB)
    await shop.press(bob, bob.last_message(), "🚚 Deliver to my address")  # type: ignore[arg-type]
    bob_invoice = bob.last_message()
    assert bob_invoice is not None and "invoice" in bob_invoice
    assert await _stock(shop) == 199
    # Cyd's card still says 1 left (drawn before): the loser is told at once, and can wait.
    calls = await shop.press(cyd, cyd_card, GRAB)
    lost = cyd.last_message()
    assert lost is not None and "Too late: every unit is taken" in lost["text"]
    assert not only(calls, "sendInvoice")
    await shop.press(cyd, lost, "🔔 Notify me if stock returns")

    # Bob never pays: after the window his unit goes back, and Cyd hears at once.
    advance(shop, timedelta(minutes=11))
    await _tick(shop)
    assert await _stock(shop) == 200
    back = cyd.last_message()
    assert back is not None and "A unit of Spicy Konjac Jelly (10 pack) is back" in back["text"]
    await shop.press(cyd, back, "⚡ Grab it")
    assert any("Reserved for you" in m.get("text", "") for m in cyd.messages())
    assert await _stock(shop) == 199
    # Bob's old invoice expired with his reservation: Telegram's sheet stops at the address.
    calls = await shop.pay(bob, bob_invoice, order_info=US, shipping_option_id="us-standard")
    [shipping] = only(calls, "answerShippingQuery")
    assert shipping.params["ok"] is False and not only(calls, "answerPreCheckoutQuery")
    assert not any("Payment received" in m.get("text", "") for m in bob.messages())
    assert await _stock(shop) == 199  # Cyd's unit is still hers


async def test_a_sale_that_ended_or_was_closed_by_the_merchant(shop: RunningShop) -> None:
    sale_id = await schedule_sale(shop, units=3, starts_in=timedelta(0))
    dan = shop.standin.private_chat(5004, "Dan")
    card = await sale_card(shop, dan, sale_id)
    async with shop.uows() as uow:  # the merchant lowers the sale's stock to zero mid-sale
        assert await uow.sales.set_stock(sale_id, 0)
        await uow.commit()
    await shop.press(dan, card, GRAB)
    assert "Too late" in (dan.last_message() or {})["text"]
    advance(shop, timedelta(hours=2))
    await shop.press_data(dan, card, f"fs:{sale_id}")
    assert "has ended" in (dan.last_message() or {})["text"]
    calls = await shop.send(dan, "/start s_999999")
    assert "doesn't exist" in only(calls, "sendMessage")[0].params["text"]
    assert await _stock(shop) == 200


async def test_paying_after_the_window_before_any_job_ran_is_refused(shop: RunningShop) -> None:
    sale_id = await schedule_sale(shop, units=2, starts_in=timedelta(0))
    eve = shop.standin.private_chat(5005, "Eve")
    await shop.press(eve, await sale_card(shop, eve, sale_id), GRAB)
    await shop.press(eve, eve.last_message(), "🏬 Pick up at Storefront Studio")  # type: ignore[arg-type]
    invoice = eve.last_message()
    assert invoice is not None and "invoice" in invoice
    advance(shop, timedelta(minutes=11))  # the window passed; no job has released it yet
    calls = await shop.pay(eve, invoice, order_info={"name": "Eve"})
    [pre] = only(calls, "answerPreCheckoutQuery")
    assert pre.params["ok"] is False and "reservation expired" in pre.params["error_message"]
    await _tick(shop)
    assert await _stock(shop) == 200


async def test_notify_me_pressed_after_the_start_shows_the_live_sale(shop: RunningShop) -> None:
    sale_id = await schedule_sale(shop, units=1, starts_in=timedelta(minutes=30))
    fay = shop.standin.private_chat(5006, "Fay")
    gus = shop.standin.private_chat(5007, "Gus")
    card = await sale_card(shop, fay, sale_id)
    gus_card = await sale_card(shop, gus, sale_id)
    assert "🔔 Notify me" in keyboard_texts(card)
    advance(shop, timedelta(minutes=31))
    await _tick(shop)  # the start alerts go out to those who asked: Fay did not
    assert not any("Flash sale is live" in m.get("text", "") for m in fay.messages())
    # Fay presses the card drawn before the start: the live sale at once, not a promise.
    calls = await shop.press(fay, card, "🔔 Notify me")
    answer = str(only(calls, "answerCallbackQuery")[0].params)
    assert "It's on now" in answer and "We'll tell you" not in answer
    live = fay.last_message()
    assert live is not None and "1 left" in live["caption"]
    assert GRAB in keyboard_texts(live)
    await shop.press(fay, live, GRAB)
    assert any("Reserved for you" in m.get("text", "") for m in fay.messages())
    # Gus presses his old card once every unit is taken: he waits for one to come back.
    calls = await shop.press(gus, gus_card, "🔔 Notify me")
    assert "if a unit comes back" in str(only(calls, "answerCallbackQuery")[0].params)
    # Once the sale is over, the press says so (and promises nothing).
    advance(shop, timedelta(hours=2))
    calls = await shop.press(gus, gus_card, "🔔 Notify me")
    assert "has ended" in str(only(calls, "answerCallbackQuery")[0].params)
    assert "has ended" in (gus.last_message() or {})["text"]
    async with shop.uows() as uow:  # nothing recorded for a sale that is on or over
        watching = await uow.sales.watchers(sale_id, "start")
    assert 5006 not in watching
