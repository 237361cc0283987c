"""The console's catalog writes on SQLite and PostgreSQL: a product published from a video
held by Telegram (unique slug and SKU, searchable, the read cache dropped), edits, archived
products still listed for the merchant, and a wizard draft that fits its stored step."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from bot.conversation.screens.admin.products import STATE_BUDGET
from bot.conversation.screens.admin.registry import state
from bot.domain.catalog import MediaKind
from bot.domain.money import Money
from bot.services import merchant_catalog as mc
from bot.services.catalog_import import demo_catalog_path, import_catalog, read_catalog
from storage.unit_of_work import SqlUnitOfWorkFactory

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


async def _publish(uows: SqlUnitOfWorkFactory, name: str, **extra: object) -> mc.Published:
    async with uows() as uow:
        media = await uow.catalog_writer.add_media(MediaKind.VIDEO, f"BAADfile-{name}")
        new = mc.NewProduct(
            name=name,
            price=Money(1250, "USD"),
            stock=3,
            media_id=media,
            media_kind=MediaKind.VIDEO,
            description="Whisk included",
            **extra,  # type: ignore[arg-type]
        )
        done = await mc.publish(uow, new)
        await uow.commit()
    return done


async def test_publish_edit_archive_and_list(uows: SqlUnitOfWorkFactory) -> None:
    await import_catalog(uows, read_catalog(demo_catalog_path()))
    async with uows() as uow:
        assert await mc.shop_currency(uow, None) == "USD"
        assert await mc.shop_currency(uow, "EUR") == "EUR"
        snacks = next(
            s.category for s in await uow.catalog.categories() if s.category.slug == "snacks"
        )
        before = await uow.catalog.search_ids(["matcha"], 10)  # now in this process's cache
    assert before == []
    first = await _publish(uows, "Matcha Kit", category_id=snacks.id)
    second = await _publish(uows, "Matcha Kit", new_category="Tea & Cups")
    third = await _publish(uows, "Matcha Kit", new_category="tea & cups")  # the same one
    assert first.slug == "matcha-kit" and len({first.slug, second.slug, third.slug}) == 3
    assert second.slug.startswith("matcha-kit-") and third.slug.startswith("matcha-kit-")
    mango = await _publish(uows, "Dried Mango")  # the demo's slug and SKU are taken
    assert mango.slug.startswith("dried-mango-") and mango.sku.startswith("DRIED-MANGO")
    assert len({first.sku, second.sku, third.sku}) == 3
    assert second.category_id == third.category_id != snacks.id
    async with uows() as uow:
        found = await uow.catalog.search_ids(["matcha", "whisk"], 10)
        assert found == [first.product_id, second.product_id, third.product_id]
        assert first.product_id in await uow.catalog.product_ids(snacks.id)
        assert len(await uow.catalog.search_ids(["tea", "cups"], 10)) == 2  # category name
        product = await uow.catalog.product(first.product_id)
        assert product is not None and product.teaser is not None
        assert product.teaser.file_id == "BAADfile-Matcha Kit"
        assert product.variants[0].price == Money(1250, "USD")

        variant = product.variants[0].id
        assert await uow.catalog_writer.set_price(variant, Money(990, "USD"))
        assert await uow.catalog_writer.set_stock(variant, 0)
        assert await uow.catalog_writer.set_active(first.product_id, False)
        assert not await uow.catalog_writer.set_stock(10**6, 1)  # no such variant
        await uow.commit()
    async with uows() as uow:
        assert await uow.catalog.product(first.product_id) is None  # buyers: gone
        assert first.product_id not in await uow.catalog.search_ids(["matcha"], 10)
        kept = await uow.catalog_writer.any_product(first.product_id)
        assert kept is not None and not kept.active
        assert (kept.variants[0].price.amount, kept.variants[0].stock) == (990, 0)
        listing, total = await uow.catalog_writer.products_page(0, 100)
        assert total == len(listing) and listing[-1].id == first.product_id  # archived last
        assert not listing[-1].active and listing[-1].stock == 0
        page, _ = await uow.catalog_writer.products_page(2, 2)
        assert [p.id for p in page] == [p.id for p in listing[2:4]]

        photo = await uow.catalog_writer.add_media(MediaKind.PHOTO, "AgACphoto")
        assert await uow.catalog_writer.media_file(photo) == (MediaKind.PHOTO, "AgACphoto")
        assert await uow.catalog_writer.set_card_media(second.product_id, photo, MediaKind.PHOTO)
        await uow.commit()
    async with uows() as uow:
        shown = await uow.catalog.product(second.product_id)
        assert shown is not None and shown.teaser is None
        assert shown.card_media is not None and shown.card_media.file_id == "AgACphoto"


async def test_find_username_and_a_long_draft_fits_its_step(uows: SqlUnitOfWorkFactory) -> None:
    async with uows() as uow:
        await uow.buyers.touch(4200, "Stella", "Stella_W", "en", NOW)
        await uow.commit()
    async with uows() as uow:
        assert await uow.staff.find_username("@stella_w") == 4200
        assert await uow.staff.find_username("nobody") is None
        # The widest draft the wizard keeps: every text at its limit, in Chinese (6 JSON
        # characters each), stays under the column's 2,000 once trimmed to the budget.
        data: dict[str, int | str] = {
            "m": 123456,
            "k": "video",
            "c": "USD",
            "n": "茶" * mc.MAX_NAME,
            "p": 10**12,
            "s": 10**9,
            "nc": "杯" * mc.MAX_CATEGORY,
        }
        room = STATE_BUDGET - len(json.dumps(data)) - len(', "d": ""')
        data["d"] = "描" * (room // 6)
        assert len(json.dumps(data)) <= STATE_BUDGET
        await uow.ui_states.set(4200, 4200, state("admin.newp.confirm", **data), NOW)
        await uow.commit()
    async with uows() as uow:
        stored = await uow.ui_states.get(4200, 4200)
        assert stored is not None and stored.data == data
