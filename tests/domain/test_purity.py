"""The domain is plain Python: it imports no web framework, no database layer, no model or
service of the app, and never reads the clock (the instant comes in as an argument)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

DOMAIN = Path(__file__).resolve().parents[2] / "mediation" / "domain"
FORBIDDEN_PACKAGES = ("flask", "flask_babel", "flask_login", "sqlalchemy", "werkzeug", "jinja2")
# What lies outside the domain in the app's own package, by name relative to mediation/.
FORBIDDEN_MODULES = ("models", "services", "extensions", "runtime", "database", "web")
# datetime.now(), date.today(), time.time() … : (what is called on, the call)
CLOCK_READS = {
    ("datetime", "now"),
    ("datetime", "utcnow"),
    ("datetime", "today"),
    ("date", "today"),
    ("time", "time"),
    ("time", "monotonic"),
    ("time", "perf_counter"),
}


def _clock_reads(tree: ast.AST) -> list[str]:
    return [
        f"line {node.lineno}: {ast.unparse(node)}"
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and (ast.unparse(node.func.value).split(".")[-1], node.func.attr) in CLOCK_READS
    ]


def _modules() -> list[Path]:
    return sorted(DOMAIN.glob("*.py"))


def _imports(tree: ast.AST) -> list[str]:
    """Every module a file imports, the relative ones written as ``mediation.<name>``."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level == 0:
                found.append(node.module or "")
            elif node.level == 1:
                found.append(f"mediation.domain.{node.module or ''}")
            else:  # from .. import x / from ..x import y
                names = [node.module] if node.module else [a.name for a in node.names]
                found += [f"mediation.{name}" for name in names]
    return found


def _outside(imports: list[str]) -> list[str]:
    """The imports a domain module may not make."""
    return [
        name
        for name in imports
        if name.split(".")[0] in FORBIDDEN_PACKAGES
        or name.startswith("mediation.")
        and name.split(".")[1] in FORBIDDEN_MODULES
    ]


@pytest.mark.parametrize("path", _modules(), ids=lambda path: path.name)
def test_a_domain_module_imports_nothing_of_the_app_around_it(path):
    outside = _outside(_imports(ast.parse(path.read_text(encoding="utf-8"))))
    assert not outside, f"{path.name} imports {outside}"


@pytest.mark.parametrize("path", _modules(), ids=lambda path: path.name)
def test_a_domain_module_never_reads_the_clock(path):
    reads = _clock_reads(ast.parse(path.read_text(encoding="utf-8")))
    assert not reads, f"{path.name} reads the clock: {reads}"


def test_the_check_sees_a_forbidden_import_and_a_clock_read():
    """The two checks above can fail: they see these."""
    source = "from ..models import Case\nfrom flask import g\nimport datetime as dt\n"
    tree = ast.parse(source + "x = dt.datetime.now()\nmidnight = dt.time()")
    assert _imports(tree) == ["mediation.models", "flask", "datetime"]
    assert _outside(_imports(tree)) == ["mediation.models", "flask"]
    assert _clock_reads(tree) == ["line 4: dt.datetime.now()"]
