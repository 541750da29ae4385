"""The import rules of the layout: no reach into another package's private modules, no
cycle between packages, no Typer outside the CLI, no engine outside the store."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SOURCES = [ROOT / "breakglass", ROOT / "api"]
#: Packages that exist to be used by everyone below them (no cycle is possible through them).
LEAVES = {"breakglass._time", "breakglass._canonical", "breakglass.errors", "breakglass.exitcodes"}


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imports(tree: ast.AST, module: str, is_package: bool) -> Iterator[str]:
    """Every module imported at run time (imports under ``if TYPE_CHECKING:`` excluded)."""
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, ast.If) and _is_type_checking(node):
            yield from (n for child in node.orelse for n in _imports(child, module, is_package))
            continue
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = module.split(".")
                if not is_package:
                    anchor = anchor[:-1]
                anchor = anchor[: len(anchor) - (node.level - 1)]
                base = ".".join([*anchor, base] if base else anchor)
            yield base
            yield from (f"{base}.{alias.name}" for alias in node.names)
        yield from _imports(node, module, is_package)


def _modules() -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for source in SOURCES:
        for path in sorted(source.rglob("*.py")):
            if "migrations" in path.parts:
                continue
            name = _module_name(path)
            tree = ast.parse(path.read_text(encoding="utf-8"))
            found = set(_imports(tree, name, path.name == "__init__.py"))
            out[name] = {m for m in found if m.split(".")[0] in ("breakglass", "api")}
    return out


def _package(module: str) -> str:
    """``breakglass.reviews._store`` → ``breakglass.reviews``; top-level modules stand alone."""
    parts = module.split(".")
    return ".".join(parts[:2])


MODULES = _modules()


def test_the_scan_sees_the_code() -> None:
    """The scan found the packages it is meant to police (it cannot pass on an empty tree)."""
    assert len(MODULES) > 80
    assert "breakglass.reviews._transitions" in MODULES


def test_no_reach_into_another_packages_private_modules() -> None:
    """A ``_private`` module is imported only from inside its own package."""
    offences = []
    for module, imported in MODULES.items():
        for target in imported:
            parts = target.split(".")
            for i, part in enumerate(parts):
                if part.startswith("_") and not part.startswith("__") and i > 0:
                    owner = ".".join(parts[:i])
                    inside = module == owner or module.startswith(owner + ".")
                    if not inside and owner != "breakglass":
                        offences.append(f"{module} imports {target}")
                    break
    assert offences == []


def test_no_import_cycle_between_packages() -> None:
    """The packages of ``breakglass`` and ``api`` import each other in one direction only."""
    graph: dict[str, set[str]] = {}
    for module, imported in MODULES.items():
        source = _package(module)
        for target in imported:
            pkg = _package(target)
            if pkg != source and pkg in {_package(m) for m in MODULES} and pkg not in LEAVES:
                graph.setdefault(source, set()).add(pkg)
    cycles = []
    state: dict[str, int] = {}

    def visit(node: str, path: list[str]) -> None:
        state[node] = 1
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                cycles.append(" → ".join([*path[path.index(nxt) :], nxt]))
            elif nxt not in state:
                visit(nxt, [*path, nxt])
        state[node] = 2

    for node in sorted(graph):
        if node not in state:
            visit(node, [node])
    assert cycles == []


@pytest.mark.parametrize("forbidden", ["typer"])
def test_feature_packages_do_not_import_the_cli_framework(forbidden: str) -> None:
    """Only ``breakglass.cli`` speaks Typer; feature packages stay usable from the API."""
    offences = []
    for path in sorted((ROOT / "breakglass").rglob("*.py")):
        name = _module_name(path)
        if name == "breakglass.cli" or name.startswith("breakglass.cli."):
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            if any(n.split(".")[0] == forbidden for n in names):
                offences.append(name)
    assert sorted(set(offences)) == []


def _test_imports() -> Iterator[tuple[str, str]]:
    """(test file, module it imports) for every ``tests.…`` import under tests/ and bench/."""
    for folder in (ROOT / "tests", ROOT / "bench"):
        for path in sorted(folder.rglob("*.py")):
            tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
            for node in ast.walk(tree):
                if isinstance(node, ast.ImportFrom) and node.module:
                    yield str(path.relative_to(ROOT)), node.module
                elif isinstance(node, ast.Import):
                    for alias in node.names:
                        yield str(path.relative_to(ROOT)), alias.name


def test_tests_share_helpers_only_through_tests_support() -> None:
    """A helper lives in tests/support/; no test module or conftest is imported by another
    file (conftest files hold fixtures, which pytest injects)."""
    seen = list(_test_imports())
    assert len(seen) > 100, "the scan found no imports: the test is not looking"
    offending = [
        (path, module)
        for path, module in seen
        if module.startswith("tests.")
        and (module.rsplit(".", 1)[-1].startswith("test_") or module.endswith("conftest"))
    ]
    assert not offending, offending
