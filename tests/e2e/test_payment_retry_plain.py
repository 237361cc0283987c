"""A payment is never lost to what is only nice to have, on PostgreSQL (where one failing
statement aborts the whole transaction): the suggestions under a receipt hit a database error
on the first try, the payment is tried again without them and recorded once, with its
receipt."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select, text

from bot.services import recommendations
from storage.order_tables import OrderRow
from tests.e2e.harness import ShopClock, only, start_shop, stop_shop


@pytest.mark.postgres
async def test_a_suggestion_query_that_fails_costs_no_payment(
    postgres_demo_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shop = await start_shop(
        "aiogram", tmp_path, clock=ShopClock(), database_url=postgres_demo_url, fresh=False
    )
    tries: list[int] = []

    async def spoiled(uow: Any, user_id: int, *args: Any, **kwargs: Any) -> list[int]:
        tries.append(user_id)
        # A statement PostgreSQL refuses: from here on the transaction is aborted.
        await uow.interests._s.execute(text("SELECT 1 / 0"))
        return []

    monkeypatch.setattr(recommendations, "for_buyer", spoiled)
    try:
        ann = shop.standin.private_chat(3301, "Ann")
        async with shop.uows() as uow:
            [pid] = await uow.catalog.search_ids(["konjac"], 5)
        await shop.send(ann, f"/start p_{pid}")
        await shop.press(ann, ann.last_message(), "⚡ Buy now")  # type: ignore[arg-type]
        await shop.press(ann, ann.last_message(), "🏬 Pick up at Storefront Studio")  # type: ignore[arg-type]
        invoice = ann.last_message()
        assert invoice is not None and "invoice" in invoice
        calls = await shop.pay(ann, invoice, order_info={"name": "Ann"})
        texts = [c.params["text"] for c in only(calls, "sendMessage")]
        assert [t for t in texts if "Payment received" in t], texts
        assert not any("You may also like" in t for t in texts)
        assert tries == [3301]  # the retry did not ask again
        async with shop.uows.engine.connect() as conn:
            paid = await conn.scalar(
                select(func.count()).select_from(OrderRow).where(OrderRow.status == "paid")  # type: ignore[arg-type]
            )
        assert paid == 1
    finally:
        await stop_shop(shop)
    assert shop.standin.violations == []
