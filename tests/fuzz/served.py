"""The access matrix's seeded world, served on a free port, outside pytest
(for `tests/fuzz/run`); the backend is chosen as in the tests
(JOINTLAB_TEST_DATABASE, JOINTLAB_TEST_REDIS)."""

from __future__ import annotations

import contextlib
import logging
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text


@contextlib.contextmanager
def _database(tmp: Path) -> Iterator[str]:
    """A migrated database of its own: a file, or a PostgreSQL database."""
    from tests.conftest import PG_ADMIN_URL, RUN_ID, USE_PG
    from workspace.migrations import upgrade

    if not USE_PG:
        url = f"sqlite:///{tmp / 'template.db'}"
        upgrade(url)
        yield str(tmp / "template.db")
        return
    name = f"jl_fuzz_{RUN_ID}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    try:
        upgrade(url)
        yield url
    finally:
        with admin.connect() as conn:
            conn.execute(
                text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = :n AND pid <> pg_backend_pid()"
                ),
                {"n": name},
            )
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        admin.dispose()


@contextlib.contextmanager
def served(world: Any) -> Iterator[str]:
    from tests.conftest import LiveServer

    # One access-log line per request is noise at thousands of requests; the
    # level is put back after, or later tests that read werkzeug's lines miss them.
    access_log = logging.getLogger("werkzeug")
    level = access_log.level
    access_log.setLevel(logging.WARNING)
    server = LiveServer(world.app).start()
    try:
        yield server.url
    finally:
        server.stop()
        access_log.setLevel(level)


@contextlib.contextmanager
def served_world() -> Iterator[tuple[Any, str]]:
    from tests.foundation.matrix_app import module_world

    tmp = Path(tempfile.mkdtemp(prefix="jl-fuzz-world-"))
    with _database(tmp) as template:
        worlds = module_world(template, tmp)
        world = next(worlds)
        try:
            with served(world) as url:
                yield world, url
        finally:
            worlds.close()
