"""One charge, one effect, across two real ``storefront webhook`` processes on one PostgreSQL
database.

A buyer goes through checkout (the pre-checkout holds the unit); then the same
``successful_payment`` (one ``telegram_payment_charge_id``) is POSTed to the processes 10 times
at once, each copy under an update id of its own, alternating between the two, as a hostile
sender (or a broken proxy) would. One paid order, the stock down by one unit once, exactly one
receipt in the chat, nothing refunded.
"""

from __future__ import annotations

import asyncio
import copy
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from sqlalchemy import select

from bot.standin.webhook_delivery import SECRET_HEADER
from storage.engine import make_engine
from storage.order_tables import OrderLineRow, OrderRow, RefundRow
from storage.tables import VariantRow
from storage.unit_of_work import SqlUnitOfWorkFactory
from tests.e2e.harness import US, WEBHOOK_SECRET
from tests.e2e.webhook_fleet import (
    close_fleet,
    duplicates,
    receipts,
    start_fleet,
    to_invoice,
    wait_for,
)

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

COPIES = 10


@pytest.fixture
async def shop_db(postgres_demo_url: str) -> AsyncIterator[SqlUnitOfWorkFactory]:
    """This test's own PostgreSQL database, migrated, with the demo catalog."""
    uows = SqlUnitOfWorkFactory(make_engine(postgres_demo_url))
    yield uows
    await uows.dispose()


async def _state(uows: SqlUnitOfWorkFactory, user: int) -> tuple[list[str], int, int]:
    """The buyer's orders' statuses, the stock of what they ordered, the refund rows."""
    async with uows.engine.connect() as conn:
        orders = (
            await conn.execute(
                select(OrderRow.id, OrderRow.status).where(OrderRow.user_id == user)  # type: ignore[call-overload]
            )
        ).all()
        [variant] = (
            (
                await conn.execute(
                    select(OrderLineRow.variant_id).where(
                        OrderLineRow.order_id.in_([o[0] for o in orders])  # type: ignore[attr-defined]
                    )
                )
            )
            .scalars()
            .all()
        )
        stock = await conn.scalar(select(VariantRow.stock).where(VariantRow.id == variant))  # type: ignore[arg-type]
        refunds = (await conn.execute(select(RefundRow.id))).all()
    return [str(o[1]) for o in orders], int(stock or 0), len(refunds)


@pytest.mark.parametrize("framework", ["aiogram", "ptb"])
async def test_one_charge_posted_ten_times_at_once_to_two_processes_acts_once(
    framework: str, postgres_demo_url: str, shop_db: SqlUnitOfWorkFactory, tmp_path: Path
) -> None:
    uows = shop_db
    fleet = await start_fleet(framework, postgres_demo_url, tmp_path)
    try:
        first, second = await fleet.spawn(), await fleet.spawn()
        fleet.deliver_to([first, second])  # round robin: both processes know the buyer
        standin = fleet.standin
        ann = standin.private_chat(8500, "Ann")
        invoice = await to_invoice(standin, ann)
        _, before, _ = await _state(uows, ann.id)

        # Telegram's successful_payment is kept back (not queued) to be sent by hand.
        queue = standin.state.updates
        push = queue.push
        kept: list[dict[str, Any]] = []

        def keep_payment(update: dict[str, object]) -> dict[str, object]:
            message = update.get("message")
            if isinstance(message, dict) and "successful_payment" in message:
                kept.append(update)
                return update
            return push(update)

        queue.push = keep_payment  # type: ignore[method-assign]
        ann.pay(invoice, order_info=US, shipping_option_id="us-express")
        await wait_for(lambda: bool(kept), 30, "the pre-checkout answered and the payment")
        await wait_for(lambda: standin.pending_updates == 0, 30, "the pre-checkout handled")
        statuses, held, refunds = await _state(uows, ann.id)
        assert statuses == ["pending"] and refunds == 0 and held == before - 1

        [payment] = kept
        bots = [first, second]

        async def post(i: int, http: aiohttp.ClientSession) -> int:
            copied = copy.deepcopy(payment)
            copied["update_id"] = 900_000 + i
            url = bots[i % 2].url
            async with http.post(url, json=copied, headers={SECRET_HEADER: WEBHOOK_SECRET}) as r:
                return r.status

        async with aiohttp.ClientSession() as http:
            answers = await asyncio.gather(*(post(i, http) for i in range(COPIES)))
        assert answers == [200] * COPIES  # each copy was handled (and committed) by then
        statuses, stock, refunds = await _state(uows, ann.id)
        print(
            f"{COPIES} copies of one charge on 2 {framework} processes: orders {statuses}, "
            f"stock {before} -> {stock}, receipts {receipts(ann)}, "
            f"refund rows {refunds}"
        )
        assert receipts(ann) == 1
        assert statuses == ["paid"]
        assert stock == before - 1  # the held unit became the sale; nothing taken again
        assert refunds == 0
        assert duplicates(standin) == []
        await fleet.stop(first)
        await fleet.stop(second)
    finally:
        await close_fleet(fleet)
    assert fleet.stripe.requests_to("/v1/refunds", "POST") == []
    assert fleet.standin.violations == []
