"""Cooperative concurrency (gevent) for the processes that serve.

A serving process (`python wsgi.py`, gunicorn with `workspace.gunicorn_worker`)
runs one greenlet per connection instead of one OS thread: it calls `patch()`
before anything else is imported, so sockets, locks, `time.sleep` and
`threading.Thread` cooperate with gevent's hub, and psycopg (3.1.14 and later,
imported after the patch) waits on the patched `select` instead of in C.
Everything else (operator commands, RQ workers, the tests' in-process servers)
is not patched and runs Socket.IO in `threading` mode.

The mode is what the entry point did, not a guess from what is installed
(`mode()`); `check(mode)` refuses a mismatch, which would block the hub on
every database call.

Under gevent, a greenlet that runs C code for long stalls every connection of
the process. `offload` runs such work (Argon2 password hashing, which
releases the GIL) on gevent's pool of native threads; elsewhere it is a plain
call.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")

GEVENT, THREADING = "gevent", "threading"


def patch() -> None:
    """Patch the standard library for gevent: call it first thing, before any
    other import (psycopg decides how to wait when it is imported)."""
    # local: gevent is imported only by the processes that patch.
    from gevent import monkey

    monkey.patch_all()


def patched() -> bool:
    """Has this process been patched for gevent? Does not import gevent."""
    monkey = sys.modules.get("gevent.monkey")
    return bool(monkey is not None and monkey.is_module_patched("socket"))


def mode() -> str:
    """The Socket.IO async mode the entry point chose by patching (or not)."""
    return GEVENT if patched() else THREADING


def check(async_mode: str) -> None:
    """Refuse an async mode that does not match how this process started."""
    # local: this module is imported before the patch (wsgi.py); its top
    # imports only what is safe to import unpatched.
    from workspace.config import ConfigError

    if async_mode not in (GEVENT, THREADING):
        raise ConfigError(f"async mode must be gevent or threading, got {async_mode!r}")
    if (async_mode == GEVENT) != patched():
        raise ConfigError(
            f"async mode {async_mode} in a process that is "
            f"{'' if patched() else 'not '}patched for gevent: serve with `python wsgi.py` "
            "or gunicorn -k workspace.gunicorn_worker.Worker"
        )
    if async_mode == GEVENT:
        # local: psycopg must not be imported before the patch, which this module precedes.
        import psycopg.waiting

        # psycopg chose its wait function when it was imported: a C wait
        # (imported before the patch) would block the hub on every query.
        if psycopg.waiting.wait is getattr(psycopg.waiting, "wait_c", None):
            raise ConfigError(
                "psycopg was imported before gevent patched the standard "
                "library; patch first (workspace.cooperative.patch)"
            )


# Native threads for CPU-bound work, apart from the hub's own pool (DNS
# lookups): one, so a burst of logins queues instead of taking every core
# from the hub (Argon2 runs its 4 lanes on threads of its own).
CPU_THREADS = 1
_cpu_pool: Any = None


def offload(func: Callable[..., T], *args: Any) -> T:
    """Run `func(*args)` off the hub (a native thread) when serving under
    gevent; here and now otherwise. For CPU-bound C code that releases the GIL."""
    global _cpu_pool
    if not patched():
        return func(*args)
    if _cpu_pool is None:
        from gevent.threadpool import ThreadPool  # local: gevent only when patched

        _cpu_pool = ThreadPool(CPU_THREADS)
    return _cpu_pool.apply(func, args)


def native_executor(workers: int, name: str) -> Any:
    """A pool of native threads for C work that releases the GIL (hashing):
    under gevent, `concurrent.futures`' threads would be greenlets on the hub."""
    if patched():
        # local: gevent only when patched.
        from gevent.threadpool import ThreadPoolExecutor as NativeExecutor

        return NativeExecutor(max_workers=workers)
    # local: threading must not be imported before the patch, which this module precedes.
    from concurrent.futures import ThreadPoolExecutor

    return ThreadPoolExecutor(workers, thread_name_prefix=name)


def current_task() -> Any:
    """The running greenlet (gevent) or thread: something a background task
    can `join(timeout)` to wait until the current handler has returned (and
    its Socket.IO ack is queued)."""
    if patched():
        import gevent  # local: gevent only when patched

        current = gevent.getcurrent()
        if hasattr(current, "join"):
            return current
        return _Done()
    import threading  # local: not before the patch, which this module precedes

    return threading.current_thread()


class _Done:
    """A handle for a greenlet that cannot be joined (the hub): nothing to wait for."""

    def join(self, timeout: float | None = None) -> None:
        return None
