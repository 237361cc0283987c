"""The ``storefront`` commands with a database they cannot use at start (real subprocesses):
one line on stderr that names the database (never its password) and what to check, a
non-zero exit, no traceback; within the connect timeout when the server accepts connections
and never answers."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.helpers import storefront

PASSWORD = "s3cret-Pa55"
WEBHOOK = {"WEBHOOK_URL": "https://shop.example.com/hook", "WEBHOOK_SECRET": "abc_123"}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def silent_port() -> Iterator[int]:
    """A port that accepts connections (the kernel completes them) and never answers."""
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(64)
        yield int(server.getsockname()[1])


def _one_line(stderr: str) -> str:
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert len(lines) == 1, stderr
    assert "Traceback" not in stderr and PASSWORD not in stderr
    return lines[0]


@pytest.mark.parametrize(
    ("command", "env"),
    [
        (["run"], {}),
        (["webhook"], WEBHOOK),
        (["migrate"], {}),
        (["orders", "list"], {}),
    ],
)
def test_a_refused_postgres_at_start_is_one_clear_line(
    command: list[str], env: dict[str, str], tmp_path: Path
) -> None:
    port = _free_port()  # nothing listens there: connection refused
    result = storefront(
        *command,
        cwd=tmp_path,
        BOT_TOKEN="1:X",
        DATABASE_URL=f"postgresql+asyncpg://shop:{PASSWORD}@127.0.0.1:{port}/shop",
        **env,
    )
    assert result.returncode != 0
    line = _one_line(result.stderr)
    assert line.startswith(f"storefront: cannot use the database (PostgreSQL at 127.0.0.1:{port}")
    assert "database shop" in line and "Check that the server is running" in line


def test_a_silent_postgres_at_start_is_one_clear_line_after_the_connect_timeout(
    silent_port: int, tmp_path: Path
) -> None:
    started = time.perf_counter()
    result = storefront(
        "run",
        cwd=tmp_path,
        BOT_TOKEN="1:X",
        DATABASE_URL=f"postgresql+asyncpg://shop:{PASSWORD}@127.0.0.1:{silent_port}/shop",
        DB_CONNECT_TIMEOUT="2",
    )
    took = time.perf_counter() - started
    print(f"\nstorefront run on a silent PostgreSQL: exit {result.returncode} in {took:.1f} s")
    assert result.returncode != 0
    line = _one_line(result.stderr)
    assert f"PostgreSQL at 127.0.0.1:{silent_port}" in line
    assert "did not answer within 2 s" in line


def test_a_sqlite_file_that_cannot_be_opened_is_one_clear_line(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the database's folder should be\n")
    result = storefront(
        "run",
        cwd=tmp_path,
        BOT_TOKEN="1:X",
        DATABASE_URL=f"sqlite+aiosqlite:///{blocker / 'shop.db'}",
    )
    assert result.returncode != 0
    line = _one_line(result.stderr)
    assert f"the SQLite file {blocker / 'shop.db'}" in line
    assert "Check that its folder exists and is writable" in line


@pytest.mark.parametrize(("command", "env"), [(["run"], {}), (["webhook"], WEBHOOK)])
def test_a_broken_shipping_file_at_start_is_named_without_a_traceback(
    command: list[str], env: dict[str, str], tmp_path: Path
) -> None:
    rates = tmp_path / "shipping.yaml"
    rates.write_text("currency: dollars\nzones: []\n", encoding="utf-8")
    result = storefront(
        *command,
        cwd=tmp_path,
        BOT_TOKEN="1:X",
        DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path / 'shop.db'}",
        SHIPPING_FILE=str(rates),
        **env,
    )
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    assert "shipping file" in result.stderr
    assert "line 1, currency" in result.stderr, result.stderr
