"""Importing a module registers nothing (issue 13): what a capability plugs in
is declared by its `register(house)`, called from workspace/bootstrap.py. Read
from the source: a module's top level may only import, define and assign; a
call made for its effect, or a decorator that could file a function away, is
one of the few known below (each on an object of Flask's, Flask-SocketIO's or
the module's own) or it fails here."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("workspace", "realtime", "jobs")

# Top-level calls made for their effect, by file: all configure an object of
# that module's own or a library's, none fills a list another module reads.
KNOWN_CALLS = {
    "workspace/health.py": {"api.add_url_rule"},  # a route on the API blueprint
    "workspace/pages/views.py": {"pages.before_request"},
    "workspace/evidence/pdf.py": {"pdfmetrics.registerFont"},  # ReportLab's CJK font
    "workspace/documents/render.py": {"_md.enable", "_md.core.ruler.push"},  # its parser
}
# Decorators on top-level functions: routes on the shared blueprints (imported
# by `house.routes`), Socket.IO handlers that only carry their event name
# (collected by `house.socket`), SQLAlchemy session hooks of the event log,
# the CLI, and the language's own.
KNOWN_DECORATORS = {
    "endpoint",
    "api.route",
    "api.before_request",
    "pages.route",
    "pages.before_request",
    "pages.app_context_processor",
    "pages.app_template_global",
    "login_required",
    "handler",
    "on",
    "sa_event.listens_for",
    "click.command",
    "click.group",
    "click.option",
    "db_group.command",
    "scheduler_group.command",
    "with_appcontext",
    "dataclass",
    "cache",
    "functools.cache",
    "contextmanager",
}


def _modules() -> list[Path]:
    return sorted(
        p
        for package in PACKAGES
        for p in (ROOT / package).rglob("*.py")
        if "migrations" not in p.relative_to(ROOT).parts
    )


def _callee(node: ast.expr) -> str:
    return ast.unparse(node.func if isinstance(node, ast.Call) else node)


def _type_checking_block(node: ast.stmt) -> bool:
    return (
        isinstance(node, ast.If)
        and ast.unparse(node.test) in ("TYPE_CHECKING", "typing.TYPE_CHECKING")
        and all(isinstance(n, (ast.Import, ast.ImportFrom)) for n in node.body + node.orelse)
    )


def test_the_check_reads_the_modules() -> None:
    names = {p.relative_to(ROOT).as_posix() for p in _modules()}
    assert {"workspace/bootstrap.py", "realtime/documents.py", "jobs/outbox.py"} <= names
    assert set(KNOWN_CALLS) <= names


def test_no_module_registers_anything_at_import() -> None:
    found = []
    for path in _modules():
        name = path.relative_to(ROOT).as_posix()
        for node in ast.parse(path.read_text("utf-8")).body:
            if isinstance(node, ast.Expr) and isinstance(node.value, ast.Call):
                call = _callee(node.value)
                if call not in KNOWN_CALLS.get(name, set()):
                    found.append(f"{name}:{node.lineno}: {call}(...)")
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                for decorator in node.decorator_list:
                    if _callee(decorator) not in KNOWN_DECORATORS:
                        found.append(f"{name}:{node.lineno}: @{_callee(decorator)}")
            if _type_checking_block(node):
                continue  # imports for annotations only
            if not isinstance(
                node,
                (
                    ast.Expr,
                    ast.Import,
                    ast.ImportFrom,
                    ast.FunctionDef,
                    ast.AsyncFunctionDef,
                    ast.ClassDef,
                    ast.Assign,
                    ast.AnnAssign,
                ),
            ):
                found.append(f"{name}:{node.lineno}: top-level {type(node).__name__}")
    assert not found, (
        "declare it in the capability's register(house) (workspace/bootstrap.py), "
        f"not at import: {found}"
    )
