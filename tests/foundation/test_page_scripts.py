"""The front end's habits (CONTRIBUTING, The front end), read from the
templates: a page loads at most one Socket.IO client, its script is one module
entry in static/js/pages/, and partials and panels carry no script of their own
(the page's entry starts their module)."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TEMPLATES = ROOT / "workspace" / "templates"
STATIC = ROOT / "static"
# The vendored client, and the editor bundle that carries its own.
SOCKET_CLIENTS = ("vendor/socket.io.min.js", "dist/editor.js")
SCRIPT = re.compile(r"<script\b([^>]*)>", re.I)
SRC = re.compile(r"filename='([^']+)'")


def _pages() -> list[Path]:
    return sorted(p for p in TEMPLATES.rglob("*.html") if "{% extends" in p.read_text("utf-8"))


def _scripts(path: Path) -> list[str]:
    """The `<script>` tags that run code (JSON data blocks do not)."""
    tags = SCRIPT.findall(path.read_text("utf-8"))
    return [attrs for attrs in tags if "application/json" not in attrs]


def test_the_check_sees_the_pages() -> None:
    names = {p.relative_to(TEMPLATES).as_posix() for p in _pages()}
    assert {"documents/document.html", "dashboard/index.html", "workspace.html"} <= names


def test_a_page_loads_at_most_one_socket_io_client() -> None:
    for page in _pages():
        loaded = [s for s in _scripts(page) for c in SOCKET_CLIENTS if c in s]
        assert len(loaded) <= 1, (page.name, loaded)


def test_a_page_runs_one_module_entry_from_static_js_pages() -> None:
    for page in [*_pages(), TEMPLATES / "base.html"]:
        entries = [s for s in _scripts(page) if 'type="module"' in s]
        if not entries:
            continue  # the page keeps base.html's entry
        assert len(entries) == 1, (page.name, entries)
        src = SRC.search(entries[0]).group(1)
        assert src.startswith("js/pages/") and (STATIC / src).is_file(), (page.name, src)
        classic = [s for s in _scripts(page) if 'type="module"' not in s]
        # Classic scripts are only vendored libraries and the editor bundle.
        for tag in classic:
            assert re.search(r"filename='(vendor|dist)/", tag), (page.name, tag)


def test_partials_and_panels_carry_no_script() -> None:
    for path in TEMPLATES.rglob("*.html"):
        if path in _pages() or path.name == "base.html":
            continue
        assert _scripts(path) == [], path.relative_to(TEMPLATES)
