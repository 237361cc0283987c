"""The ``storefront`` command as a merchant uses it, on SQLite: its entry point run in the test's
process (``tests.helpers.storefront``), and once as a real process of its own."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.databases import sqlite_database
from tests.helpers import storefront, storefront_process


def test_the_bot_refuses_an_unmigrated_database_and_names_the_command(tmp_path: Path) -> None:
    db = f"sqlite+aiosqlite:///{tmp_path / 'shop.db'}"
    result = storefront("run", cwd=tmp_path, BOT_TOKEN="1:X", DATABASE_URL=db)
    assert result.returncode == 2
    assert "Run `storefront migrate` first" in result.stderr
    result = storefront("catalog", "import", "--demo", cwd=tmp_path, DATABASE_URL=db)
    assert result.returncode == 2 and "storefront migrate" in result.stderr


def test_migrate_then_import_then_a_bad_catalog_changes_nothing(tmp_path: Path) -> None:
    db = f"sqlite+aiosqlite:///{tmp_path / 'shop.db'}"
    assert storefront("migrate", cwd=tmp_path, DATABASE_URL=db).returncode == 0
    ok = storefront("catalog", "import", "--demo", cwd=tmp_path, DATABASE_URL=db)
    assert ok.returncode == 0 and "Imported 4 categories, 8 products and 11 variants" in ok.stdout
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "products:\n  - slug: x\n    name: X\n    sku: X1\n    price: 1.5\n    stock: 3\n",
        encoding="utf-8",
    )
    result = storefront("catalog", "import", str(bad), cwd=tmp_path, DATABASE_URL=db)
    assert result.returncode == 1
    assert "nothing was imported" in result.stderr
    assert "line 5, products[0].price: write minor units" in result.stderr
    missing = storefront("catalog", "import", "nope.yaml", cwd=tmp_path, DATABASE_URL=db)
    assert missing.returncode == 1 and "nope.yaml" in missing.stderr
    assert "Traceback" not in missing.stderr + result.stderr


def test_run_without_a_token_says_what_to_do(tmp_path: Path) -> None:
    result = storefront_process("run", cwd=tmp_path)  # the installed command itself
    assert result.returncode == 2
    assert "set BOT_TOKEN" in result.stderr and "storefront sandbox" in result.stderr


def test_merchant_coupons_and_orders_commands(tmp_path: Path) -> None:
    db = sqlite_database(tmp_path / "shop.db")  # as `storefront migrate` leaves it
    made = storefront(
        "coupons",
        "add",
        "welcome5",
        "--amount",
        "5.00",
        "--limit",
        "10",
        cwd=tmp_path,
        DATABASE_URL=db,
    )
    assert made.returncode == 0 and "c_WELCOME5" in made.stdout
    again = storefront(
        "coupons", "add", "WELCOME5", "--percent", "5", cwd=tmp_path, DATABASE_URL=db
    )
    assert again.returncode == 1 and "already exists" in again.stdout
    bad = storefront("coupons", "add", "no way!", "--percent", "5", cwd=tmp_path, DATABASE_URL=db)
    assert bad.returncode == 2 and "a code is 2-32 letters" in bad.stdout
    listed = storefront("coupons", "list", cwd=tmp_path, DATABASE_URL=db)
    assert "WELCOME5" in listed.stdout and "used 0/10 on" in listed.stdout
    assert (
        storefront("coupons", "disable", "welcome5", cwd=tmp_path, DATABASE_URL=db).returncode == 0
    )
    assert "off" in storefront("coupons", "list", cwd=tmp_path, DATABASE_URL=db).stdout
    missing = storefront("orders", "ship", "42", cwd=tmp_path, DATABASE_URL=db)
    assert missing.returncode == 1 and "not_found" in missing.stdout


def test_merchant_group_buy_and_leader_commands(tmp_path: Path) -> None:
    # As `storefront migrate` and `storefront catalog import --demo` leave it:
    db = sqlite_database(tmp_path / "shop.db", demo=True)
    env = {"DATABASE_URL": db}
    made = storefront(
        "groupbuy",
        "set",
        "KJ-10",
        "--price",
        "3.49",
        "--size",
        "3",
        "--hours",
        "24",
        "--commission",
        "10",
        cwd=tmp_path,
        **env,
    )
    assert made.returncode == 0, made.stdout + made.stderr
    listed = storefront("groupbuy", "list", cwd=tmp_path, **env)
    assert "3.49 USD team 3 · 24 h · max ∞ · 10% on" in listed.stdout
    too_dear = storefront(
        "groupbuy",
        "set",
        "KJ-10",
        "--price",
        "5.00",
        "--size",
        "3",
        "--hours",
        "24",
        cwd=tmp_path,
        **env,
    )
    assert too_dear.returncode == 2 and "below the regular price" in too_dear.stdout
    alone = storefront(
        "groupbuy",
        "set",
        "KJ-10",
        "--price",
        "3",
        "--size",
        "1",
        "--hours",
        "24",
        cwd=tmp_path,
        **env,
    )
    assert alone.returncode == 2 and "2 to 100" in alone.stdout
    missing = storefront(
        "groupbuy",
        "set",
        "NOPE",
        "--price",
        "3",
        "--size",
        "3",
        "--hours",
        "1",
        cwd=tmp_path,
        **env,
    )
    assert missing.returncode == 1 and "no variant with SKU NOPE" in missing.stdout
    assert storefront("groupbuy", "off", "KJ-10", cwd=tmp_path, **env).returncode == 0
    assert "off" in storefront("groupbuy", "list", cwd=tmp_path, **env).stdout
    settled = storefront("groupbuy", "settle", cwd=tmp_path, **env)
    assert settled.returncode == 0 and "Settled 0 group buys" in settled.stdout

    added = storefront(
        "leaders",
        "add",
        "555",
        "--pickup",
        "Corner Shop",
        "--address",
        "5 Elm St",
        cwd=tmp_path,
        **env,
    )
    assert added.returncode == 0
    assert "555" in (listing := storefront("leaders", "list", cwd=tmp_path, **env).stdout)
    assert "Corner Shop, 5 Elm St (72 h)" in listing
    assert storefront("leaders", "remove", "555", cwd=tmp_path, **env).returncode == 0
    again = storefront("leaders", "remove", "555", cwd=tmp_path, **env)
    assert again.returncode == 1 and "not a leader" in again.stdout


def test_merchant_flash_sale_commands(tmp_path: Path) -> None:
    # As `storefront migrate` and `storefront catalog import --demo` leave it:
    env = {"DATABASE_URL": sqlite_database(tmp_path / "shop.db", demo=True)}
    made = storefront(
        "sales",
        "add",
        "KJ-10",
        "--price",
        "2.99",
        "--stock",
        "100",
        "--per-buyer",
        "2",
        "--in",
        "30",
        "--minutes",
        "60",
        cwd=tmp_path,
        **env,
    )
    assert made.returncode == 0 and "start=s_1" in made.stdout, made.stdout + made.stderr
    listed = storefront("sales", "list", cwd=tmp_path, **env).stdout
    assert "#1" in listed and "upcoming" in listed and "0/100" in listed
    dear = storefront(
        "sales",
        "add",
        "KJ-10",
        "--price",
        "9.99",
        "--stock",
        "5",
        "--in",
        "0",
        "--minutes",
        "10",
        cwd=tmp_path,
        **env,
    )
    assert dear.returncode == 2 and "below the regular price" in dear.stdout
    backwards = storefront(
        "sales",
        "add",
        "KJ-10",
        "--price",
        "1",
        "--stock",
        "5",
        "--in",
        "0",
        "--minutes",
        "-5",
        cwd=tmp_path,
        **env,
    )
    assert backwards.returncode == 2 and "end after it starts" in backwards.stdout
    assert storefront("sales", "stock", "1", "40", cwd=tmp_path, **env).returncode == 0
    assert "0/40" in storefront("sales", "list", cwd=tmp_path, **env).stdout
    posted = storefront("sales", "post", "1", "--chat", "-1001234567890", cwd=tmp_path, **env)
    assert posted.returncode == 0 and "queued" in posted.stdout, posted.stdout + posted.stderr
    unknown = storefront("sales", "post", "77", "--chat", "-100123", cwd=tmp_path, **env)
    assert unknown.returncode == 1 and "no upcoming or running sale #77" in unknown.stdout
    bad_chat = storefront("sales", "post", "1", "--chat", "my-channel", cwd=tmp_path, **env)
    assert bad_chat.returncode == 2 and "invalid int value" in bad_chat.stderr
    assert storefront("sales", "stop", "1", cwd=tmp_path, **env).returncode == 0
    again = storefront("sales", "stop", "1", cwd=tmp_path, **env)
    assert again.returncode == 1 and "no running sale" in again.stdout


def test_a_coupon_that_has_already_ended_is_refused(tmp_path: Path) -> None:
    env = {"DATABASE_URL": sqlite_database(tmp_path / "shop.db")}
    past = (datetime.now(UTC) - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    ended = storefront(
        "coupons", "add", "LATE", "--percent", "10", "--expires", past, cwd=tmp_path, **env
    )
    assert ended.returncode == 2
    assert f"storefront: the end date has already passed: {past.replace('T', ' ')} UTC" in (
        ended.stdout
    )
    backwards = storefront(
        "coupons",
        "add",
        "BACKWARDS",
        "--percent",
        "10",
        "--starts",
        "2999-02-01",
        "--expires",
        "2999-01-01",
        cwd=tmp_path,
        **env,
    )
    assert backwards.returncode == 2
    assert "the end date must come after the start date" in backwards.stdout
    garbled = storefront(
        "coupons", "add", "X1", "--percent", "10", "--expires", "soon", cwd=tmp_path, **env
    )
    assert garbled.returncode == 2 and "Traceback" not in garbled.stderr
    assert "No coupons yet." in storefront("coupons", "list", cwd=tmp_path, **env).stdout
    future = (datetime.now(UTC) + timedelta(days=3)).strftime("%Y-%m-%d")
    made = storefront(
        "coupons", "add", "SOON", "--percent", "10", "--expires", future, cwd=tmp_path, **env
    )
    assert made.returncode == 0 and "Coupon SOON created" in made.stdout


def test_coupon_codes_ignore_spaces_and_case_on_the_command_line(tmp_path: Path) -> None:
    env = {"DATABASE_URL": sqlite_database(tmp_path / "shop.db")}
    made = storefront("coupons", "add", "save 10", "--percent", "10", cwd=tmp_path, **env)
    assert made.returncode == 0 and "Coupon SAVE10 created" in made.stdout
    assert "c_SAVE10" in made.stdout
    again = storefront("coupons", "add", "SAVE10", "--percent", "5", cwd=tmp_path, **env)
    assert again.returncode == 1 and "coupon SAVE10 already exists" in again.stdout
    off = storefront("coupons", "disable", "Save 10", cwd=tmp_path, **env)
    assert off.returncode == 0, off.stdout + off.stderr
    assert "SAVE10" in (listed := storefront("coupons", "list", cwd=tmp_path, **env).stdout)
    assert "off" in listed and "No coupons yet." not in listed
    nothing = storefront("coupons", "disable", "nope 1", cwd=tmp_path, **env)
    assert nothing.returncode == 1 and "no coupon nope 1" in nothing.stdout


@pytest.mark.parametrize(
    ("command", "says"),
    [
        (("coupons", "list"), "No coupons yet."),
        (("orders", "list"), "No orders yet."),
        (("orders", "list", "--status", "paid"), "No paid orders."),
        (("groupbuy", "list"), "No group buys yet."),
        (("leaders", "list"), "No group-buy leaders yet."),
        (("sales", "list"), "No flash sales yet."),
        (("drops", "list"), "No drops yet."),
        (("creators", "list"), "No creators yet."),
        (("creators", "payouts"), "No open payout requests."),
        (("creators", "payouts", "--all"), "No payout requests yet."),
        (("reviews", "list"), "No reviews yet."),
        (("reviews", "list", "--product", "1"), "No reviews of this product yet."),
    ],
)
def test_an_empty_list_says_so(command: tuple[str, ...], says: str, tmp_path: Path) -> None:
    env = {"DATABASE_URL": sqlite_database(tmp_path / "shop.db")}
    result = storefront(*command, cwd=tmp_path, **env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip() == says
