"""Login throttling that slows guessers down without locking owners out.

Two rules, both about failures only (a lab of thirty behind one NAT logging in
at nine must not trip anything):

- Per address: 20 failures a minute from one address, whatever the accounts,
  and that address is refused for the rest of the minute.
- Per account and address: the first 3 failures against one account from one
  address are free; each further one makes that address wait before its next
  try on that account, twice as long each time (1 s, 2 s, 4 s … up to 15
  minutes). Once an account has collected 10 failures from anywhere, an
  address that fails against it waits from its first failure.

An address that has not failed against an account is never held back on it,
so knowing someone's email is not a way to lock them out (the per-account
lock-out GitHub and GitLab also avoid); the cost of guessing lands on the
addresses that guess. Behind a reverse proxy the address is only the
client's own with `TRUSTED_PROXIES` set.
"""

from __future__ import annotations

import math
import time
from typing import Any

from limits import parse
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter

from workspace.errors import RateLimited

ADDRESS_LIMIT = parse("20/minute")
FREE_FAILURES = 3
ACCOUNT_ALARM = 10  # failures on one account, from anywhere, within ACCOUNT_WINDOW
ACCOUNT_WINDOW = 15 * 60
PAIR_WINDOW = 60 * 60  # how long an address's failures on an account are remembered
MAX_WAIT = 15 * 60


def wait_after(failures: int, free: int) -> int:
    """Seconds an address waits after its `failures`-th failure on an account."""
    if failures <= free:
        return 0
    return min(2 ** min(failures - free - 1, 20), MAX_WAIT)


class LoginThrottle:
    def __init__(self) -> None:
        self._storage: Any = None
        self._limiter: MovingWindowRateLimiter | None = None

    def configure(self, storage_uri: str, namespace: str) -> None:
        options = {"key_prefix": f"{namespace}:limits"} if storage_uri.startswith("redis") else {}
        self._storage = storage_from_string(storage_uri, **options)
        self._limiter = MovingWindowRateLimiter(self._storage)

    @staticmethod
    def _pair(address: str, email: str) -> tuple[str, str]:
        return f"login-fails/{email}/{address}", f"login-wait/{email}/{address}"

    def check(self, address: str, email: str) -> None:
        """Refuse while this address must wait; before the password is looked at."""
        if self._limiter is None:
            return
        try:
            if not self._limiter.test(ADDRESS_LIMIT, "login-ip", address):
                reset, _left = self._limiter.get_window_stats(ADDRESS_LIMIT, "login-ip", address)
                raise _limited(reset, "Too many failed logins from your network")
            _fails, wait_key = self._pair(address, email)
            if self._storage.get(wait_key) > 0:
                raise _limited(
                    self._storage.get_expiry(wait_key),
                    "Too many failed logins to this account from your network",
                )
        except RateLimited:
            raise
        except Exception:  # the store is down: do not lock everyone out
            return

    def failed(self, address: str, email: str) -> None:
        if self._limiter is None:
            return
        try:
            self._limiter.hit(ADDRESS_LIMIT, "login-ip", address)
            fails_key, wait_key = self._pair(address, email)
            failures = self._storage.incr(fails_key, PAIR_WINDOW)
            on_account = self._storage.incr(f"login-account/{email}", ACCOUNT_WINDOW)
            wait = wait_after(failures, FREE_FAILURES if on_account < ACCOUNT_ALARM else 0)
            if wait:
                self._storage.clear(wait_key)
                self._storage.incr(wait_key, wait)
        except Exception:
            return

    def succeeded(self, address: str, email: str) -> None:
        """The right password: this address starts afresh on this account."""
        if self._storage is None:
            return
        try:
            for key in self._pair(address, email):
                self._storage.clear(key)
        except Exception:
            return


def _limited(until: float, what: str) -> RateLimited:
    seconds = max(1, math.ceil(until - time.time()))
    return RateLimited(f"{what}; wait {seconds} seconds and try again.", retry_after=seconds)


throttle = LoginThrottle()
