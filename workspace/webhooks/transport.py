"""One HTTP POST to a vetted address, with a hard time limit and no redirects."""

from __future__ import annotations

import time
from dataclasses import dataclass

import urllib3
from urllib3.exceptions import HTTPError

from workspace.webhooks.ssrf import Target, UnsafeURL, resolve

EXCERPT = 2048
USER_AGENT = "JointLab-Webhooks/1"


@dataclass
class Result:
    status: int | None
    body: str
    duration_ms: int
    error: str | None

    @property
    def ok(self) -> bool:
        return self.error is None and self.status is not None and 200 <= self.status < 300


def post(url: str, body: bytes, headers: dict[str, str], *, timeout: float,
         allow_private: bool) -> Result:
    started = time.monotonic()
    try:
        target = resolve(url, allow_private)
    except UnsafeURL as err:
        return Result(None, "", 0, f"refused: {err}")
    try:
        return _send(target, body, headers, timeout, started)
    except Exception as err:  # the receiver's failure is data for the log, never a crash
        return Result(None, "", _ms(started), f"{type(err).__name__}: {err}"[:500])


def _send(target: Target, body: bytes, headers: dict[str, str], timeout: float,
          started: float) -> Result:
    host_header = target.host if target.port in (80, 443) else f"{target.host}:{target.port}"
    all_headers = {"Content-Type": "application/json", "User-Agent": USER_AGENT,
                   "Host": host_header, **headers}
    budget = urllib3.Timeout(total=timeout, connect=min(timeout, 5.0))
    address = target.addresses[0]
    if target.scheme == "https":
        pool: urllib3.HTTPConnectionPool = urllib3.HTTPSConnectionPool(
            address, target.port, timeout=budget, retries=False, maxsize=1,
            server_hostname=target.host, assert_hostname=target.host, cert_reqs="CERT_REQUIRED",
        )
    else:
        pool = urllib3.HTTPConnectionPool(address, target.port, timeout=budget, retries=False,
                                          maxsize=1)
    try:
        response = pool.urlopen("POST", target.path, body=body, headers=all_headers,
                                redirect=False, retries=False, preload_content=False,
                                assert_same_host=False)
        deadline = started + timeout
        chunks: list[bytes] = []
        size = 0
        # The read timeout is per socket read; a receiver trickling bytes must
        # still be cut at the overall limit.
        for chunk in response.stream(1024):
            if size < EXCERPT:
                chunks.append(chunk)
            size += len(chunk)
            if time.monotonic() > deadline or size > 1024 * 1024:
                break
        response.release_conn()
    except HTTPError as err:
        reason = getattr(err, "reason", None) or err
        message = f"timed out after {timeout:g} s" if "timed out" in str(reason).lower() else \
            f"{type(err).__name__}: {reason}"
        return Result(None, "", _ms(started), message[:500])
    finally:
        pool.close()
    text = b"".join(chunks)[:EXCERPT].decode("utf-8", "replace")
    error = None
    if 300 <= response.status < 400:
        where = response.headers.get("Location", "")
        error = f"redirect to {where[:200]} not followed"
    return Result(response.status, text, _ms(started), error)


def _ms(started: float) -> int:
    return int((time.monotonic() - started) * 1000)
