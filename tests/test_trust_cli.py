"""``storefront creators …`` and ``storefront reviews …`` as a merchant uses them (real
subprocesses, SQLite)."""

from __future__ import annotations

import asyncio
import re
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import select

from bot.domain.money import Money
from storage.engine import make_engine
from storage.trust_tables import CreatorInviteRow, CreatorRow, ReviewAuditRow, ReviewRow
from storage.unit_of_work import SqlUnitOfWorkFactory
from tests.databases import sqlite_database
from tests.helpers import storefront

NOW = datetime(2026, 12, 1, tzinfo=UTC)


async def _seed(db: str) -> None:
    """A review and a payout request, as the bot would have written them."""
    uows = SqlUnitOfWorkFactory(make_engine(db))
    async with uows() as uow:
        await uow.trust.add_review(1, 42, 7, 1, NOW)
        await uow.trust.add_creator(43, "ABCDEFGH", 10, NOW)
        await uow.trust.request_payout(43, Money(320, "USD"), NOW)
        await uow.commit()
    await uows.dispose()


async def _rows(db: str) -> tuple[list[object], list[object], list[object]]:
    engine = make_engine(db)
    async with engine.connect() as conn:
        invites = (await conn.execute(select(CreatorInviteRow.rate_percent))).scalars().all()  # type: ignore[call-overload]
        reviews = (await conn.execute(select(ReviewRow.status, ReviewRow.reply))).all()  # type: ignore[call-overload]
        audit = (await conn.execute(select(ReviewAuditRow.action, ReviewAuditRow.detail))).all()  # type: ignore[call-overload]
    await engine.dispose()
    return list(invites), list(reviews), list(audit)


async def _gift(db: str) -> int | None:
    engine = make_engine(db)
    async with engine.connect() as conn:
        gift = await conn.scalar(select(CreatorRow.coupon_id).where(CreatorRow.user_id == 43))  # type: ignore[arg-type]
    await engine.dispose()
    return gift


def test_creator_and_review_commands(tmp_path: Path) -> None:
    # As `storefront migrate` and `storefront catalog import --demo` leave it:
    db = sqlite_database(tmp_path / "shop.db", demo=True)
    env = {"DATABASE_URL": db}

    made = storefront("creators", "invite", "--percent", "12", cwd=tmp_path, **env)
    assert made.returncode == 0, made.stdout + made.stderr
    assert re.search(r"\?start=ki_[A-Za-z0-9_-]{20,}", made.stdout)
    too_much = storefront("creators", "invite", "--percent", "90", cwd=tmp_path, **env)
    assert too_much.returncode == 1 and "0 to 50 percent" in too_much.stdout
    rate = storefront("creators", "product-rate", "KJ-10", "--percent", "15", cwd=tmp_path, **env)
    assert rate.returncode == 0, rate.stdout + rate.stderr
    nope = storefront("creators", "product-rate", "NOPE", "--percent", "15", cwd=tmp_path, **env)
    assert nope.returncode == 1 and "no variant with SKU NOPE" in nope.stdout

    asyncio.run(_seed(db))
    listed = storefront("creators", "list", cwd=tmp_path, **env)
    assert "ABCDEFGH 10%" in listed.stdout
    payouts = storefront("creators", "payouts", cwd=tmp_path, **env)
    assert re.search(r"#1\s+creator 43\s+3\.20 USD requested", payouts.stdout), payouts.stdout
    assert storefront("creators", "pay", "1", cwd=tmp_path, **env).returncode == 0
    again = storefront("creators", "pay", "1", cwd=tmp_path, **env)
    assert again.returncode == 1 and "no open payout request #1" in again.stdout
    assert storefront("creators", "settle", cwd=tmp_path, **env).returncode == 0

    # A public coupon, and a creator's gift (a button for whoever opens their links).
    made = storefront(
        "coupons", "add", "KOL10", "--percent", "10", "--public", cwd=tmp_path, **env
    )
    assert made.returncode == 0, made.stdout + made.stderr
    assert "KOL10" in storefront("coupons", "list", cwd=tmp_path, **env).stdout
    assert "on public" in storefront("coupons", "list", cwd=tmp_path, **env).stdout
    gift = storefront("creators", "coupon", "43", "kol10", cwd=tmp_path, **env)
    assert gift.returncode == 0 and "offers KOL10" in gift.stdout, gift.stdout + gift.stderr
    nope = storefront("creators", "coupon", "43", "NOSUCH", cwd=tmp_path, **env)
    assert nope.returncode == 1 and "no shop coupon NOSUCH" in nope.stdout
    nobody = storefront("creators", "coupon", "44", "KOL10", cwd=tmp_path, **env)
    assert nobody.returncode == 1 and "44 is not a creator" in nobody.stdout
    assert asyncio.run(_gift(db)) == 1
    off = storefront("creators", "coupon", "43", "none", cwd=tmp_path, **env)
    assert off.returncode == 0 and "no coupon" in off.stdout
    assert asyncio.run(_gift(db)) is None

    hidden = storefront("reviews", "hide", "1", "--reason", "abusive", cwd=tmp_path, **env)
    assert hidden.returncode == 0, hidden.stdout + hidden.stderr
    replied = storefront("reviews", "reply", "1", "Sorry <b>to hear</b>", cwd=tmp_path, **env)
    assert replied.returncode == 0, replied.stdout + replied.stderr
    missing = storefront("reviews", "hide", "99", cwd=tmp_path, **env)
    assert missing.returncode == 1 and "no review #99" in missing.stdout
    listing = storefront("reviews", "list", cwd=tmp_path, **env)
    assert (
        "★" in listing.stdout and "hidden" in listing.stdout and "Sorry to hear" in listing.stdout
    )

    invites, reviews, audit = asyncio.run(_rows(db))
    assert invites == [12]
    assert reviews == [("hidden", "Sorry to hear")]
    assert audit == [("hide", "abusive"), ("reply", "Sorry to hear")]
