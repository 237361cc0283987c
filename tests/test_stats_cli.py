"""``storefront stats`` as a merchant uses it (real subprocesses, SQLite): the figures, the CSV
file, refusals of periods that are not one, and the audit log."""

from __future__ import annotations

import asyncio
import csv
import stat
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import select

from bot.domain.money import Money
from bot.domain.orders import OrderStatus
from bot.services.order_ports import NewOrder, OrderLine
from storage.admin_tables import AdminAuditRow
from storage.engine import make_engine
from storage.unit_of_work import SqlUnitOfWorkFactory
from tests.databases import sqlite_database
from tests.helpers import storefront


async def _seed(db: str, now: datetime) -> list[int]:
    """Two paid orders (USD, Stars) as the bot would have written them, and one unpaid."""
    uows = SqlUnitOfWorkFactory(make_engine(db))
    made = []
    async with uows() as uow:
        for sku, qty, paid in (("KJ-10", 2, True), ("EB-1", 1, True), ("KJ-10", 1, False)):
            variant_id = await uow.catalog.variant_by_sku(sku)
            assert variant_id is not None
            found = await uow.catalog.variant(variant_id)
            assert found is not None
            variant, product = found
            line = OrderLine(variant_id, product.id, None, product.name, variant.price, qty)
            items = variant.price * qty
            zero = Money.zero(items.currency)
            new = NewOrder(
                77, 77, "t" * 16, (line,), items, zero, items, None, False,
                "digital" if sku == "EB-1" else "pickup", "telegram", True,
            )  # fmt: skip
            order = await uow.orders.create(new, now - timedelta(hours=1))
            if paid:
                await uow.orders.move(
                    order.id, OrderStatus.PAID, frozenset({OrderStatus.PENDING}), now, paid_at=now
                )
            made.append(order.id)
        await uow.commit()
    await uows.dispose()
    return made


async def _audit(db: str) -> list[tuple[int, str, str]]:
    engine = make_engine(db)
    async with engine.connect() as conn:
        rows = (
            await conn.execute(
                select(AdminAuditRow.actor_id, AdminAuditRow.role, AdminAuditRow.action)  # type: ignore[call-overload]
            )
        ).all()
    await engine.dispose()
    return [tuple(r) for r in rows]


def test_stats_and_the_csv_file(tmp_path: Path) -> None:
    # As `storefront migrate` and `storefront catalog import --demo` leave it:
    db = sqlite_database(tmp_path / "shop.db", demo=True)
    env = {"DATABASE_URL": db}
    ids = asyncio.run(_seed(db, datetime.now(UTC)))

    out = tmp_path / "orders.csv"
    shown = storefront("stats", "--days", "7", "--csv", str(out), cwd=tmp_path, **env)
    assert shown.returncode == 0, shown.stdout + shown.stderr
    text = shown.stdout
    assert "USD: net 9.98 USD = paid 9.98 USD - refunded 0.00 USD; 1 paid order," in text
    assert "XTR: net 150 XTR = paid 150 XTR - refunded 0 XTR; 1 paid order," in text
    assert "checkout 1 (" in text and "paid 1 (" in text and "100.0% of checkouts" in text
    assert "Spicy Konjac Jelly (10 pack): 9.98 USD, 2 sold" in text
    assert f"Wrote 3 orders to {out}." in text
    # Names, phones and addresses: the export and the database are the owner's alone.
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    assert stat.S_IMODE((tmp_path / "shop.db").stat().st_mode) == 0o600
    with out.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert [int(r["order_id"]) for r in rows] == ids
    assert [(r["total"], r["currency"], r["status"]) for r in rows] == [
        ("9.98", "USD", "paid"),
        ("150", "XTR", "paid"),
        ("4.99", "USD", "pending"),
    ]
    assert rows[0]["items"] == "KJ-10 × 2"
    assert asyncio.run(_audit(db)) == [(0, "owner", "stats.view"), (0, "owner", "stats.export")]

    long_ago = storefront(
        "stats", "--from", "2020-01-01", "--to", "2020-01-31", cwd=tmp_path, **env
    )
    assert long_ago.returncode == 0 and "No paid orders." in long_ago.stdout
    for args, said in (
        (("--from", "2026-01-02"), "give both --from and --to"),
        (("--from", "2026-01-31", "--to", "2026-01-01"), "--from is after --to"),
        (("--from", "2026-1-1", "--to", "2026-01-31"), "YYYY-MM-DD"),
        (("--days", "0"), "--days is 1 to 366"),
        (("--days", "3", "--from", "2026-01-01", "--to", "2026-01-02"), "either --days"),
    ):
        refused = storefront("stats", *args, cwd=tmp_path, **env)
        assert refused.returncode == 2 and said in refused.stderr, (args, refused.stderr)
    nowhere = storefront("stats", "--csv", str(tmp_path / "no" / "such.csv"), cwd=tmp_path, **env)
    assert nowhere.returncode == 1 and "cannot write" in nowhere.stderr
