"""Paying someone else's invoice, end to end on aiogram and on python-telegram-bot.

Ann opens an invoice; Bob (English) and Chen (Chinese) pay it, as if it had been forwarded
to them, each payment delivered twice under two update ids. Each payer is told, in their
language, that the invoice belonged to someone else's order, that nothing was bought and that
the money is being refunded; each charge is refunded once at Stripe; Ann's order is untouched
and she pays it afterwards as if nothing happened.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from bot.domain.orders import OrderStatus
from bot.standin import SimChat
from storage.order_tables import OrderRow
from storage.tables import VariantRow
from tests.e2e.harness import RunningShop, only


async def _orders(shop: RunningShop, user_id: int) -> list[Any]:
    async with shop.uows.engine.connect() as conn:
        rows = await conn.execute(select(OrderRow).where(OrderRow.user_id == user_id))  # type: ignore[arg-type]
        return list(rows.all())


async def _stock(shop: RunningShop) -> int:
    async with shop.uows.engine.connect() as conn:
        return int(await conn.scalar(select(VariantRow.stock).where(VariantRow.sku == "PT-1")))  # type: ignore[arg-type]


def _pays_anns_invoice(
    shop: RunningShop, payer: SimChat, payload: str, charge: str, total: int
) -> dict[str, Any]:
    """A ``successful_payment`` in the payer's chat for the invoice with ``payload``."""
    user = shop.standin.state.users[payer.id]
    payment = {
        "currency": "USD",
        "total_amount": total,
        "invoice_payload": payload,
        "telegram_payment_charge_id": f"tg-{charge}",
        "provider_payment_charge_id": charge,
    }
    shop.stripe.register_charge(charge, total, "usd")
    stored = shop.standin.state.chats.store(
        payer.record, {"successful_payment": payment}, sender=dict(user), from_bot=False
    )
    return dict(stored.message)


async def test_someone_elses_invoice_is_refunded_once_and_said_so(shop: RunningShop) -> None:
    ann = shop.standin.private_chat(3101, "Ann")
    async with shop.uows() as uow:
        [pid] = await uow.catalog.search_ids(["tripod"], 5)
    await shop.send(ann, f"/start p_{pid}")
    await shop.press(ann, ann.last_message(), "⚡ Buy now")  # type: ignore[arg-type]
    await shop.press(ann, ann.last_message(), "🏬 Pick up at Storefront Studio")  # type: ignore[arg-type]
    invoice = ann.last_message()
    assert invoice is not None and "invoice" in invoice
    record = shop.standin.state.invoices[(ann.id, invoice["message_id"])]
    [anns] = await _orders(shop, ann.id)
    assert await _stock(shop) == 60

    bob = shop.standin.private_chat(3102, "Bob")
    chen = shop.standin.private_chat(3103, "Chen", language_code="zh-hans")
    for payer, charge in ((bob, "ch_bob_pays_ann"), (chen, "ch_chen_pays_ann")):
        message = _pays_anns_invoice(shop, payer, record.payload, charge, record.total_amount)
        for _ in range(2):  # the same charge under two update ids
            shop.standin.state.updates.push({"message": message})
    await shop.settle()

    refunds = shop.stripe.requests_to("/v1/refunds", "POST")
    assert sorted(r.params["charge"] for r in refunds) == ["ch_bob_pays_ann", "ch_chen_pays_ann"]
    assert all(r.params["amount"] == "1599" for r in refunds)
    told_bob = [m["text"] for m in bob.messages()]
    assert len(told_bob) == 2, told_bob  # what happened, then the refund done
    assert "someone else's order" in told_bob[0] and "nothing was bought" in told_bob[0]
    assert "$15.99" in told_bob[0] and "refunded" in told_bob[0]
    assert "sold out" not in told_bob[0]
    assert "Refund of $15.99" in told_bob[1]
    told_chen = [m["text"] for m in chen.messages()]
    assert len(told_chen) == 2, told_chen
    assert "别人的订单" in told_chen[0] and "退还" in told_chen[0]
    for payer in (bob, chen):
        [record_of_payment] = await _orders(shop, payer.id)
        assert record_of_payment.status == OrderStatus.CANCELLED
        assert record_of_payment.refunded_minor == 1599

    # Ann's order is as it was; she pays it now and gets her receipt.
    [still] = await _orders(shop, ann.id)
    assert (still.status, still.telegram_charge_id, still.refunded_minor) == (
        anns.status,
        None,
        0,
    )
    assert await _stock(shop) == 60
    calls = await shop.pay(ann, invoice, order_info={"name": "Ann"})
    [pre] = only(calls, "answerPreCheckoutQuery")
    assert pre.params["ok"] is True
    assert any("Payment received" in str(c.params.get("text")) for c in calls)
    [paid] = await _orders(shop, ann.id)
    assert paid.status == OrderStatus.PAID
    assert await _stock(shop) == 59
    assert len(shop.stripe.requests_to("/v1/refunds", "POST")) == 2
