"""``storefront --help`` (and building the parser at all) stays light: each command imports its
framework, ORM, gateway or plotting library when it runs, not when the parser is built."""

from __future__ import annotations

import json
import subprocess
import sys

HEAVY = ("aiogram", "telegram", "sqlalchemy", "sqlmodel", "matplotlib", "stripe", "alembic")

_PROBE = """
import contextlib, io, json, sys
from bot.cli import main
with contextlib.redirect_stdout(io.StringIO()) as out:
    try:
        main(["--help"])
    except SystemExit as exc:
        code = exc.code
print(json.dumps({"code": code, "help": out.getvalue(), "modules": sorted(sys.modules)}))
"""


def test_help_imports_no_framework_orm_gateway_or_matplotlib() -> None:
    result = subprocess.run(
        [sys.executable, "-c", _PROBE], capture_output=True, text=True, timeout=60, check=True
    )
    found = json.loads(result.stdout)
    assert found["code"] == 0
    assert "usage: storefront" in found["help"]
    assert "coupons" in found["help"] and "bench" in found["help"]
    heavy = [m for m in found["modules"] if m.split(".")[0] in HEAVY]
    assert heavy == []


def test_python_m_bot_cli_is_the_storefront_command() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "bot.cli", "bogus"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    assert "usage: storefront" in result.stderr
    assert "invalid choice: 'bogus'" in result.stderr
