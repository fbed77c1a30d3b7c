"""HTTP POSTs to vetted addresses, with a hard time limit and no redirects.

A `Sender` lives for one delivery job and keeps a keep-alive connection pool
per vetted address, so a burst to one host does not pay a TCP (and TLS)
handshake per request. The pool key is the address the SSRF check approved
(with port, scheme and TLS name): a connection is only ever reused for the
very address that was vetted for the request at hand, and every request is
vetted again (DNS can change between two deliveries).
"""

from __future__ import annotations

import socket
import threading
import time
from dataclasses import dataclass
from typing import Any

import urllib3
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.exceptions import HTTPError

from workspace.webhooks.ssrf import Target, UnsafeURL, resolve

EXCERPT = 2048
USER_AGENT = "JointLab-Webhooks/1"
MAX_RESPONSE = 1024 * 1024


@dataclass
class Result:
    status: int | None
    body: str
    duration_ms: int
    error: str | None
    # Nothing was sent because the request could not be made (composing it
    # raised): a retry would fail the same way.
    permanent: bool = False

    @property
    def ok(self) -> bool:
        return self.error is None and self.status is not None and 200 <= self.status < 300


def _quick_ack(sock: socket.socket | None) -> None:
    # Receivers that send headers and body in two writes without TCP_NODELAY
    # (Python's http.server among them) stall ~40 ms per answer on a kept-alive
    # connection: their second write waits for our ACK, which Linux delays.
    # Asking for an immediate ACK before each answer removes the stall.
    if sock is not None and hasattr(socket, "TCP_QUICKACK"):
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_QUICKACK, 1)


class _Connection(HTTPConnection):
    def getresponse(self) -> Any:
        _quick_ack(self.sock)
        return super().getresponse()


class _TLSConnection(HTTPSConnection):
    def getresponse(self) -> Any:
        _quick_ack(self.sock)
        return super().getresponse()


class Sender:
    """Posts from any number of threads; `close()` drops every connection."""

    def __init__(
        self,
        *,
        timeout: float,
        allow_private: bool,
        connections_per_host: int = 4,
        connection_wait: float | None = None,
    ) -> None:
        self.timeout = timeout
        self.allow_private = allow_private
        self.connections_per_host = connections_per_host
        # How long a request may wait for one of its host's connections.
        self.connection_wait = timeout if connection_wait is None else connection_wait
        self._pools: dict[tuple[str, str, int, str], urllib3.HTTPConnectionPool] = {}
        self._lock = threading.Lock()

    def __enter__(self) -> Sender:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def post(self, url: str, body: bytes, headers: dict[str, str]) -> Result:
        started = time.monotonic()
        try:
            target = resolve(url, self.allow_private)
        except UnsafeURL as err:
            return Result(None, "", 0, f"refused: {err}")
        try:
            return self._send(target, body, headers, started)
        except Exception as err:  # the receiver's failure is data for the log, never a crash
            return Result(None, "", _ms(started), f"{type(err).__name__}: {err}"[:500])

    def close(self) -> None:
        with self._lock:
            pools, self._pools = list(self._pools.values()), {}
        for pool in pools:
            pool.close()

    def _pool(self, target: Target) -> urllib3.HTTPConnectionPool:
        address = target.addresses[0]
        key = (target.scheme, address, target.port, target.host)
        with self._lock:
            pool = self._pools.get(key)
            if pool is None:
                # block=True: at most `connections_per_host` requests to one
                # address at a time, so a burst to one receiver queues here
                # instead of flooding its accept queue.
                common = {"retries": False, "block": True, "maxsize": self.connections_per_host}
                if target.scheme == "https":
                    pool = urllib3.HTTPSConnectionPool(
                        address,
                        target.port,
                        **common,
                        server_hostname=target.host,
                        assert_hostname=target.host,
                        cert_reqs="CERT_REQUIRED",
                    )
                    pool.ConnectionCls = _TLSConnection
                else:
                    pool = urllib3.HTTPConnectionPool(address, target.port, **common)
                    pool.ConnectionCls = _Connection
                self._pools[key] = pool
            return pool

    def _send(self, target: Target, body: bytes, headers: dict[str, str], started: float) -> Result:
        timeout = self.timeout
        host_header = target.host if target.port in (80, 443) else f"{target.host}:{target.port}"
        all_headers = {
            "Content-Type": "application/json",
            "User-Agent": USER_AGENT,
            "Host": host_header,
            **headers,
        }
        budget = urllib3.Timeout(total=timeout, connect=min(timeout, 5.0))
        pool = self._pool(target)
        response = None
        try:
            response = pool.urlopen(
                "POST",
                target.path,
                body=body,
                headers=all_headers,
                redirect=False,
                retries=False,
                preload_content=False,
                assert_same_host=False,
                timeout=budget,
                pool_timeout=self.connection_wait,
            )
            deadline = started + timeout
            chunks: list[bytes] = []
            size = 0
            complete = True
            # The read timeout is per socket read; a receiver trickling bytes
            # must still be cut at the overall limit.
            for chunk in response.stream(1024):
                if size < EXCERPT:
                    chunks.append(chunk)
                size += len(chunk)
                if time.monotonic() > deadline or size > MAX_RESPONSE:
                    complete = False
                    break
            if not complete:
                # Unread bytes would be taken for the next answer: never reuse.
                response.close()
            response.release_conn()
        except HTTPError as err:
            if response is not None:
                response.close()  # cut mid-answer: the connection is unusable
                response.release_conn()
            reason = getattr(err, "reason", None) or err
            message = (
                f"timed out after {timeout:g} s"
                if "timed out" in str(reason).lower()
                else f"{type(err).__name__}: {reason}"
            )
            return Result(None, "", _ms(started), message[:500])
        text = b"".join(chunks)[:EXCERPT].decode("utf-8", "replace")
        error = None
        if 300 <= response.status < 400:
            where = response.headers.get("Location", "")
            error = f"redirect to {where[:200]} not followed"
        return Result(response.status, text, _ms(started), error)


def _ms(started: float) -> int:
    return int((time.monotonic() - started) * 1000)
