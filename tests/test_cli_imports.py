"""``storefront --help`` (and building the parser at all) stays light: each command imports its
framework, ORM, gateway or plotting library when it runs, not when the parser is built."""

from __future__ import annotations

import argparse
import inspect
import json
import subprocess
import sys
from collections.abc import Iterator

from bot.cli import _parser
from bot.cli.bench import BENCHES

HEAVY = ("aiogram", "telegram", "sqlalchemy", "sqlmodel", "matplotlib", "stripe", "alembic")

_PROBE = """
import contextlib, io, json, sys
before = set(sys.modules)
from bot.cli import main
with contextlib.redirect_stdout(io.StringIO()) as out:
    try:
        main(["--help"])
    except SystemExit as exc:
        code = exc.code
print(json.dumps({"code": code, "help": out.getvalue(), "modules": sorted(sys.modules),
                  "added": sorted(set(sys.modules) - before)}))
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


def test_help_imports_the_project_and_the_standard_library_only() -> None:
    """What ``storefront --help`` adds to the interpreter's modules: the project's CLI and a few
    standard modules; no third-party package at all (not even pydantic for the settings), and
    not asyncio (a command imports it when it runs)."""
    result = subprocess.run(
        [sys.executable, "-c", _PROBE], capture_output=True, text=True, timeout=60, check=True
    )
    added = json.loads(result.stdout)["added"]
    tops = {name.split(".")[0] for name in added}
    assert "bot.cli" in added
    assert sorted(tops - sys.stdlib_module_names) == ["bot"]
    assert "asyncio" not in tops


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


def test_help_imports_no_use_case_storage_or_benchmark() -> None:
    """Building the parser reads the domain's names (order statuses) at most: the use cases,
    the app, storage and the benchmarks load when their command runs."""
    result = subprocess.run(
        [sys.executable, "-c", _PROBE], capture_output=True, text=True, timeout=60, check=True
    )
    loaded = json.loads(result.stdout)["modules"]
    late = ("bot.services", "bot.bootstrap", "bot.serving", "bot.jobs", "storage", "bench")
    assert [m for m in loaded if m.split(".")[0] in late or m.startswith(late)] == []


def _leaves(
    parser: argparse.ArgumentParser, path: tuple[str, ...] = ()
) -> Iterator[tuple[tuple[str, ...], argparse.ArgumentParser]]:
    groups = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    if not groups:
        yield path, parser
    for group in groups:
        for name, child in group.choices.items():
            yield from _leaves(child, (*path, name))


def _handler(parser: argparse.ArgumentParser) -> object:
    func = parser.get_default("func")
    return getattr(func, "__wrapped__", func)


def test_every_subcommand_runs_a_function_of_its_own() -> None:
    """Dispatch is by function: each command and subcommand sets its own ``func`` (no group
    hands its subcommands to one function that branches on their names)."""
    parser = _parser()
    leaves = dict(_leaves(parser))
    assert ("coupons", "add") in leaves and ("bench",) in leaves and ("orders", "refund") in leaves
    handlers = {path: _handler(leaf) for path, leaf in leaves.items()}
    assert all(callable(h) for h in handlers.values()), handlers
    assert len(set(handlers.values())) == len(handlers)  # never two subcommands, one function
    for group in ("coupons", "orders", "groupbuy", "leaders", "sales", "drops", "creators"):
        # a group's own parser sets no func: only its subcommands do
        sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
        assert sub.choices[group].get_default("func") is None, group


def test_each_benchmark_is_a_function_that_imports_its_module_when_run() -> None:
    parser = _parser()
    bench = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction)).choices[
        "bench"
    ]
    names = next(a for a in bench._actions if a.dest == "name").choices
    assert list(names or ()) == list(BENCHES)
    assert len(set(BENCHES.values())) == len(BENCHES)
    for name, run in BENCHES.items():
        assert f"from bench.{name.replace('-', '_')} import" in inspect.getsource(run), name
