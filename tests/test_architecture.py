"""The layering in DESIGN.md, checked: import-linter contracts and ruff, as tests."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import grimp

REPO = Path(__file__).resolve().parents[1]


def test_import_contracts_hold() -> None:
    """Domain imports nothing of ours; only bot.telegram imports a framework; only storage SQL."""
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "from importlinter.cli import lint_imports_command; lint_imports_command()",
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


def test_ruff_is_clean() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "ruff", "check", "bot", "storage", "migrations", "tests", "bench"],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_no_module_imports_one_that_imports_it_back() -> None:
    """No import circle among modules. The ``acyclic_siblings`` contract sees circles between
    the modules and subpackages of a package; this sees the rest too: a module that imports its
    own package's ``__init__`` while that imports the module."""
    graph = grimp.build_graph("bot", "storage", "bench")
    circles = sorted(
        (importer, imported)
        for importer in graph.modules
        for imported in graph.find_modules_directly_imported_by(importer)
        if graph.find_shortest_chain(importer=imported, imported=importer) is not None
    )
    assert circles == [], "\n".join(f"{a} -> {b}, which imports it back" for a, b in circles)


#: What a repository path in docs/architecture.md starts with (a backticked ``bot/...``).
_REPO_PATH = re.compile(
    r"`((?:bot|storage|migrations|tests|bench|deploy|docs)/[^`\s]*"
    r"|[A-Za-z_.-]+\.(?:md|toml|ini))`"
)


def test_architecture_doc_names_only_paths_that_exist() -> None:
    """Every repository path docs/architecture.md names in backticks exists (a glob matches
    something), so a file moved or renamed without the doc fails here instead of misleading."""
    doc = (REPO / "docs" / "architecture.md").read_text(encoding="utf-8")
    paths = sorted(set(_REPO_PATH.findall(doc)))
    assert len(paths) > 50, "the pattern no longer finds the doc's paths"
    missing = [p for p in paths if not (any(REPO.glob(p)) if "*" in p else (REPO / p).exists())]
    assert missing == [], "docs/architecture.md names paths that do not exist: " + ", ".join(
        missing
    )
