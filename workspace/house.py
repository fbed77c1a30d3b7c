"""What the capabilities plugged in: one `House` per app, filled by the
composition root (workspace/bootstrap.py) and nowhere else.

Nothing here fills itself at import time. `create_app` builds a House by
calling each capability's `register(house)` in order, keeps it in
`app.extensions["jointlab.house"]`, and makes it the process's current one:
service code (a trial completing inside a job, the scheduler's thread) asks
`current()` without needing an app context. Every app of a process (tests build
many) is built by the same registers, so each gets the same House, and a new
app's House replaces the last one's rather than adding to it.
"""

from __future__ import annotations

import importlib
import types
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from flask import Flask, current_app, has_app_context
from sqlalchemy.orm import Session

# A reaction runs inside the transaction that raised its signal, with the
# caller's session first, then the signal's own arguments (see `react`).
Reaction = Callable[..., None]
Consumer = Callable[[Session, list[Any]], None]
# (workspace, user, role) -> Markup or None
Panel = Callable[[Any, Any, "str | None"], Any]
# (session, demo workspace, demo users by name)
DemoContent = Callable[[Session, Any, dict[str, Any]], None]
HealthSection = Callable[[Session], dict[str, Any]]
# (session, manager) -> a SELECT of the workspace ids the manager oversees, or None
Oversight = Callable[[Session, Any], Any]

SOCKET_EVENT = "__socketio_event__"


@dataclass(frozen=True)
class Periodic:
    path: str
    every_seconds: int
    # What `run_once` calls instead, for a job whose own clock decides what is
    # due (the digest goes at each person's hour): the job as if that time
    # had come for everything waiting.
    now_path: str | None = None


@dataclass
class House:
    # Modules whose @endpoint / page routes are declared on the shared blueprints.
    route_modules: list[str] = field(default_factory=list)
    # Signal (an event type, or a capability's own, e.g. documents.service.SERVER_EDIT)
    # -> reactions, in the order they were declared.
    reactions: dict[str, list[Reaction]] = field(default_factory=dict)
    # Outbox consumers by cursor name; they run in this order in one transaction.
    consumers: dict[str, Consumer] = field(default_factory=dict)
    periodic: list[Periodic] = field(default_factory=list)
    panels: list[Panel] = field(default_factory=list)
    demo: list[DemoContent] = field(default_factory=list)
    health: list[HealthSection] = field(default_factory=list)
    # (Socket.IO event, handler), and the modules they came from.
    socket_handlers: list[tuple[str, Callable[..., Any]]] = field(default_factory=list)
    socket_modules: list[types.ModuleType] = field(default_factory=list)
    disconnect: list[Callable[[Any], None]] = field(default_factory=list)
    oversight: Oversight | None = None
    # Exact `style="…"` texts a script library sets, allowed by hash in the
    # pages' Content-Security-Policy (workspace/security/headers.py).
    style_attributes: list[str] = field(default_factory=list)

    def routes(self, *modules: str) -> None:
        """Import modules whose routes decorate the shared blueprints."""
        for name in modules:
            importlib.import_module(name)
            if name not in self.route_modules:
                self.route_modules.append(name)

    def on(self, signal: str, reaction: Reaction) -> None:
        """Run `reaction(session, *args)` whenever `react(session, signal, *args)`."""
        found = self.reactions.setdefault(signal, [])
        if reaction not in found:
            found.append(reaction)

    def consumer(self, name: str, func: Consumer) -> None:
        """An outbox consumer (jobs/outbox.py): every event once, in order."""
        self.consumers[name] = func

    def every(self, path: str, every_seconds: int, now_path: str | None = None) -> None:
        """A periodic job by dotted path; declaring one twice keeps the first."""
        if all(p.path != path for p in self.periodic):
            self.periodic.append(Periodic(path, every_seconds, now_path))

    def panel(self, func: Panel) -> None:
        """A section of the workspace page, in declaration order."""
        if func not in self.panels:
            self.panels.append(func)

    def demo_content(self, func: DemoContent) -> None:
        if func not in self.demo:
            self.demo.append(func)

    def health_section(self, func: HealthSection) -> None:
        """Adds its keys to `GET /healthz` (read in the health check's session)."""
        if func not in self.health:
            self.health.append(func)

    def socket(self, module_name: str) -> None:
        """The Socket.IO handlers a module declares with `realtime.on` / `@handler`
        (they carry their event name), and its per-process state to reset."""
        module = importlib.import_module(module_name)
        if module in self.socket_modules:
            return
        self.socket_modules.append(module)
        for value in vars(module).values():
            # Only the module's own functions (not a proxy like flask.request).
            if not isinstance(value, types.FunctionType) or value.__module__ != module_name:
                continue
            event = getattr(value, SOCKET_EVENT, None)
            if isinstance(event, str):
                self.socket_handlers.append((event, value))

    def on_disconnect(self, func: Callable[[Any], None]) -> None:
        """Called with the client record when a Socket.IO connection ends."""
        if func not in self.disconnect:
            self.disconnect.append(func)

    def oversee(self, func: Oversight) -> None:
        """Which workspaces a manager oversees (default: every one)."""
        self.oversight = func

    def allow_style_attributes(self, values: Iterable[str]) -> None:
        """Let these exact `style` attribute texts through the pages' CSP (a
        script library sets them and cannot be told otherwise)."""
        for value in values:
            if value not in self.style_attributes:
                self.style_attributes.append(value)


_installed: House | None = None


def install(app: Flask, house: House) -> None:
    global _installed
    app.extensions["jointlab.house"] = house
    _installed = house


def current() -> House:
    """The app's House in an app context, else the one built last in this
    process (threads and jobs without a context). Before any app: empty."""
    if has_app_context():
        house = current_app.extensions.get("jointlab.house")
        if house is not None:
            return house
    return _installed if _installed is not None else _EMPTY


def house_of(app: Flask) -> House:
    return app.extensions["jointlab.house"]


def react(session: Session, signal: str, *args: Any) -> None:
    """Run the reactions to `signal` now, in the caller's transaction, in the
    order they were declared: a reaction that fails rolls the change back."""
    for reaction in current().reactions.get(signal, ()):
        reaction(session, *args)


_EMPTY = House()
