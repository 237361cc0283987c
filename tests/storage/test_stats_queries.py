"""The shop's figures in storage, on SQLite and on PostgreSQL: revenue per currency net of
refunds (never summed across currencies), the period's bounds (end exclusive), card holds and
orders outside the period left out, the funnel's distinct people, top products, and the CSV
export read in batches with its cells protected against spreadsheet formulas."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import event

from bot.domain.interests import InteractionKind
from bot.domain.money import Money
from bot.domain.orders import OrderStatus
from bot.services import shop_stats
from bot.services.catalog_import import demo_catalog_path, import_catalog, read_catalog
from bot.services.order_ports import NewOrder, OrderLine
from bot.services.ports import UnitOfWork
from bot.services.shop_stats import Period
from bot.services.stats_ports import CurrencyTotals, DaySales, FunnelCounts
from storage.unit_of_work import SqlUnitOfWorkFactory

ANN, BOB, CY, DI, ED, FE, GUS = (8_000_000_000 + i for i in range(1, 8))
PERIOD = Period(date(2026, 11, 20), date(2026, 11, 26))


def at(day: int, hour: int = 12, minute: int = 0, second: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, second, tzinfo=UTC)


async def _ids(uow: UnitOfWork, sku: str) -> tuple[int, int, str]:
    variant_id = await uow.catalog.variant_by_sku(sku)
    assert variant_id is not None
    found = await uow.catalog.variant(variant_id)
    assert found is not None
    variant, product = found
    return variant_id, product.id, variant.price.currency


async def _order(
    uow: UnitOfWork,
    user: int,
    sku: str,
    qty: int,
    unit: int,
    created: datetime,
    paid: datetime | None = None,
    status: OrderStatus = OrderStatus.PAID,
    **fields: object,
) -> int:
    variant_id, product_id, currency = await _ids(uow, sku)
    price = Money(unit, currency)
    line = OrderLine(variant_id, product_id, None, f"Item {sku}", price, qty)
    items = price * qty
    new = NewOrder(
        user, user, "t" * 16, (line,), items, Money.zero(currency), items, None, False,
        "pickup", "telegram", False,
    )  # fmt: skip
    order = await uow.orders.create(new, created)
    if paid is not None:
        pending = frozenset({OrderStatus.PENDING})
        await uow.orders.move(order.id, status, pending, paid, paid_at=paid, **fields)
    return order.id


@pytest.fixture
async def shop(uows: SqlUnitOfWorkFactory) -> dict[str, int]:
    """A week of a small shop, plus orders just outside it."""
    await import_catalog(uows, read_catalog(demo_catalog_path()))
    made: dict[str, int] = {}
    async with uows() as uow:
        made["ann"] = await _order(uow, ANN, "KJ-10", 2, 499, at(21, 9), at(21, 23, 30))
        await uow.orders.add_refunded(made["ann"], Money(300, "USD"), at(22))
        made["bob"] = await _order(
            uow, BOB, "PT-1", 1, 1599, at(25), at(25, 13), tracking="=HYPERLINK(1)"
        )
        made["cy"] = await _order(uow, CY, "EB-1", 1, 150, at(25), at(25, 14))
        await uow.orders.add_refunded(made["cy"], Money(150, "XTR"), at(25, 15))
        made["di"] = await _order(uow, DI, "KJ-10", 1, 499, at(24))  # invoice never paid
        made["fe"] = await _order(  # a card hold not captured yet: no money taken
            uow, FE, "PT-1", 1, 1599, at(23), at(23, 13), status=OrderStatus.AUTHORIZED
        )
        # The last second of the period; paid at the first of the next day.
        made["gus"] = await _order(uow, GUS, "KJ-10", 3, 499, at(26, 23, 59, 59), at(27, 0))
        made["old"] = await _order(uow, ANN, "KJ-10", 1, 499, at(10), at(10))  # before
        kj = (await _ids(uow, "KJ-10"))[1]
        pt = (await _ids(uow, "PT-1"))[1]
        for person in (ANN, BOB, CY, DI, ED):
            await uow.interests.record(person, [kj], InteractionKind.VIEW, at(21))
        await uow.interests.record(ANN, [pt], InteractionKind.VIEW, at(22))  # same person
        await uow.interests.record(GUS, [kj], InteractionKind.VIEW, at(19, 23, 59))  # before
        await uow.interests.record(ANN, [kj], InteractionKind.ADD, at(21))
        await uow.interests.record(DI, [kj, pt], InteractionKind.ADD, at(24))
        await uow.interests.record(ED, [kj], InteractionKind.ADD, at(27))  # after
        await uow.commit()
    return made


async def test_revenue_per_currency_net_of_refunds_and_the_daily_series(
    uows: SqlUnitOfWorkFactory, shop: dict[str, int]
) -> None:
    async with uows() as uow:
        stats = await shop_stats.gather(uow, PERIOD)
    assert stats.totals == [
        CurrencyTotals("USD", 2, 998 + 1599, 300),
        CurrencyTotals("XTR", 1, 150, 150),
    ]
    assert stats.totals[0].net_minor == 2297 and stats.totals[1].net_minor == 0
    assert shop_stats.average_minor(stats.totals[0]) == 1299  # 2597 / 2, half up
    assert stats.daily == [
        DaySales(date(2026, 11, 21), "USD", 1, 698),
        DaySales(date(2026, 11, 25), "USD", 1, 1599),
        DaySales(date(2026, 11, 25), "XTR", 1, 0),
    ]
    usd = stats.series("USD")
    assert len(usd) == 7 and usd[1] == 698 and usd[5] == 1599 and sum(usd) == 2297
    assert stats.orders_per_day() == [0, 1, 0, 0, 0, 2, 0]
    assert not stats.empty


async def test_the_funnel_counts_distinct_people_in_the_period(
    uows: SqlUnitOfWorkFactory, shop: dict[str, int]
) -> None:
    async with uows() as uow:
        funnel = await uow.stats.funnel(PERIOD.start, PERIOD.end)
    # Checkout: Ann, Bob, Cy, Di, Fe and Gus were sent an invoice in the period; paid: Ann,
    # Bob, Cy (Fe's card is only held, Gus paid after the period).
    assert funnel == FunnelCounts(viewed=5, added=2, checkout=6, paid=3)
    assert shop_stats.conversion(funnel.added, funnel.viewed) == 40
    assert shop_stats.conversion(funnel.paid, funnel.checkout) == 50
    assert shop_stats.conversion(1, 3) == shop_stats.conversion(2, 6)
    assert str(shop_stats.conversion(1, 3)) == "33.3"
    assert shop_stats.conversion(3, 0) is None


async def test_top_products_per_currency(uows: SqlUnitOfWorkFactory, shop: dict[str, int]) -> None:
    async with uows() as uow:
        top = await uow.stats.top_products(PERIOD.start, PERIOD.end, 5)
        one = await uow.stats.top_products(PERIOD.start, PERIOD.end, 1)
    assert [(p.name, p.currency, p.units, p.revenue_minor) for p in top] == [
        ("Item PT-1", "USD", 1, 1599),
        ("Item KJ-10", "USD", 2, 998),
        ("Item EB-1", "XTR", 1, 150),
    ]
    assert [(p.name, p.currency) for p in one] == [("Item PT-1", "USD"), ("Item EB-1", "XTR")]


async def test_an_empty_period_has_nothing(uows: SqlUnitOfWorkFactory) -> None:
    async with uows() as uow:
        stats = await shop_stats.gather(uow, Period(date(2026, 1, 1), date(2026, 1, 31)))
        export = await shop_stats.export_csv(uow, stats.period)
    assert stats.empty and stats.totals == [] and stats.top == [] and stats.daily == []
    assert stats.series("USD") == [0] * 31
    assert export.rows == 0 and export.data.decode() == ",".join(shop_stats.CSV_HEADER) + "\r\n"


async def test_the_csv_export_in_batches(
    uows: SqlUnitOfWorkFactory, shop: dict[str, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(shop_stats, "EXPORT_BATCH", 2)  # several pages and chunks
    async with uows() as uow:
        pages = [o.id async for o in uow.stats.orders(PERIOD.start, PERIOD.end, 2)]
        chunks = [c async for c in shop_stats.csv_chunks(uow, PERIOD)]
        export = await shop_stats.export_csv(uow, PERIOD)
    in_period = ["ann", "bob", "cy", "di", "fe", "gus"]
    assert pages == sorted(shop[k] for k in in_period)
    assert len(chunks) == 4 and sum(c.rows for c in chunks) == 6 == export.rows
    rows = list(csv.reader(io.StringIO(export.data.decode("utf-8"))))
    assert tuple(rows[0]) == shop_stats.CSV_HEADER
    by_id = {int(r[0]): dict(zip(shop_stats.CSV_HEADER, r, strict=True)) for r in rows[1:]}
    assert set(by_id) == {shop[k] for k in in_period}
    ann = by_id[shop["ann"]]
    assert ann["created_at"] == "2026-11-21T09:00:00+00:00" and ann["buyer_id"] == str(ANN)
    assert ann["items"] == "KJ-10 × 2" and ann["status"] == "paid"
    assert (ann["subtotal"], ann["total"], ann["refunded"]) == ("9.98", "9.98", "3.00")
    assert ann["currency"] == "USD" and ann["delivery"] == "pickup"
    assert by_id[shop["cy"]]["total"] == "150" and by_id[shop["cy"]]["currency"] == "XTR"
    assert by_id[shop["di"]]["status"] == "pending"
    assert by_id[shop["fe"]]["status"] == "authorized"
    assert by_id[shop["bob"]]["tracking"] == "'=HYPERLINK(1)"  # not a formula
    assert by_id[shop["gus"]]["created_at"] == "2026-11-26T23:59:59+00:00"


async def test_an_export_past_the_upload_limit_is_refused(
    uows: SqlUnitOfWorkFactory, shop: dict[str, int]
) -> None:
    async with uows() as uow:
        export = await shop_stats.export_csv(uow, PERIOD, limit=200)
    assert export.too_large and export.data == b""


def test_periods_parse_and_are_checked() -> None:
    today = date(2026, 11, 25)
    assert shop_stats.parse_period("2026-11-01 2026-11-30", today) == Period(
        date(2026, 11, 1), date(2026, 11, 30)
    )
    bad = {
        "": shop_stats.PeriodProblem.FORMAT,
        "2026-11-01": shop_stats.PeriodProblem.FORMAT,
        "2026-02-30 2026-03-01": shop_stats.PeriodProblem.FORMAT,
        "01.11.2026 30.11.2026": shop_stats.PeriodProblem.FORMAT,
        "2026-11-30 2026-11-01": shop_stats.PeriodProblem.ORDER,
        "2026-11-26 2026-11-30": shop_stats.PeriodProblem.FUTURE,
        "2024-01-01 2026-11-01": shop_stats.PeriodProblem.TOO_LONG,
    }
    for text, problem in bad.items():
        assert shop_stats.parse_period(text, today) is problem, text
    week = Period.ending(today, 7)
    assert (week.first, week.last, week.days) == (date(2026, 11, 19), today, 7)
    assert week.end - week.start == timedelta(days=7)
    assert week.csv_name == "orders-20261119-20261125.csv"
    assert shop_stats.from_ordinals(week.first.toordinal(), today.toordinal(), today) == week
    assert shop_stats.from_ordinals(0, 5, today) is None
    assert shop_stats.from_ordinals(today.toordinal(), week.first.toordinal(), today) is None
    assert shop_stats.from_ordinals(10**9, 10**9, today) is None


def test_amounts_and_cells() -> None:
    assert shop_stats.major_units(1998, "USD") == "19.98"
    assert shop_stats.major_units(5, "USD") == "0.05"
    assert shop_stats.major_units(150, "XTR") == "150"
    assert shop_stats.major_units(1234, "KWD") == "1.234"
    for risky in ("=1+1", "+1", "-1", "@SUM(A1)", "\tx"):
        assert shop_stats.safe_cell(risky) == "'" + risky
    assert shop_stats.safe_cell("KJ-10 × 2") == "KJ-10 × 2"


async def test_days_are_utc_days_whatever_the_sessions_time_zone(
    uows: SqlUnitOfWorkFactory, shop: dict[str, int]
) -> None:
    if uows.engine.dialect.name == "postgresql":
        await uows.engine.dispose()  # new connections, each set to Tokyo time (UTC+9)

        @event.listens_for(uows.engine.sync_engine, "connect")
        def tokyo(dbapi_connection: Any, _record: Any) -> None:
            cursor = dbapi_connection.cursor()
            cursor.execute("SET TIME ZONE 'Asia/Tokyo'")
            cursor.close()

    async with uows() as uow:
        daily = await uow.stats.daily(PERIOD.start, PERIOD.end)
    # Ann paid at 23:30 UTC on the 21st (the 22nd in Tokyo): still the 21st.
    assert [(d.day, d.currency) for d in daily] == [
        (date(2026, 11, 21), "USD"),
        (date(2026, 11, 25), "USD"),
        (date(2026, 11, 25), "XTR"),
    ]
