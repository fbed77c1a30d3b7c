"""Imports stay at module top (issue 13). An import inside a function hides a
dependency, and usually a cycle someone worked around instead of breaking.
The few that must be local (gevent's patch comes first; an optional or heavy
library only a rare path uses) say why on the line or the comment above:
`# local: <reason>`. And every module imports on its own, whichever is first."""

from __future__ import annotations

import ast
import io
import subprocess
import sys
import tokenize
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("workspace", "realtime", "jobs")
MARKER = "# local:"


def _sources() -> Iterator[Path]:
    yield ROOT / "wsgi.py"
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            if "migrations/versions" not in path.as_posix():
                yield path


def _comments(source: str) -> dict[int, str]:
    """Line -> the comment that is all there is on it."""
    lines = source.splitlines()
    return {
        token.start[0]: token.string
        for token in tokenize.generate_tokens(io.StringIO(source).readline)
        if token.type == tokenize.COMMENT and lines[token.start[0] - 1].lstrip().startswith("#")
    }


def _trailing(source: str) -> dict[int, str]:
    """Line -> its comment, whatever comes before it."""
    return {
        token.start[0]: token.string
        for token in tokenize.generate_tokens(io.StringIO(source).readline)
        if token.type == tokenize.COMMENT
    }


def _local_imports(tree: ast.AST) -> Iterator[tuple[ast.stmt, list[ast.stmt]]]:
    """(import, the statements of the body it sits in) for each import in a function."""

    def visit(node: ast.AST, in_function: bool) -> Iterator[tuple[ast.stmt, list[ast.stmt]]]:
        for field in ("body", "orelse", "finalbody", "handlers"):
            body = getattr(node, field, None)
            if not isinstance(body, list):
                continue
            for child in body:
                if isinstance(child, ast.Import | ast.ImportFrom) and in_function:
                    yield child, body
        for child in ast.iter_child_nodes(node):
            inner = in_function or isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef)
            if isinstance(child, ast.If) and "TYPE_CHECKING" in ast.unparse(child.test):
                continue
            yield from visit(child, inner)

    yield from visit(tree, False)


def _explained(
    node: ast.stmt, body: list[ast.stmt], comments: dict[int, str], trailing: dict[int, str]
) -> bool:
    """The marker on one of the import's lines, or above it: over the comment
    lines and the imports of the same run of imports."""
    if any(MARKER in trailing.get(n, "") for n in range(node.lineno, (node.end_lineno or 0) + 1)):
        return True
    imports = {
        n
        for stmt in body
        if isinstance(stmt, ast.Import | ast.ImportFrom)
        for n in range(stmt.lineno, (stmt.end_lineno or stmt.lineno) + 1)
    }
    line = node.lineno - 1
    while line > 0 and (line in imports or line in comments):
        if MARKER in trailing.get(line, ""):
            return True
        line -= 1
    return False


def unexplained(source: str) -> list[ast.stmt]:
    found = list(_local_imports(ast.parse(source)))
    if not found:
        return []
    comments, trailing = _comments(source), _trailing(source)
    return [node for node, body in found if not _explained(node, body, comments, trailing)]


def unexplained_local_imports() -> list[str]:
    return [
        f"{path.relative_to(ROOT)}:{node.lineno}: {ast.unparse(node)}"
        for path in _sources()
        for node in unexplained(path.read_text())
    ]


def count_local_imports() -> int:
    return sum(len(list(_local_imports(ast.parse(p.read_text())))) for p in _sources())


def test_the_check_sees_what_it_should():
    source = """
from typing import TYPE_CHECKING
import os
if TYPE_CHECKING:
    import json


def f():
    # local: openpyxl is heavy and only f needs it
    import openpyxl
    from openpyxl.styles import Font
    import gevent  # local: gevent only when patched
    x = 1  # local: not about the import below
    import csv
    return openpyxl, Font, gevent, x, csv


class C:
    def g(self):
        if os.environ:
            from pathlib import Path
            return Path
"""
    assert [ast.unparse(node) for node in unexplained(source)] == [
        "import csv",
        "from pathlib import Path",
    ]


def test_every_function_local_import_says_why():
    found = unexplained_local_imports()
    assert not found, (
        "Imports inside functions without a `# local: <reason>` comment (hoist them to "
        "the top; a cycle is not a reason, break it):\n" + "\n".join(found)
    )


def _module_name(path: Path) -> str:
    relative = path.relative_to(ROOT).with_suffix("")
    parts = relative.parts[:-1] if relative.name == "__init__" else relative.parts
    return ".".join(parts)


def _top_imports(body: list[ast.stmt]) -> Iterator[ast.Import | ast.ImportFrom]:
    """The imports a module runs when it is imported (not under TYPE_CHECKING)."""
    for stmt in body:
        if isinstance(stmt, ast.Import | ast.ImportFrom):
            yield stmt
        elif isinstance(stmt, ast.If) and "TYPE_CHECKING" not in ast.unparse(stmt.test):
            yield from _top_imports(stmt.body)
            yield from _top_imports(stmt.orelse)
        elif isinstance(stmt, ast.Try):
            for block in (stmt.body, *(h.body for h in stmt.handlers), stmt.orelse):
                yield from _top_imports(block)


def import_graph() -> dict[str, set[str]]:
    """Module -> the project modules its top imports load (a package's
    __init__ included: a package that imports its own submodules, to re-export
    or to register them, is in a cycle with each that imports the package)."""
    paths = {_module_name(path): path for path in _sources()}
    graph: dict[str, set[str]] = {}
    for name, path in paths.items():
        package = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
        deps: set[str] = set()
        for stmt in _top_imports(ast.parse(path.read_text()).body):
            if isinstance(stmt, ast.Import):
                targets = [alias.name for alias in stmt.names]
            else:
                base = stmt.module or ""
                if stmt.level:
                    base = ".".join([*package[: len(package) - stmt.level + 1], base]).strip(".")
                targets = [base, *(f"{base}.{alias.name}" for alias in stmt.names)]
            for target in targets:
                parts = target.split(".")
                for i in range(1, len(parts) + 1):
                    dep = ".".join(parts[:i])
                    if dep in paths and dep != name:
                        deps.add(dep)
        graph[name] = deps
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def connect(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for dep in sorted(graph[node]):
            if dep not in index:
                connect(dep)
                low[node] = min(low[node], low[dep])
            elif dep in stack:
                low[node] = min(low[node], index[dep])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            connect(node)
    return found


def test_no_import_cycles_between_modules():
    """What the modules import at their top forms no cycle: which of them is
    imported first never matters, and no import has to hide in a function."""
    assert cycles(import_graph()) == []


def test_every_module_imports_in_a_fresh_interpreter():
    """The same at run time, in one order (last to first: a package's
    submodules before the package): an import that fails only when its
    module comes first shows here."""
    names = [
        _module_name(path)
        for path in _sources()
        # wsgi builds the app when imported; alembic runs env.py, nobody imports it.
        if path.name not in ("wsgi.py", "env.py")
    ]
    script = "import importlib, sys\nfor name in sys.argv[1:]: importlib.import_module(name)"
    result = subprocess.run(
        [sys.executable, "-c", script, *sorted(names, reverse=True)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
