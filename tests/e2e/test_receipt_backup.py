"""A receipt is never lost, on aiogram and on python-telegram-bot. The payment commits with
a delayed backup notice; the backup is cancelled once the receipt reached Telegram, and goes
out (a minute later, from any process's outbox) when it did not: Telegram refused the send,
or the process died between the commit and the send."""

from __future__ import annotations

from datetime import timedelta

from tests.e2e.harness import (
    US,
    RunningShop,
    keyboard_texts,
    last_invoice,
    orders_of,
    product_card,
)

BACKUP = "Payment received for order #"


async def _buy(shop: RunningShop, user_id: int, name: str) -> object:
    chat = shop.standin.private_chat(user_id, name)
    card = await product_card(shop, chat, "konjac")
    await shop.press(chat, card, "⚡ Buy now")
    asked = chat.last_message()
    assert asked is not None
    await shop.press(chat, asked, "🚚 Deliver to my address")
    return chat


def _backups(chat: object) -> list[dict[str, object]]:
    return [m for m in chat.messages() if BACKUP in str(m.get("text", ""))]  # type: ignore[attr-defined]


async def _a_minute_later(shop: RunningShop) -> None:
    shop.storefront.clock.advance(timedelta(seconds=61))  # type: ignore[attr-defined]
    await shop.worker.flush_notices()


async def test_a_delivered_receipt_needs_no_backup(shop: RunningShop) -> None:
    ann = await _buy(shop, 3101, "Ann")
    await shop.pay(ann, last_invoice(ann), order_info=US, shipping_option_id="us-standard")  # type: ignore[arg-type]
    assert "Payment received: order #" in ann.last_message()["text"]  # type: ignore[attr-defined]
    await _a_minute_later(shop)
    assert _backups(ann) == []


async def test_a_receipt_telegram_refused_is_backed_up_a_minute_later(shop: RunningShop) -> None:
    bob = await _buy(shop, 3102, "Bob")
    invoice = last_invoice(bob)  # type: ignore[arg-type]
    # Telegram fails the receipt: the order stands, the buyer heard nothing.
    shop.standin.fail_next("sendMessage", error_code=502, chat_id=3102, times=1)
    await shop.pay(bob, invoice, order_info=US, shipping_option_id="us-standard")  # type: ignore[arg-type]
    assert "Payment received: order #" not in str(bob.messages())  # type: ignore[attr-defined]
    [order] = await orders_of(shop, 3102)
    await shop.worker.flush_notices()  # not yet: the receipt might still be on its way
    assert _backups(bob) == []
    await _a_minute_later(shop)
    [backup] = _backups(bob)
    assert f"order #{order.id}" in str(backup["text"])
    assert keyboard_texts(backup) == ["📦 Order details"]
    await _a_minute_later(shop)
    assert len(_backups(bob)) == 1  # once


async def test_a_process_that_died_after_the_commit_leaves_the_backup(shop: RunningShop) -> None:
    """The payment is handled but its replies never go out (the process died right after the
    commit); the redelivered update finds the payment recorded and says nothing; the backup
    tells the buyer."""
    cyd = await _buy(shop, 3103, "Cyd")
    invoice = last_invoice(cyd)  # type: ignore[arg-type]
    handle = shop.storefront.handle

    async def dies_after_commit(event: object) -> list[object]:
        replies = await handle(event)  # type: ignore[arg-type]
        if type(event).__name__ == "PaymentDone":
            return []  # the replies die with the process
        return replies  # type: ignore[return-value]

    finish = shop.storefront.finish_update

    async def nothing_after_the_commit(update_id: int, *, delivered: bool) -> None:
        shop.storefront.update_done(update_id)  # only so that the test knows it is over

    shop.storefront.handle = dies_after_commit  # type: ignore[assignment,method-assign]
    shop.storefront.finish_update = nothing_after_the_commit  # type: ignore[method-assign]
    await shop.pay(cyd, invoice, order_info=US, shipping_option_id="us-standard")  # type: ignore[arg-type]
    shop.storefront.handle = handle  # type: ignore[method-assign]
    shop.storefront.finish_update = finish  # type: ignore[method-assign]
    assert "Payment received" not in str(cyd.messages())  # type: ignore[attr-defined]
    # Telegram redelivers the payment: recorded already, nothing said, still one order.
    mark = len(shop.standin.calls)
    shop.standin.state.updates.push({"message": shop.last_payment()})
    await shop.settle()
    assert [c.method for c in shop.standin.calls[mark:] if c.method == "sendMessage"] == []
    assert len(await orders_of(shop, 3103)) == 1
    await _a_minute_later(shop)
    assert len(_backups(cyd)) == 1
