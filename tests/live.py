"""What tests use to talk to a served app: a real HTTP + Socket.IO server in
a thread, python-socketio clients, a logged-in requests session, a browser
login, and `wait_for`. The fixtures that hand them out are in conftest.py."""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Callable
from typing import Any

from werkzeug.serving import make_server


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LiveServer:
    def __init__(self, app: Any) -> None:
        self.app = app
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._server = make_server("127.0.0.1", self.port, app, threaded=True)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def start(self) -> LiveServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._thread.join(timeout=5)


def login_cookie(base_url: str, user: Any) -> tuple[Any, str]:
    """A requests session logged in by cookie, and its CSRF token."""
    import requests

    session = requests.Session()
    resp = session.post(
        f"{base_url}/api/v1/auth/login",
        json={"email": user.email, "password": user.password},
        timeout=10,
    )
    assert resp.status_code == 200, resp.text
    return session, resp.json()["csrf_token"]


class SocketClients:
    """python-socketio clients against the live server, closed after the test."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self.clients: list[Any] = []

    def connect(
        self,
        token: str | None = None,
        cookie: str | None = None,
        url: str | None = None,
        wait: bool = True,
    ) -> Any:
        import socketio

        client = socketio.Client(reconnection=False)
        client.received = []  # type: ignore[attr-defined]
        client.on("event", lambda env: client.received.append(env))  # type: ignore[attr-defined]
        headers = {"Cookie": cookie} if cookie else {}
        client.connect(
            url or self.base_url,
            auth={"token": token} if token else None,
            headers=headers,
            transports=["websocket"],
            wait_timeout=10,
        )
        self.clients.append(client)
        return client

    def close(self) -> None:
        from socketio import packet

        for client in self.clients:
            with contextlib.suppress(Exception):
                # Client.disconnect() waits 3 s for the server's close frame
                # (websocket-client's default); the server sees the same
                # DISCONNECT either way.
                for namespace in list(client.namespaces):
                    client._send_packet(client.packet_class(packet.DISCONNECT, namespace=namespace))
                if client.eio.ws is not None:
                    client.eio.ws.close(timeout=0.1)
                client.eio.disconnect(abort=True)


# An element's markup as the reader gets it, to hold an item that arrived
# live to the same item after a reload: without the highlight of a fresh
# item, and without <time datetime> (the instant's spelling varies; the text
# shown for it is compared).
MARKUP = """el => {
  const c = el.cloneNode(true);
  c.classList.remove("fresh", "updated");
  if (!c.classList.length) c.removeAttribute("class");
  c.querySelectorAll("time").forEach((t) => t.removeAttribute("datetime"));
  return c.outerHTML;
}"""


def wait_for(predicate: Callable[[], Any], timeout: float = 10.0, interval: float = 0.05) -> Any:
    """Poll until `predicate()` is truthy; fail the test with a message if not."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout}s")
        time.sleep(interval)


def browser_login(context: Any, base_url: str, user: Any) -> Any:
    """Log in through the real form; returns the page on the workspace list."""
    page = context.new_page()
    page.goto(f"{base_url}/login")
    page.fill('input[name="email"]', user.email)
    page.fill('input[name="password"]', user.password)
    page.click('button[type="submit"].primary')
    page.wait_for_url(f"{base_url}/workspaces")
    return page
