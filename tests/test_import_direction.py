"""Dependencies run one way: low packages import no app, feature apps do not import each other.

Read from the source with ``ast`` (imports inside functions count too), so a new import that
breaks the direction fails here, with the file and line. docs/architecture.md draws the picture.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PROJECT = {
    "config",
    "workspaces",
    "jobs",
    "migrator",
    "customization",
    "sandbox",
    "blobstore",
    "outbound",
    "azureclient",
    "trainer",
}
# What each package may import from the project (itself always). Anything else is a violation.
ALLOWED = {
    "blobstore": set(),
    "outbound": set(),
    "trainer": set(),
    "azureclient": {"blobstore"},
    "jobs": {"workspaces", "azureclient"},
    # bootstrap (a management command) connects the demo workspace to the local services' key.
    "workspaces": {"jobs", "blobstore", "outbound", "config", "sandbox.keys"},
    "migrator": {"workspaces", "jobs", "blobstore", "outbound", "azureclient"},
    "customization": {"workspaces", "jobs", "blobstore", "outbound", "azureclient", "config"},
    # The local services are a separate product that speaks the Azure wire protocol: they know no
    # dashboard app.
    "sandbox": {"blobstore", "outbound", "trainer"},
}


def _imports(path: Path) -> list[tuple[int, str]]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.lineno, node.module))
    return found


def _allowed(package: str, module: str) -> bool:
    top = module.split(".")[0]
    if top not in PROJECT or top == package:
        return True
    return any(module == rule or module.startswith(rule + ".") for rule in ALLOWED[package])


def violations() -> list[str]:
    found = []
    for package in ALLOWED:
        for path in sorted((ROOT / package).rglob("*.py")):
            for line, module in _imports(path):
                if not _allowed(package, module):
                    found.append(f"{path.relative_to(ROOT)}:{line} imports {module}")
    return found


def test_imports_run_one_way():
    assert violations() == []


def test_the_check_sees_a_wrong_import(tmp_path):
    """The rule itself: a feature app importing the other, or jobs a feature app, is caught."""
    assert not _allowed("migrator", "customization.client")
    assert not _allowed("customization", "migrator.services.export")
    assert not _allowed("jobs", "customization.services.retry")
    assert not _allowed("blobstore", "workspaces.models")
    assert not _allowed("workspaces", "sandbox.models")
    assert _allowed("workspaces", "sandbox.keys") and _allowed("jobs", "django.db")
    bad = tmp_path / "x.py"
    bad.write_text("def f():\n    from migrator.cv import cv_client\n")
    assert _imports(bad) == [(2, "migrator.cv")]
