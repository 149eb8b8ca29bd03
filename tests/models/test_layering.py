"""The import arrows between stages run one way: storage -> models, never back.

``models/`` is the vocabulary every stage speaks, so it imports nothing of
theirs; the storage layer speaks that vocabulary and knows nothing of the
stages that read from it (analytics, alerts, the API, the launcher). The API
serves what those stages stored and takes its configuration from ``settings/``,
never from the launcher that starts it; ``settings/`` in turn knows no entry point.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

# The packages of this project; anything else imported is stdlib or third party.
FIRST_PARTY = frozenset(path.parent.name for path in ROOT.glob("*/__init__.py"))

# What each stage may import of the project, besides itself.
MAY_IMPORT = {
    "models": frozenset({"models"}),
    "storage": frozenset({"storage", "models"}),
    "settings": frozenset({"settings", "models", "storage", "analytics", "collector"}),
    "api": frozenset({"api", "models", "storage", "alerts", "settings"}),
}

# (importing file, imported module) pairs tolerated for now: none left.
TEMPORARY_EXCEPTIONS: frozenset[tuple[str, str]] = frozenset()


def imported_modules(source: str) -> Iterator[str]:
    """Every absolute module a file imports, wherever in the file the import sits."""
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.module


def forbidden_imports(root: Path, package: str) -> list[tuple[str, str]]:
    """(file, module) for each import of the project ``package`` may not make."""
    allowed = MAY_IMPORT[package]
    found = []
    for path in sorted((root / package).rglob("*.py")):
        name = path.relative_to(root).as_posix()
        for module in imported_modules(path.read_text(encoding="utf-8")):
            top = module.partition(".")[0]
            if top in FIRST_PARTY and top not in allowed:
                found.append((name, module))
    return found


def test_first_party_packages_are_found() -> None:
    assert {
        "models",
        "storage",
        "analytics",
        "alerts",
        "api",
        "launcher",
        "settings",
    } <= FIRST_PARTY


@pytest.mark.parametrize("package", sorted(MAY_IMPORT))
def test_stage_imports_only_what_lies_below_it(package: str) -> None:
    offending = [
        pair for pair in forbidden_imports(ROOT, package) if pair not in TEMPORARY_EXCEPTIONS
    ]
    assert offending == []


def test_a_storage_module_importing_analytics_is_caught(tmp_path: Path) -> None:
    (tmp_path / "storage").mkdir()
    (tmp_path / "storage" / "oee_store.py").write_text(
        "from models.oee import OeeResult\n"
        "def rated() -> None:\n"
        "    from analytics.oee_ratios import rate\n",
        encoding="utf-8",
    )
    assert forbidden_imports(tmp_path, "storage") == [
        ("storage/oee_store.py", "analytics.oee_ratios")
    ]


def test_an_api_module_importing_the_launcher_is_caught(tmp_path: Path) -> None:
    (tmp_path / "api").mkdir()
    (tmp_path / "api" / "deps.py").write_text(
        "from settings.linecare_settings import Settings\n"
        "from launcher.settings import Settings as Old\n",
        encoding="utf-8",
    )
    assert forbidden_imports(tmp_path, "api") == [("api/deps.py", "launcher.settings")]
