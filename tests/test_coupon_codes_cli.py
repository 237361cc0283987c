"""``storefront coupons codes`` as a merchant uses it (SQLite): one-time codes made in bulk as
CSV, to a file or printed; each code's use listed; refusals said plainly, never a traceback."""

from __future__ import annotations

import asyncio
import csv
import io
from datetime import UTC, datetime
from pathlib import Path

from bot.domain.coupons import ONE_TIME_ALPHABET
from storage.engine import make_engine
from storage.unit_of_work import SqlUnitOfWorkFactory
from tests.databases import sqlite_database
from tests.helpers import storefront

NOW = datetime(2026, 12, 1, 9, 30, tzinfo=UTC)


async def _redeem(db: str, code: str, buyer: int) -> bool:
    """What a buyer's pre-checkout does with the code they applied."""
    uows = SqlUnitOfWorkFactory(make_engine(db))
    async with uows() as uow:
        coupon = await uow.coupons.by_code(code)
        assert coupon is not None and coupon.one_time
        taken = await uow.coupons.take(coupon.id, buyer, coupon.code, NOW)
        await uow.commit()
    await uows.dispose()
    return taken


def test_codes_made_to_a_file_listed_with_their_use_and_refusals(tmp_path: Path) -> None:
    env = {"DATABASE_URL": sqlite_database(tmp_path / "shop.db")}
    made = storefront("coupons", "add", "VIP", "--percent", "20", cwd=tmp_path, **env)
    assert made.returncode == 0, made.stdout + made.stderr
    out = tmp_path / "vip.csv"
    made = storefront(
        "coupons", "codes", "vip", "--count", "25", "--csv", str(out), cwd=tmp_path, **env
    )
    assert made.returncode == 0, made.stdout + made.stderr
    assert "25 one-time codes made for coupon VIP" in made.stdout and str(out) in made.stdout
    rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8"))))
    codes = [r["code"] for r in rows]
    assert len(set(codes)) == 25 and {r["coupon"] for r in rows} == {"VIP"}
    assert all(len(c) == 10 and set(c) <= set(ONE_TIME_ALPHABET) for c in codes)

    # Printed when no file is named; more codes never repeat one.
    more = storefront("coupons", "codes", "VIP", "--count", "5", cwd=tmp_path, **env)
    assert more.returncode == 0 and "5 one-time codes made" in more.stdout
    printed = list(csv.DictReader(io.StringIO(more.stdout.split("\n", 1)[1])))
    assert len(printed) == 5 and not {r["code"] for r in printed} & set(codes)

    assert asyncio.run(_redeem(env["DATABASE_URL"], codes[0], 4242))
    assert not asyncio.run(_redeem(env["DATABASE_URL"], codes[0], 4343))  # once only
    listed = storefront("coupons", "codes", "VIP", cwd=tmp_path, **env)
    assert listed.returncode == 0
    assert "Coupon VIP: 30 one-time codes, 1 used." in listed.stdout
    assert f"{codes[0]:<12} used by 4242 2026-12-01 09:30 UTC" in listed.stdout
    assert f"{codes[1]:<12} unused" in listed.stdout
    usage = tmp_path / "usage.csv"
    written = storefront("coupons", "codes", "VIP", "--csv", str(usage), cwd=tmp_path, **env)
    assert written.returncode == 0 and "30 one-time codes, 1 used" in written.stdout
    used = {r["code"]: (r["used_by"], r["used_at"]) for r in csv.DictReader(usage.open())}
    assert used[codes[0]] == ("4242", "2026-12-01 09:30:00") and used[codes[1]] == ("", "")
    assert "one-time codes 1/30 used" in storefront("coupons", "list", cwd=tmp_path, **env).stdout

    # Refusals: a count out of range, no such coupon, a one-time code named as the coupon, a
    # file that cannot be written, a disabled coupon.
    for count in ("0", "10001"):
        bad = storefront("coupons", "codes", "VIP", "--count", count, cwd=tmp_path, **env)
        assert bad.returncode == 2 and "--count is 1 to 10000" in bad.stdout
    for name in ("NOPE", codes[1]):
        bad = storefront("coupons", "codes", name, "--count", "3", cwd=tmp_path, **env)
        assert bad.returncode == 1 and f"no coupon {name}" in bad.stdout
    none = storefront("coupons", "codes", "nope", cwd=tmp_path, **env)
    assert none.returncode == 1 and "no coupon nope" in none.stdout
    nowhere = str(tmp_path / "missing" / "x.csv")
    bad = storefront(
        "coupons", "codes", "VIP", "--count", "1", "--csv", nowhere, cwd=tmp_path, **env
    )
    assert bad.returncode == 1 and "cannot write" in bad.stdout
    assert storefront("coupons", "disable", "VIP", cwd=tmp_path, **env).returncode == 0
    off = storefront("coupons", "codes", "VIP", "--count", "3", cwd=tmp_path, **env)
    assert off.returncode == 1 and "coupon VIP is disabled" in off.stdout
    fresh = storefront("coupons", "add", "NEW1", "--percent", "5", cwd=tmp_path, **env)
    assert fresh.returncode == 0
    empty = storefront("coupons", "codes", "NEW1", cwd=tmp_path, **env)
    assert empty.returncode == 0 and "has no one-time codes yet" in empty.stdout
    assert "Traceback" not in bad.stderr + off.stderr + none.stderr
