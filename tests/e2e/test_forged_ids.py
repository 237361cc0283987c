"""Forged ids beyond any row, in deep links and buttons, on SQLite and on PostgreSQL (which
refuses to look up an id wider than its INTEGER keys, rather than finding nothing): each is
answered as not found, never with the apology for an error."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.e2e.harness import only, start_shop, stop_shop

HUGE = "9" * 18  # what the deep-link patterns let through: 18 digits


@pytest.mark.parametrize("framework", ["aiogram"])
async def test_forged_ids_are_not_found_on_either_database(
    framework: str, demo_database_url: str, tmp_path: Path
) -> None:
    shop = await start_shop(framework, tmp_path, database_url=demo_database_url, fresh=False)  # type: ignore[arg-type]
    try:
        ann = shop.standin.private_chat(7001, "Ann")
        expected = {
            f"s_{HUGE}": "That flash sale doesn't exist.",
            f"g_{HUGE}": "doesn't exist",
            f"o_{HUGE}": "That order is not in your list.",
            f"p_{HUGE}": "this product is no longer available",
        }
        for payload, wording in expected.items():
            calls = await shop.send(ann, f"/start {payload}")
            said = "\n".join(c.params["text"] for c in only(calls, "sendMessage"))
            assert "went wrong on our side" not in said, (payload, said)
            assert wording in said, (payload, said)
        card = ann.last_message()
        assert card is not None
        for data in (f"fs:{2**31}", "gj:9223372036854775807", f"od:{HUGE}"):
            calls = await shop.press_data(ann, card, data)
            [answer] = only(calls, "answerCallbackQuery")
            assert "went wrong on our side" not in str(answer.params), (data, answer.params)
    finally:
        await stop_shop(shop)
    assert shop.standin.violations == []
