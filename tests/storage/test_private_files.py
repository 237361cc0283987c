"""The SQLite database and the files the command line writes hold buyers' names, phones and
addresses: they are the owner's alone (0600) whatever the umask, and a database found looser
is tightened at start, with a log line."""

from __future__ import annotations

import logging
import os
import stat
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from storage.engine import make_engine
from storage.migrate import upgrade
from storage.private_files import open_private
from storage.unit_of_work import SqlUnitOfWorkFactory


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture(params=[0o000, 0o022])
def umask(request: pytest.FixtureRequest) -> Iterator[int]:
    """The process's umask for the test (0 would leave a plain open() at 0666)."""
    old = os.umask(request.param)
    try:
        yield request.param
    finally:
        os.umask(old)


async def test_a_fresh_database_and_its_wal_files_are_the_owners_only(
    tmp_path: Path, umask: int
) -> None:
    path = tmp_path / "data" / "shop.db"
    engine = make_engine(f"sqlite+aiosqlite:///{path}")
    await upgrade(engine)
    uows = SqlUnitOfWorkFactory(engine)
    async with uows() as uow:  # a write, so SQLite keeps its -wal and -shm files open
        await uow.buyers.touch(1, "Ann", None, "en", datetime.now(UTC))
        await uow.commit()
        made = [p.name for p in tmp_path.joinpath("data").iterdir()]
        assert {"shop.db", "shop.db-wal", "shop.db-shm"} <= set(made)
        assert {name: _mode(tmp_path / "data" / name) for name in made} == dict.fromkeys(
            made, 0o600
        )
    await uows.dispose()
    assert _mode(path) == 0o600


async def test_a_database_readable_by_others_is_tightened_at_start(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "shop.db"
    engine = make_engine(f"sqlite+aiosqlite:///{path}")
    await upgrade(engine)
    await engine.dispose()
    path.chmod(0o644)
    wal = tmp_path / "shop.db-wal"
    wal.write_bytes(b"")
    wal.chmod(0o666)
    with caplog.at_level(logging.WARNING, logger="storage.private_files"):
        engine = make_engine(f"sqlite+aiosqlite:///{path}")
    await engine.dispose()
    assert _mode(path) == 0o600 and _mode(wal) == 0o600
    said = [r.getMessage() for r in caplog.records]
    assert any(f"{path} was readable by others (mode 644); now 600" in s for s in said), said
    assert any("shop.db-wal was readable by others (mode 666)" in s for s in said), said
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="storage.private_files"):
        await make_engine(f"sqlite+aiosqlite:///{path}").dispose()  # already tight: silent
    assert caplog.records == []


def test_exports_are_written_owner_only_and_a_looser_file_is_tightened_first(
    tmp_path: Path, umask: int
) -> None:
    fresh = tmp_path / "orders.csv"
    with open_private(fresh) as out:
        out.write(b"order_id\r\n1\r\n")
    assert _mode(fresh) == 0o600 and fresh.read_bytes() == b"order_id\r\n1\r\n"
    old = tmp_path / "old.csv"
    old.write_bytes(b"a much longer export from before\r\n")
    old.chmod(0o644)
    with open_private(old) as out:
        out.write(b"new\r\n")
    assert _mode(old) == 0o600 and old.read_bytes() == b"new\r\n"
    devnull = Path(os.devnull)
    before = _mode(devnull)
    with open_private(devnull) as out:  # not a regular file: written, never chmod-ed
        out.write(b"x")
    assert _mode(devnull) == before
