"""Recommendations end to end, on aiogram and on python-telegram-bot: "You may also like"
under a receipt names what other buyers bought with the same product and opens its card;
"More like this" lists co-occurring products first; views, adds and purchases are recorded
once each (a redelivered payment records nothing and suggests nothing twice); a drop to
``interest:<category>`` reaches only the buyers interested in that category."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, select

from bot.domain.drops import MediaKind
from bot.domain.interests import InteractionKind
from bot.services import drops
from bot.standin import SimChat
from storage.admin_tables import InteractionRow
from tests.e2e.harness import RunningShop, keyboard_texts, only

OTHERS = range(5001, 5006)


async def _pid(shop: RunningShop, word: str) -> int:
    async with shop.uows() as uow:
        [pid] = await uow.catalog.search_ids([word], 5)
    return pid


async def _bought_together(shop: RunningShop, buyers: range, *words: str) -> None:
    """Other buyers' orders of these products (what the shop learnt before the test)."""
    ids = [await _pid(shop, w) for w in words]
    async with shop.uows() as uow:
        for user in buyers:
            await uow.interests.record(
                user, ids, InteractionKind.PURCHASE, shop.now() - timedelta(days=2)
            )
        await uow.commit()


async def _counts(shop: RunningShop, user_id: int) -> dict[tuple[int, str], int]:
    async with shop.uows.engine.connect() as conn:
        rows = await conn.execute(
            select(InteractionRow.product_id, InteractionRow.kind, func.count())
            .where(InteractionRow.user_id == user_id)  # type: ignore[arg-type]
            .group_by(InteractionRow.product_id, InteractionRow.kind)
        )
        return {(int(p), str(k)): int(n) for p, k, n in rows}


async def _card(shop: RunningShop, chat: SimChat, word: str) -> dict[str, Any]:
    await shop.send(chat, f"/start p_{await _pid(shop, word)}")
    card = chat.last_message()
    assert card is not None
    return card


async def _buy_now(shop: RunningShop, chat: SimChat, word: str) -> list[Any]:
    card = await _card(shop, chat, word)
    await shop.press(chat, card, "⚡ Buy now")
    await shop.press(chat, chat.last_message(), "🏬 Pick up at Storefront Studio")  # type: ignore[arg-type]
    invoice = chat.last_message()
    assert invoice is not None and "invoice" in invoice
    return await shop.pay(chat, invoice, order_info={"name": chat.chat["first_name"]})


def _caption(message: dict[str, Any]) -> str:
    return str(message.get("caption") or message.get("text") or "")


async def test_you_may_also_like_names_what_others_bought_with_it_and_opens_its_card(
    shop: RunningShop,
) -> None:
    await _bought_together(shop, OTHERS, "konjac", "tripod")
    await _bought_together(shop, range(5101, 5108), "mango")  # a best seller, bought alone
    ann = shop.standin.private_chat(3201, "Ann")
    calls = await _buy_now(shop, ann, "konjac")
    [receipt] = [c for c in only(calls, "sendMessage") if "Payment received" in c.params["text"]]
    assert "You may also like" in receipt.params["text"]
    message = ann.last_message()
    assert message is not None
    suggestions = [t for t in keyboard_texts(message) if t.startswith("✨")]
    assert 1 <= len(suggestions) <= 3
    assert suggestions[0] == "✨ Phone Tripod · $15.99"
    assert not any("Konjac" in s for s in suggestions)  # never what was just bought
    calls = await shop.press(ann, message, suggestions[0])
    [sent] = [c for c in calls if c.method in ("sendVideo", "sendPhoto", "sendMessage")]
    assert "Phone Tripod" in str(sent.params.get("caption") or sent.params.get("text"))
    assert ann.last_message() is not message  # a new card; the receipt stays as it was
    [kept] = [m for m in ann.messages() if m["message_id"] == message["message_id"]]
    assert "Payment received" in _caption(kept)


async def test_more_like_this_lists_co_occurring_products_first(shop: RunningShop) -> None:
    bob = shop.standin.private_chat(3202, "Bob")
    card = await _card(shop, bob, "konjac")
    calls = await shop.press(bob, card, "✨ More like this")
    before = _caption(bob.last_message())  # type: ignore[arg-type]
    assert "Dried Mango" in before  # no history yet: the same category comes first
    await _bought_together(shop, OTHERS, "konjac", "buds")
    card = await _card(shop, bob, "konjac")
    calls = await shop.press(bob, card, "✨ More like this")
    edits = [c for c in calls if c.method.startswith("editMessage")]
    assert edits, [c.method for c in calls]
    shown = _caption(bob.last_message())  # type: ignore[arg-type]
    assert "Air Buds" in shown and "1 of" in shown


async def test_a_new_buyer_is_offered_best_sellers(shop: RunningShop) -> None:
    await _bought_together(shop, range(5201, 5206), "mango")
    await _bought_together(shop, range(5301, 5304), "tripod")
    cy = shop.standin.private_chat(3203, "Cy")
    await _buy_now(shop, cy, "trail")  # nobody bought boots with anything
    message = cy.last_message()
    assert message is not None
    suggestions = [t for t in keyboard_texts(message) if t.startswith("✨")]
    # Its own category first (Air Runner), then the best sellers in order.
    assert suggestions == [
        "✨ Air Runner · $59.99",
        "✨ Dried Mango · $6.50",
        "✨ Phone Tripod · $15.99",
    ]


async def test_views_adds_and_purchases_are_recorded_once_each(shop: RunningShop) -> None:
    dee = shop.standin.private_chat(3204, "Dee")
    await shop.send(dee, "/catalog")
    await shop.press(dee, dee.last_message(), "Snacks (2)")  # type: ignore[arg-type]
    card = dee.last_message()
    assert card is not None
    await shop.press(dee, card, "▶")
    await shop.press(dee, card, "◀")  # back to the first card: the same view
    await shop.press(dee, card, "🛒 Add to cart")
    konjac, mango = await _pid(shop, "konjac"), await _pid(shop, "mango")
    assert await _counts(shop, 3204) == {
        (konjac, "view"): 1,
        (mango, "view"): 1,
        (konjac, "add"): 1,
    }
    await shop.send(dee, "/cart")
    await shop.press(dee, dee.last_message(), "💳 Checkout")  # type: ignore[arg-type]
    await shop.press(dee, dee.last_message(), "🏬 Pick up at Storefront Studio")  # type: ignore[arg-type]
    await shop.pay(dee, dee.last_message(), order_info={"name": "Dee"})  # type: ignore[arg-type]
    paid = dee.last_message()
    assert paid is not None and "Payment received" in paid["text"]
    mark = len(shop.standin.calls)
    shop.standin.state.updates.push({"message": shop.last_payment()})  # Telegram again
    await shop.settle()
    assert [c.method for c in shop.standin.calls[mark:] if c.method != "getUpdates"] == []
    counts = await _counts(shop, 3204)
    assert counts[(konjac, "purchase")] == 1 and (mango, "purchase") not in counts
    assert counts[(konjac, "add")] == 1


async def test_an_interest_drop_reaches_only_interested_buyers(shop: RunningShop) -> None:
    eve, fin, gil = (
        shop.standin.private_chat(3205 + i, name) for i, name in enumerate(["Eve", "Fin", "Gil"])
    )
    for chat in (eve, fin, gil):
        await shop.send(chat, "/start")
    card = await _card(shop, eve, "konjac")
    await shop.press(eve, card, "🛒 Add to cart")  # an add: interested in snacks
    await _card(shop, fin, "mango")  # one view: not enough
    await _card(shop, gil, "buds")  # gadgets only
    async with shop.uows() as uow:
        drop_id = await drops.compose(
            uow,
            "Snack week!",
            MediaKind.NONE,
            None,
            [],
            "interest:snacks",
            False,
            datetime.now(UTC),
        )
        started = await drops.send(uow, drop_id, 0, datetime.now(UTC))
        await uow.commit()
    await shop.drops.run(drop_id)
    assert started.recipients == 1
    assert "Snack week!" in str(eve.messages())
    assert "Snack week!" not in str(fin.messages()) + str(gil.messages())
