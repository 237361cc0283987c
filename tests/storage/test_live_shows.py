"""Live shows in storage (SQLite and PostgreSQL) and the pure rules of ``/live``."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.domain.catalog import MediaKind
from bot.domain.live import CardSwap, LiveOp, LiveRequest, parse_request, swap_plan
from bot.services import live
from bot.services.catalog_import import demo_catalog_path, import_catalog, read_catalog
from bot.services.live import LiveRefusal
from storage.unit_of_work import SqlUnitOfWorkFactory

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
CHANNEL = -1_002_345_678_901  # a 64-bit channel id


async def test_one_show_per_chat_started_swapped_and_ended(uows: SqlUnitOfWorkFactory) -> None:
    await import_catalog(uows, read_catalog(demo_catalog_path()))
    async with uows() as uow:
        konjac = await live.pick_product(uow, "KJ-10")
        assert konjac.product is not None
        by_id = await live.pick_product(uow, str(konjac.product.id))
        assert by_id.product is not None and by_id.product.id == konjac.product.id
        assert (await live.pick_product(uow, "NOPE")).refusal is LiveRefusal.UNKNOWN_PRODUCT
        assert (await live.pick_product(uow, "99999999")).refusal is LiveRefusal.UNKNOWN_PRODUCT
        mango = await live.pick_product(uow, "DM-250")
        assert mango.product is not None
        await live.started(uow, CHANNEL, 7, konjac.product.id, 9000, NOW)
    async with uows() as uow:
        found = await live.featured(uow, CHANNEL)
        assert found is not None
        show, product = found
        assert (show.chat_id, show.message_id, show.started_by) == (CHANNEL, 7, 9000)
        assert product is not None and product.id == konjac.product.id
        later = NOW + timedelta(minutes=5)
        assert await live.swapped(uow, CHANNEL, 8, mango.product.id, later)
        assert not await live.swapped(uow, -42, 8, mango.product.id, later)
    async with uows() as uow:
        [show] = await uow.live.shows()
        assert (show.message_id, show.product_id, show.updated_at) == (8, mango.product.id, later)
        assert show.started_at == NOW
        # A show started again replaces the one left behind (one row per chat).
        await live.started(uow, CHANNEL, 9, konjac.product.id, 9001, later)
        [show] = await uow.live.shows()
        assert (show.message_id, show.started_by, show.started_at) == (9, 9001, later)
        assert await live.ended(uow, CHANNEL)
        assert not await live.ended(uow, CHANNEL)
        assert await uow.live.shows() == []


@pytest.mark.parametrize(
    ("args", "private", "expected"),
    [
        ("", False, LiveRequest(LiveOp.STATUS)),
        ("KJ-10", False, LiveRequest(LiveOp.SHOW, None, "KJ-10")),
        ("END", False, LiveRequest(LiveOp.END)),
        ("KJ-10 DM-250", False, None),
        ("<b>", False, None),
        ("", True, LiveRequest(LiveOp.STATUS)),
        ("KJ-10", True, None),
        ("@shop_live", True, LiveRequest(LiveOp.STATUS, "@shop_live")),
        ("@shop_live 12", True, LiveRequest(LiveOp.SHOW, "@shop_live", "12")),
        ("-1002345678901 end", True, LiveRequest(LiveOp.END, "-1002345678901")),
        ("@ab KJ-10", True, None),
    ],
)
def test_what_live_asks_for(args: str, private: bool, expected: LiveRequest | None) -> None:
    assert parse_request(args, in_private=private) == expected


def test_how_a_pinned_card_becomes_the_next_one() -> None:
    assert swap_plan(MediaKind.VIDEO, MediaKind.PHOTO) is CardSwap.EDIT_MEDIA
    assert swap_plan(MediaKind.NONE, MediaKind.NONE) is CardSwap.EDIT_TEXT
    assert swap_plan(MediaKind.VIDEO, MediaKind.NONE) is CardSwap.REPLACE
    assert swap_plan(MediaKind.NONE, MediaKind.PHOTO) is CardSwap.REPLACE
    assert swap_plan(None, MediaKind.VIDEO) is CardSwap.EDIT_MEDIA
