"""Drive ``storefront sandbox`` in this process through its terminal: lines in, transcript out.

The session reads the lines from a stream exactly as it reads a person's terminal or a pipe
(the same ``Console``, reader thread and read-act loop), so what is tested is what a person
uses; only the process start-up of ``storefront sandbox`` is skipped (tests/test_sandbox.py
covers it).
"""

from __future__ import annotations

import io
from pathlib import Path

from bot.config import Settings
from bot.sandbox.console import Console
from bot.sandbox.terminal import run_sandbox
from tests.databases import sqlite_database


class Transcript(str):
    """The printed transcript, with helpers to read it."""

    __slots__ = ()

    def after(self, marker: str, *, last: bool = False) -> Transcript:
        """The transcript from the first (or ``last``) ``marker`` on (which must be there)."""
        at = self.rfind(marker) if last else self.find(marker)
        assert at >= 0, f"{marker!r} is not in:\n{self}"
        return Transcript(self[at:])

    def section(self, start: str, end: str, *, last: bool = False) -> Transcript:
        """From the first (or ``last``) ``start`` up to (not including) the next ``end``."""
        tail = self.after(start, last=last)
        stop = tail.find(end, len(start))
        return Transcript(tail if stop < 0 else tail[:stop])


async def play(
    tmp_path: Path, framework: str, *lines: str, database_url: str | None = None
) -> Transcript:
    """Run a sandbox session on ``database_url`` (by default a copy of the demo database),
    type ``lines``, and return what it printed; the session must end cleanly."""
    stdin = io.StringIO("".join(f"{line}\n" for line in (*lines, ":q")))
    stdout = io.StringIO()
    settings = Settings(_env_file=None, shop_name="Sandbox Test Shop")  # type: ignore[call-arg]
    code = await run_sandbox(
        settings,
        framework=framework,
        database_url=database_url or sqlite_database(tmp_path / "shop.db", demo=True),
        files=tmp_path / "files",
        console=Console(stdin, stdout),
    )
    out = Transcript(stdout.getvalue())
    assert code == 0, out
    assert "Traceback" not in out, out
    assert not [line for line in out.splitlines() if line.startswith("! ")], out
    assert out.rstrip().endswith("Sandbox closed."), out
    return out
