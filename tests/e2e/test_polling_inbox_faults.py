"""The polling inbox in the running shop, on both frameworks: Telegram refusing ``getUpdates``
(flood control, a second poller, a bad gateway), a poison update (counted), the ``admit`` hook,
and the database going away in the middle of an update (PostgreSQL behind a proxy)."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from bot.telegram.runner import InboxPolling
from storage.engine import make_engine
from storage.inbox_tables import InboxUpdateRow
from storage.tables import CartLineRow, ProcessedUpdateRow
from tests.e2e.db_proxy import DbProxy
from tests.e2e.harness import RunningShop, only, start_shop, stop_shop


def _polling(shop: RunningShop) -> InboxPolling:
    assert isinstance(shop.bot, InboxPolling)
    return shop.bot


async def _row(shop: RunningShop, update_id: int) -> tuple[Any, ...] | None:
    table = InboxUpdateRow.__table__  # type: ignore[attr-defined]
    async with shop.uows.engine.connect() as conn:
        found = await conn.execute(
            select(table.c.done_at, table.c.error, table.c.attempts).where(
                table.c.update_id == update_id
            )
        )
        row = found.first()
    return tuple(row) if row is not None else None


async def test_telegram_refusing_get_updates_is_waited_out(shop: RunningShop) -> None:
    ann = shop.standin.private_chat(7001, "Ann")
    await shop.send(ann, "/help")
    shop.standin.fail_next("getUpdates", error_code=429, retry_after=1)
    shop.standin.fail_next("getUpdates", error_code=409, description="Conflict: terminated")
    shop.standin.fail_next("getUpdates", error_code=502, description="Bad Gateway")
    ann.send_text("/start")  # answered by the poll under way, then the refusals come
    while shop.standin.faults.planned:
        await asyncio.sleep(0.05)
    calls = await shop.send(ann, "/cart")
    assert "Your cart is empty" in only(calls, "sendMessage")[0].params["text"]
    refused = [c for c in shop.standin.calls_named("getUpdates") if not c.ok]
    assert [c.error_code for c in refused] == [429, 409, 502]


async def test_a_poison_update_is_counted_and_its_chat_goes_on(shop: RunningShop) -> None:
    ann = shop.standin.private_chat(7002, "Ann")
    person = {"id": ann.id, "is_bot": False, "first_name": "Ann"}
    poison = shop.standin.push_update(
        {"message": {"message_id": 1, "date": 1_700_000_000, "from": person, "text": "/cart"}}
    )
    calls = await shop.send(ann, "/cart")  # behind it, in the same lane
    assert "Your cart is empty" in only(calls, "sendMessage")[0].params["text"]
    inbox = _polling(shop).inbox
    assert inbox.poisoned == 1
    registry = inbox.metrics.registry
    assert registry.get_sample_value("storefront_poison_updates_total", {"type": "message"}) == 1
    await _polling(shop).inbox._done.flush(5)
    row = await _row(shop, int(poison["update_id"]))
    assert row is not None and row[0] is not None and row[1] and row[2] == 1


async def test_an_update_admit_refuses_is_acknowledged_and_dropped(shop: RunningShop) -> None:
    ann = shop.standin.private_chat(7003, "Ann")
    seen: list[int] = []

    async def admit(update: dict[str, Any]) -> bool:
        seen.append(int(update["update_id"]))
        return "/cart" not in str(update)

    _polling(shop).inbox.admit = admit
    dropped = await shop.send(ann, "/cart")
    answered = await shop.send(ann, "/help")
    assert dropped == [] and only(answered, "sendMessage")
    assert len(seen) == 2
    await _polling(shop).inbox._done.flush(5)
    row = await _row(shop, seen[0])
    assert row is not None and row[0] is not None and row[1] is None  # done, not an error


@pytest.mark.postgres
@pytest.mark.parametrize("framework", ["aiogram", "ptb"])
async def test_the_database_goes_away_mid_update_it_waits_in_the_inbox_then_counts_once(
    framework: str, postgres_url: str, tmp_path: Path
) -> None:
    url = make_url(postgres_url)  # a migrated, empty database of this test's own
    direct = make_engine(postgres_url)
    proxy = DbProxy(url.host or "127.0.0.1", url.port or 5432)
    port = await proxy.start()
    through_proxy = url.set(host="127.0.0.1", port=port).render_as_string(hide_password=False)
    shop = await start_shop(framework, tmp_path, database_url=through_proxy)  # type: ignore[arg-type]
    try:
        ann = shop.standin.private_chat(7004, "Ann")
        async with shop.uows() as uow:
            [pid] = await uow.catalog.search_ids(["konjac"], 5)
        await shop.send(ann, f"/start p_{pid}")
        card = ann.last_message()
        assert card is not None
        calls = len(shop.standin.calls)

        proxy.arm(b"INSERT INTO cart_line")
        press = ann.press(card, "🛒 Add to cart")
        cart = ann.send_text("/cart")  # waits behind the press, in Ann's lane
        await asyncio.wait_for(proxy.went_down.wait(), 10)
        inbox = _polling(shop).inbox
        unavailable = {"type": "callback_query", "outcome": "unavailable"}
        registry = inbox.metrics.registry
        while not registry.get_sample_value("storefront_updates_total", unavailable):
            await asyncio.sleep(0.02)
        await asyncio.sleep(1.0)  # the database is still away: nothing is answered meanwhile
        answered = [c for c in shop.standin.calls[calls:] if c.method != "getUpdates"]
        assert answered == []
        proxy.up()
        await shop.push(cart, timeout=30)
        await shop.settle()

        replies = [c for c in shop.standin.calls[calls:] if c.method != "getUpdates"]
        [answer] = only(replies, "answerCallbackQuery")  # no apology, one answer
        assert "Added: Spicy Konjac Jelly (10 pack) × 1" in answer.params["text"]
        [listing] = only(replies, "sendMessage")
        assert "× 1" in listing.params["text"]  # the cart after the press: order kept
        assert replies.index(answer) < replies.index(listing)
        assert inbox.poisoned == 0
        await inbox._done.flush(5)
        async with direct.connect() as conn:
            lines = (
                await conn.execute(
                    select(CartLineRow.quantity).where(CartLineRow.user_id == 7004)  # type: ignore[arg-type,call-overload]
                )
            ).all()
            claims = await conn.scalar(
                select(func.count()).where(
                    ProcessedUpdateRow.update_id == int(press["update_id"])  # type: ignore[arg-type]
                )
            )
        assert [tuple(r) for r in lines] == [(1,)] and claims == 1
        row = await _row(shop, int(press["update_id"]))
        assert row is not None and row[0] is not None and row[1] is None  # done, no error
    finally:
        await stop_shop(shop)
        await proxy.stop()
        await direct.dispose()
    assert shop.standin.violations == []
