"""The merchant dashboard in real headless Chromium, on aiogram and on python-telegram-bot: a
staff member's dashboard lists the demo products, a price changed there is on the buyer's next
card, an uploaded photo is the card's; forged, expired and buyers' sign-ins change nothing; an
order marked shipped there tells the buyer exactly what marking it shipped in chat does."""

from __future__ import annotations

import struct
import zlib
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from sqlalchemy import select

from bot.dashboard.page import INIT_HEADER
from bot.domain.staff import Role
from storage.admin_tables import AdminAuditRow
from tests.e2e.dashboard_browser import (
    init_data_for,
    needs_chromium,
    screenshot,
    served,
    shown,
    telegram_page,
)
from tests.e2e.harness import (
    ADMIN_ID,
    TOKEN,
    RunningShop,
    keyboard_texts,
    only,
    product_card,
    product_id,
)

pytestmark = [pytest.mark.browser, needs_chromium]

STAFF_ID = 7001


def _png() -> bytes:
    """A 2x2 red PNG."""
    raw = b"".join(b"\x00" + b"\xff\x00\x00" * 2 for _ in range(2))

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", 2, 2, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


def _shown(card: dict[str, Any]) -> str:
    return str(card.get("caption") or card.get("text") or "")


async def _add_staff(shop: RunningShop, user_id: int = STAFF_ID) -> None:
    async with shop.uows() as uow:
        await uow.staff.add(user_id, Role.STAFF, ADMIN_ID, shop.now())
        await uow.commit()


async def _audit(shop: RunningShop) -> list[tuple[str, str]]:
    async with shop.uows.engine.connect() as conn:
        rows = (await conn.execute(select(AdminAuditRow))).all()  # type: ignore[call-overload]
    return [(r.action, r.target) for r in rows]


async def test_staff_lists_products_edits_price_and_photo_seen_on_the_buyers_card(
    shop: RunningShop, tmp_path: Path
) -> None:
    await _add_staff(shop)
    ann = shop.standin.private_chat(6201, "Ann")
    card = await product_card(shop, ann, "tripod")
    assert "$15.99" in _shown(card)  # a text card: the tripod has no photo yet
    tripod = await product_id(shop, "tripod")
    async with (
        served(shop, tmp_path / "media") as url,
        telegram_page(url, init_data_for(STAFF_ID)) as page,
    ):
        await shown(page, "products")
        names = await page.locator("[data-product] a").all_inner_texts()
        assert "Phone Tripod" in names and len(names) >= 5, names
        await screenshot(page, "products")
        # search
        await page.fill("input[name=q]", "tripod")
        await page.click("form[data-get] button")
        await shown(page, "products")
        assert await page.locator("[data-product] a").all_inner_texts() == ["Phone Tripod"]
        await page.click("[data-product] a")
        await shown(page, f"product/{tripod}")
        variant = page.locator("[data-variant]").first
        # a bad price is refused with a clear message, nothing changes
        await variant.locator("input[name=price]").fill("-3")
        await variant.locator("button").click()
        await shown(page, f"product/{tripod}")
        error = await page.locator(".notice.error").inner_text()
        assert "negative" in error, error
        assert await page.evaluate("document.body.dataset.status") == "422"
        variant = page.locator("[data-variant]").first
        await variant.locator("input[name=stock]").fill("1.5")
        await variant.locator("button").click()
        await shown(page, f"product/{tripod}")
        assert "whole number" in await page.locator(".notice.error").inner_text()
        # a good one
        variant = page.locator("[data-variant]").first
        await variant.locator("input[name=price]").fill("12.34")
        await variant.locator("input[name=stock]").fill("40")
        await variant.locator("button").click()
        await shown(page, f"product/{tripod}")
        assert await page.locator(".notice.ok").inner_text() == "Saved."
        await screenshot(page, "product")
        # the buyer's next card shows the new price
        card = await product_card(shop, ann, "tripod")
        assert "$12.34" in _shown(card) and "$15.99" not in _shown(card), card
        # a name is shown as typed, never run as HTML (here and on the buyer's card)
        evil = '<img src=x onerror="window.pwned=1">Tripod & "Co"'
        await page.fill("input[name=name]", evil)
        await page.locator("form[data-post$='/texts'] button").click()
        await shown(page, f"product/{tripod}")
        assert await page.locator("h1").inner_text() == evil
        assert await page.locator("#app img").count() == 0
        assert await page.evaluate("window.pwned === undefined")
        card = await product_card(shop, ann, "tripod")
        assert evil in _shown(card), card  # the stand-in shows the parsed text
        # a photo uploaded there is the card's
        await page.set_input_files(
            "input[name=media]",
            files=[{"name": "tripod.png", "mimeType": "image/png", "buffer": _png()}],
        )
        await page.locator("form[data-post$='/media'] button").click()
        await shown(page, f"product/{tripod}")
        assert "next card" in await page.locator(".notice.ok").inner_text()
        calls = await shop.send(ann, f"/start p_{tripod}")
        [photo] = only(calls, "sendPhoto")
        # hidden from buyers, then shown again (each confirmed in a dialog)
        await page.locator("form[data-post$='/active'] button").click()
        await shown(page, f"product/{tripod}")
        assert "Hidden" in await page.locator(".notice.ok").inner_text()
        async with shop.uows() as uow:
            assert await uow.catalog.product(tripod) is None  # buyers no longer see it
        await page.locator("form[data-post$='/active'] button").click()
        await shown(page, f"product/{tripod}")
        assert "Shown" in await page.locator(".notice.ok").inner_text()
    uploaded = photo.params["photo"]["upload"]
    assert uploaded.endswith(".png") and (tmp_path / "media" / uploaded).read_bytes() == _png()
    assert "$12.34" in photo.params["caption"]
    vid = await _variant_of(shop, tripod)
    assert await _audit(shop) == [
        ("product.price", f"variant:{vid}"),
        ("product.stock", f"variant:{vid}"),
        ("product.texts", f"product:{tripod}"),
        ("product.media", f"product:{tripod}"),
        ("product.archive", f"product:{tripod}"),
        ("product.unarchive", f"product:{tripod}"),
    ]


async def _variant_of(shop: RunningShop, product: int) -> int:
    async with shop.uows() as uow:
        found = await uow.catalog.product(product)
    assert found is not None
    return found.variants[0].id


async def _post(url: str, path: str, init_data: str | None, **form: str) -> tuple[int, str]:
    headers = {INIT_HEADER: init_data} if init_data is not None else {}
    async with (
        aiohttp.ClientSession() as session,
        session.post(f"{url}/api/{path}", data=form, headers=headers) as response,
    ):
        return response.status, await response.text()


async def test_forged_expired_and_buyers_sign_ins_are_refused_and_change_nothing(
    shop: RunningShop, tmp_path: Path
) -> None:
    ann = shop.standin.private_chat(6202, "Ann")
    await shop.send(ann, "/start")  # a buyer the shop knows
    tripod = await product_id(shop, "tripod")
    vid = await _variant_of(shop, tripod)
    path = f"product/{tripod}/variant/{vid}"
    forged = init_data_for(ADMIN_ID).replace("hash=", "hash=0")
    expired = init_data_for(ADMIN_ID, auth_date=shop.now().timestamp() - 2 * 86400)
    other_bot = init_data_for(ADMIN_ID, token="999:OTHER")
    async with served(shop, tmp_path / "media") as url:
        for init_data, status in [
            (None, 401),
            (forged, 401),
            (expired, 401),
            (other_bot, 401),
            (init_data_for(6202, "Ann"), 403),
        ]:
            got, body = await _post(url, path, init_data, price="0.01", stock="0")
            assert got == status, (got, body)
        async with telegram_page(url, init_data_for(6202, "Ann")) as page:
            await page.wait_for_function("document.body.dataset.status === '403'")
            assert "owners and staff" in await page.locator("#app").inner_text()
            assert await page.locator("[data-product]").count() == 0
        async with telegram_page(url, expired) as page:
            await page.wait_for_function("document.body.dataset.status === '401'")
            assert "open the dashboard again" in await page.locator("#app").inner_text()
    card = await product_card(shop, ann, "tripod")
    assert "$15.99" in _shown(card)
    assert await _audit(shop) == []


async def _paid_order(shop: RunningShop, chat: Any) -> int:
    from tests.e2e.test_admin_orders import _paid_order as paid

    return int((await paid(shop, chat)).id)


async def test_marked_shipped_in_the_dashboard_tells_the_buyer_as_chat_does(
    shop: RunningShop, tmp_path: Path
) -> None:
    await _add_staff(shop)
    ann = shop.standin.private_chat(6203, "Ann")
    by_chat, by_dashboard = await _paid_order(shop, ann), await _paid_order(shop, ann)
    admin = shop.standin.private_chat(ADMIN_ID, "Boss")
    # In chat: the console's confirmation, then what the buyer got.
    from tests.e2e.test_admin_orders import _open_order

    screen = await _open_order(shop, admin, by_chat, "To ship")
    await shop.press(admin, screen, "🚚 Mark shipped")
    await shop.send(admin, "TRACK-1")
    await shop.press(admin, admin.last_message() or {}, "✅ Yes, shipped")
    await shop.settle()
    from_chat = ann.last_message()
    assert from_chat is not None and f"#{by_chat}" in from_chat["text"]
    async with (
        served(shop, tmp_path / "media") as url,
        telegram_page(url, init_data_for(STAFF_ID)) as page,
    ):
        await shown(page, "products")
        await page.click("nav a[data-go=orders]")
        await shown(page, "orders")
        await page.select_option("select[name=status]", "to_ship")
        await page.click("form[data-get] button")
        await shown(page, "orders")
        listed = await page.locator("[data-order]").evaluate_all(
            "els => els.map(e => e.dataset.order)"
        )
        assert listed == [str(by_dashboard)], listed
        await screenshot(page, "orders")
        await page.click(f"[data-order='{by_dashboard}'] a")
        await shown(page, f"order/{by_dashboard}")
        assert "Phone Tripod" in await page.locator("#app").inner_text()
        # staff may not refund: no refund form
        assert await page.locator("form[data-post$='/refund']").count() == 0
        await page.fill("input[name=tracking]", "TRACK-2")
        await page.click("form[data-post$='/ship'] button")
        await shown(page, f"order/{by_dashboard}")
        assert "the buyer is told" in await page.locator(".notice.ok").inner_text()
        await screenshot(page, "order")
    await shop.settle()
    from_dashboard = ann.last_message()
    assert from_dashboard is not None
    assert from_dashboard["text"] == from_chat["text"].replace(
        f"#{by_chat}", f"#{by_dashboard}"
    ).replace("TRACK-1", "TRACK-2")
    assert keyboard_texts(from_dashboard) == keyboard_texts(from_chat) != []
    assert await _audit(shop) == [
        ("order.ship", f"order:{by_chat}"),
        ("order.ship", f"order:{by_dashboard}"),
    ]


async def test_admin_has_a_dashboard_button_and_staff_get_the_menu_button(
    shop: RunningShop,
) -> None:
    from bot.dashboard.menu_button import MenuButtons

    url = "https://shop.example/dashboard"
    shop.storefront.config.dashboard_url = url
    admin = shop.standin.private_chat(ADMIN_ID, "Boss")
    await shop.send(admin, "/admin")
    menu = admin.last_message()
    assert menu is not None
    [last] = menu["reply_markup"]["inline_keyboard"][-1]  # a row of its own, after the console's
    assert last["text"] == "🖥 Dashboard" and last["web_app"] == {"url": url}, last
    menus = MenuButtons(shop.uows, shop.standin.base_url, TOKEN, url, (ADMIN_ID,))
    menus.listen(shop.storefront.on_staff_added, shop.storefront.on_staff_removed)
    assert await menus.set_all() == 1
    [set_for_owner] = only(shop.standin.calls, "setChatMenuButton")
    assert set_for_owner.params["chat_id"] == ADMIN_ID
    assert set_for_owner.params["menu_button"]["web_app"] == {"url": url}
    bo = shop.standin.private_chat(6301, "Bo", username="bo_staff", language_code="zh-hans")
    await shop.send(bo, "/start")
    await shop.send(admin, "/admin staff add @bo_staff")
    await menus.idle()
    calls = only(shop.standin.calls, "setChatMenuButton")
    assert [c.params["chat_id"] for c in calls] == [ADMIN_ID, 6301]
    assert calls[-1].params["menu_button"]["text"] == "🖥 管理面板"  # in Bo's language
    # Removed from staff: Bo's menu button is the usual commands menu again.
    await shop.send(admin, "/admin staff remove @bo_staff")
    await menus.idle()
    calls = only(shop.standin.calls, "setChatMenuButton")
    assert [c.params["chat_id"] for c in calls] == [ADMIN_ID, 6301, 6301]
    assert calls[-1].params["menu_button"] == {"type": "default"}
    # A buyer's /admin shows no dashboard button (they are refused).
    carl = shop.standin.private_chat(6302, "Carl")
    await shop.send(carl, "/admin")
    assert "web_app" not in str(carl.last_message())


async def test_coupons_and_flash_sales_created_paused_and_stopped_from_the_dashboard(
    shop: RunningShop, tmp_path: Path
) -> None:
    await _add_staff(shop)
    async with (
        served(shop, tmp_path / "media") as url,
        telegram_page(url, init_data_for(STAFF_ID)) as page,
    ):
        await shown(page, "products")
        await page.click("nav a[data-go=promos]")
        await shown(page, "promos")
        coupon_form = page.locator("form[data-post='coupons/new']")
        await page.locator("details").first.locator("summary").click()
        await coupon_form.locator("input[name=code]").fill("DASH10")
        await coupon_form.locator("input[name=value]").fill("ten")
        await coupon_form.locator("button").click()
        await shown(page, "promos")
        assert "is not a value" in await page.locator(".notice.error").inner_text()
        coupon_form = page.locator("form[data-post='coupons/new']")
        await page.locator("details").first.locator("summary").click()
        await coupon_form.locator("input[name=value]").fill("10%")
        await coupon_form.locator("input[name=limit]").fill("50")
        await coupon_form.locator("button").click()
        await shown(page, "promos")
        assert "DASH10 created" in await page.locator(".notice.ok").inner_text()
        card = page.locator("[data-coupon=DASH10]")
        assert "10% off" in await card.inner_text() and "Used: 0 of 50" in await card.inner_text()
        await card.locator("button").click()  # pause
        await shown(page, "promos")
        assert "paused" in await page.locator("[data-coupon=DASH10]").inner_text()
        sale_form = page.locator("form[data-post='sales/new']")
        await page.locator("details").nth(1).locator("summary").click()
        await sale_form.locator("input[name=sku]").fill("KJ-10")
        await sale_form.locator("input[name=price]").fill("2.99")
        await sale_form.locator("input[name=units]").fill("5")
        await sale_form.locator("button").click()
        await shown(page, "promos")
        assert "scheduled" in await page.locator(".notice.ok").inner_text()
        await screenshot(page, "promos")
        sale = page.locator("[data-sale]").first
        assert "live" in await sale.inner_text() and "claimed 0 of 5" in await sale.inner_text()
        await sale.locator("button").click()  # stop (confirmed)
        await shown(page, "promos")
        assert "ended" in await page.locator("[data-sale]").first.inner_text()
    async with shop.uows() as uow:
        coupon = await uow.coupons.by_code("DASH10")
    assert coupon is not None and not coupon.active and coupon.usage_limit == 50
    actions = [a for a, _ in await _audit(shop)]
    assert actions == ["coupon.create", "coupon.disable", "sale.schedule", "sale.stop"]


async def test_stats_show_the_consoles_figures_and_chart_and_export_csv(
    shop: RunningShop, tmp_path: Path
) -> None:
    ann = shop.standin.private_chat(6204, "Ann")
    order = await _paid_order(shop, ann)
    async with (
        served(shop, tmp_path / "media") as url,
        telegram_page(url, init_data_for(ADMIN_ID, "Boss")) as page,
    ):
        await shown(page, "products")
        await page.click("nav a[data-go=stats]")
        await shown(page, "stats")
        await page.click("a[data-go='stats?days=1']")
        await shown(page, "stats")
        text = await page.locator("#app").inner_text()
        assert "15.99" in text, text
        size = await page.locator("img.chart").evaluate("img => img.naturalWidth")
        assert size > 200
        await screenshot(page, "stats")
        async with page.expect_download() as waiting:
            await page.click("a[data-download]")
        download = await waiting.value
        saved = tmp_path / "orders.csv"
        await download.save_as(str(saved))
        # The page speaks the language Telegram reports for the person.
        async with (
            aiohttp.ClientSession() as session,
            session.get(
                f"{url}/api/stats?days=1",
                headers={INIT_HEADER: init_data_for(ADMIN_ID, "Boss", "zh-CN")},
            ) as response,
        ):
            chinese = await response.text()
        assert response.status == 200 and "商品" in chinese and "统计" in chinese
    assert f"{order}" in saved.read_text(encoding="utf-8").splitlines()[1]
    actions = [a for a, _ in await _audit(shop)]
    assert actions == ["stats.view", "stats.view", "stats.export", "stats.view"]


async def test_owner_refunds_part_and_cancels_staff_may_not_refund(
    shop: RunningShop, tmp_path: Path
) -> None:
    await _add_staff(shop)
    ann = shop.standin.private_chat(6205, "Ann")
    refunded, cancelled = await _paid_order(shop, ann), await _paid_order(shop, ann)
    async with served(shop, tmp_path / "media") as url:
        # staff: no refund form, and a refund posted anyway is refused with nothing queued
        status, _ = await _post(
            url, f"order/{refunded}/refund", init_data_for(STAFF_ID), amount="5"
        )
        assert status == 403
        await shop.settle()
        assert not shop.stripe.requests_to("/v1/refunds", "POST")
        async with telegram_page(url, init_data_for(ADMIN_ID, "Boss")) as page:
            await shown(page, "products")
            await page.evaluate(f"window.dashboard.show('order/{refunded}')")
            await shown(page, f"order/{refunded}")
            form = page.locator("form[data-post$='/refund']")
            await form.locator("input[name=amount]").fill("99")
            await form.locator("button").click()
            await shown(page, f"order/{refunded}")
            assert "more than is left" in await page.locator(".notice.error").inner_text()
            form = page.locator("form[data-post$='/refund']")
            await form.locator("input[name=amount]").fill("5")
            await form.locator("button").click()  # confirmed in the dialog
            await shown(page, f"order/{refunded}")
            assert "$5.00 is on its way" in await page.locator(".notice.ok").inner_text()
            await shop.settle()
            [first] = shop.stripe.requests_to("/v1/refunds", "POST")
            assert first.params["amount"] == "500"
            await page.evaluate(f"window.dashboard.show('order/{cancelled}')")
            await shown(page, f"order/{cancelled}")
            await page.locator("form[data-post$='/cancel'] button").click()
            await shown(page, f"order/{cancelled}")
            assert f"#{cancelled} is cancelled" in await page.locator(".notice.ok").inner_text()
            assert await page.locator("form[data-post$='/cancel']").count() == 0
    await shop.settle()
    told = [str(m.get("text", "")) for m in ann.messages()]
    assert any(f"#{cancelled} was cancelled by the shop" in t for t in told), told[-3:]
    second = shop.stripe.requests_to("/v1/refunds", "POST")[1]
    assert second.params["amount"] == "1599"
    actions = [a for a, _ in await _audit(shop)]
    assert actions == ["order.refund", "order.cancel"]


async def test_the_webhook_server_serves_the_dashboard_beside_the_updates(
    shop: RunningShop, tmp_path: Path
) -> None:
    from bot.dashboard.server import Dashboard
    from bot.telegram.webhook import WebhookServer, make_webhook_bot

    order = await _paid_order(shop, shop.standin.private_chat(6206, "Ann"))
    dashboard = Dashboard(shop.storefront, TOKEN, media_dir=tmp_path / "media")
    bot = make_webhook_bot(shop.framework, shop.storefront, TOKEN, shop.standin.base_url)
    server = WebhookServer(bot, "s3cret", path="/telegram", routes=dashboard.routes())
    await server.start()
    try:
        base = server.local_url
        async with aiohttp.ClientSession() as session:
            async with session.get(f"{base}/dashboard") as shell:
                page = await shell.text()
                assert shell.status == 200 and "telegram-web-app.js" in page
                assert "Phone Tripod" not in page  # the shell holds no shop data
            owner = {INIT_HEADER: init_data_for(ADMIN_ID)}
            async with session.get(f"{base}/dashboard/api/products", headers=owner) as listed:
                assert listed.status == 200 and "Phone Tripod" in await listed.text()
            today = f"{base}/dashboard/api/orders?status=paid&from={shop.now():%Y-%m-%d}"
            async with session.get(today, headers=owner) as listed_today:
                assert f'data-order="{order}"' in await listed_today.text()
            future = f"{base}/dashboard/api/orders?status=all&from=2999-01-01"
            async with session.get(future, headers=owner) as none_yet:
                text = await none_yet.text()
                assert "No orders here." in text and "data-order" not in text
            garbage = f"{base}/dashboard/api/orders?from=31.12.2026"
            async with session.get(garbage, headers=owner) as refused:
                assert "A date is written like 2026-12-31." in await refused.text()
            async with session.get(f"{base}/dashboard/api/products") as anonymous:
                assert anonymous.status == 401
            async with session.post(f"{base}/telegram", json={"update_id": 1}) as update:
                assert update.status == 401  # the updates keep their own secret
    finally:
        await server.stop()
