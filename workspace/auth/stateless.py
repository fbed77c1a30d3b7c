"""Bearer calls are stateless (SPEC v1.1): no session read, none written.

A script with a token must not be handed a session cookie, and a response to
it must not vary on cookies: a cookie it happens to carry is ignored. The
wrapper goes around whatever session interface the app uses, so a server-side
session store slots in underneath without touching this rule.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, Request, Response
from flask.sessions import SecureCookieSession, SessionInterface, SessionMixin


def carries_token(request: Request) -> bool:
    """A bearer header anywhere, or `?token=` on the API (the feeds take it
    there; other API routes refuse it, without a cookie either way)."""
    header = request.headers.get("Authorization", "")
    if header[:7].lower() == "bearer ":
        return True
    return request.path.startswith("/api/") and "token" in request.args


# Where Flask-SocketIO (manage_session, its default) keeps a connection's
# session, copied from the connect request's: it installs it for every event.
SOCKET_SESSION = "saved_session"


class _NoSession(SecureCookieSession):
    """Readable and writable for code that expects a session; never saved."""


class StatelessForTokens(SessionInterface):
    def __init__(self, inner: SessionInterface) -> None:
        self.inner = inner

    def open_session(self, app: Flask, request: Request) -> SessionMixin | None:
        saved = request.environ.get(SOCKET_SESSION)
        if saved is not None:
            # An event on a Socket.IO connection: Flask-SocketIO replaces
            # whatever is opened here with the session it saved at connect.
            # Opening (a signing serializer built, the cookie verified) was
            # a fifth of every co-editing update's handling, for nothing.
            return saved  # type: ignore[no-any-return]
        if carries_token(request):
            return _NoSession()
        return self.inner.open_session(app, request)

    def save_session(self, app: Flask, session: SessionMixin, response: Response) -> None:
        if isinstance(session, _NoSession):
            return
        self.inner.save_session(app, session, response)

    def make_null_session(self, app: Flask) -> Any:
        return self.inner.make_null_session(app)

    def is_null_session(self, obj: object) -> bool:
        return self.inner.is_null_session(obj)

    def __getattr__(self, name: str) -> Any:
        # Anything else (cookie name, serializer...) is the inner interface's.
        return getattr(self.inner, name)


def install(app: Flask) -> None:
    if not isinstance(app.session_interface, StatelessForTokens):
        app.session_interface = StatelessForTokens(app.session_interface)
