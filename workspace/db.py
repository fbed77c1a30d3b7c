"""Database engine, the declarative base and the unit of work.

`transaction()` is the one way code changes state: it yields a session, commits
it (the event log is written inside that commit, see `workspace.events.log`) and
only then lets the bus publish what was committed.
"""

from __future__ import annotations

import functools
import threading
import time
from collections import namedtuple
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, DateTime, Engine, MetaData, Select, create_engine, event, exc
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.types import TypeDecorator

from workspace.events import after_commit

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator):
    """Timezone-aware UTC on every backend (SQLite forgets the zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is not None and value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC) if value is not None else None

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC) if value is not None else None


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {datetime: UTCDateTime, dict[str, Any]: JSON, list[Any]: JSON}


def utcnow() -> datetime:
    return datetime.now(UTC)


def newest_first(stmt: Select, id_column: Any, before_id: int, limit: int) -> Select:
    """Keyset paging from the newest row: `before_id` is the last id the
    previous page gave (0: from the top); one row past `limit` tells the
    caller (`http.page_of`) whether another page follows."""
    if before_id:
        stmt = stmt.where(id_column < before_id)
    return stmt.order_by(id_column.desc()).limit(limit + 1)


# How long a request may wait for the database before it is answered 503
# (workspace/errors.py) instead of hanging: to open a connection (a partition
# answers nothing, and libpq waits forever by default), and for a free
# connection in the pool.
CONNECT_TIMEOUT_SECONDS = 3
POOL_TIMEOUT_SECONDS = 10


# A read for select_together: a statement, or one built once (at module level,
# its parameters named with `bindparam`) with this call's parameters.
Read = Select | tuple[Select, dict[str, Any]]


def select_together(session: Session, *reads: Read) -> list[list[Any]]:
    """Each statement's rows as `session.execute(stmt, params).all()` gives
    them (tuples whose columns are attributes too), in the session's
    transaction, read in one round trip on PostgreSQL (psycopg's pipeline
    mode). For a hot path whose independent reads each waited a turn of the
    event loop: under load a round trip cost ~2.5 ms of wall time however
    small the query. Elsewhere they simply run in turn. A statement given
    with its parameters is compiled once, the first time (compiling a
    statement at every call cost more than sending it). On PostgreSQL the
    values go to psycopg as they are, without SQLAlchemy's bind processing:
    plain numbers, strings, lists."""
    pairs = [r if isinstance(r, tuple) else (r, None) for r in reads]
    conn = session.connection()
    dialect = conn.dialect
    if dialect.name != "postgresql":
        return [session.execute(stmt, params).all() for stmt, params in pairs]
    raw = conn.connection.driver_connection
    compiled = [_Compiled.of(stmt, dialect, params) for stmt, params in pairs]
    cursors = [raw.cursor() for _ in compiled]
    try:
        with raw.pipeline():
            for (_, params), c, cursor in zip(pairs, compiled, cursors, strict=True):
                cursor.execute(c.sql, c.parameters(params))
        out = []
        for c, cursor in zip(compiled, cursors, strict=True):
            processors = c.processors(dialect, cursor.description)
            out.append(
                [
                    c.shape._make(
                        v if p is None else p(v) for p, v in zip(processors, row, strict=True)
                    )
                    for row in cursor.fetchall()
                ]
            )
    finally:
        for cursor in cursors:
            cursor.close()
    return out


class _Compiled:
    """A statement's SQL for psycopg, its rows' shape and its columns' result
    processing (as SQLAlchemy applies it: a UTCDateTime comes back in UTC)."""

    _built: dict[tuple[int, str], _Compiled] = {}  # by statement, for those built once

    def __init__(self, stmt: Select, dialect: Any, render_values: bool) -> None:
        self.stmt = stmt  # held: the cache is keyed by its id
        kwargs = {"render_postcompile": True} if render_values else {}
        self.compiled = stmt.compile(dialect=dialect, compile_kwargs=kwargs)
        self.sql = str(self.compiled)
        self.shape = _row_shape(tuple(stmt.selected_columns.keys()))
        self._processors: list[Any] | None = None

    @classmethod
    def of(cls, stmt: Select, dialect: Any, params: dict[str, Any] | None) -> _Compiled:
        if params is None:  # built for this call: its values go into the SQL
            return cls(stmt, dialect, True)
        key = (id(stmt), dialect.name)
        found = cls._built.get(key)
        if found is None or found.stmt is not stmt:
            found = cls._built[key] = cls(stmt, dialect, False)
        return found

    def parameters(self, params: dict[str, Any] | None) -> dict[str, Any]:
        return self.compiled.params if params is None else self.compiled.construct_params(params)

    def processors(self, dialect: Any, description: Any) -> list[Any]:
        if self._processors is None:
            self._processors = [
                column.type.dialect_impl(dialect).result_processor(dialect, described[1])
                for column, described in zip(self.stmt.selected_columns, description, strict=True)
            ]
        return self._processors


@contextmanager
def sent_together(session: Session) -> Iterator[None]:
    """Writes executed inside the block, whose results nobody reads, go to
    PostgreSQL in one round trip, sent as the block ends (psycopg's pipeline
    mode). Elsewhere they simply run in turn. No SELECT and no RETURNING
    inside: SQLAlchemy reads a result's columns at once, before a pipeline
    has them (and it adds RETURNING to a single-row INSERT whose key the
    database generates: give the key, or insert several rows). An error any
    of them meets is raised as SQLAlchemy's, as it would be alone."""
    conn = session.connection()
    if conn.dialect.name != "postgresql":
        yield
        return
    # Pending ORM changes go first: their flush (autoflush, inside) would read
    # new keys back.
    session.flush()
    raw = conn.connection.driver_connection
    try:
        with raw.pipeline():
            yield
    except raw.Error as err:  # the driver's, raised where the results came back
        raise exc.DBAPIError.instance(None, None, err, raw.Error) from err


@functools.cache  # one shape per statement in the code
def _row_shape(names: tuple[str, ...]) -> Any:
    return namedtuple("Row", names, rename=True)  # noqa: PYI024


def postgres_connect_args() -> dict[str, Any]:
    return {
        "connect_timeout": CONNECT_TIMEOUT_SECONDS,
        # A connection whose peer vanished (a partition, a failover) is found
        # dead by the kernel within ~25 s instead of hours, so a request
        # blocked on it ends and the pool drops it.
        "keepalives": 1,
        "keepalives_idle": 10,
        "keepalives_interval": 5,
        "keepalives_count": 3,
    }


# SQLAlchemy's pool_pre_ping asks the server at every checkout, a round trip
# of its own: on the hot paths (a co-editing update, a feed read) it was one
# of a handful per call. A connection back in the pool less than this long
# ago is handed out unasked (HikariCP's "alive bypass window"); one idle for
# longer, which a database restart or failover may have cut, is pinged and
# replaced if dead, as pool_pre_ping would.
PING_IDLE_SECONDS = 1.0


def _ping_when_idle(engine: Engine) -> None:
    @event.listens_for(engine, "checkin")
    def _checked_in(_dbapi: Any, record: Any) -> None:
        record.info["jointlab_idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _checked_out(dbapi: Any, record: Any, _proxy: Any) -> None:
        since = record.info.get("jointlab_idle_since")
        if since is None or time.monotonic() - since < PING_IDLE_SECONDS:
            return  # just opened, or just used
        try:
            alive = engine.dialect.do_ping(dbapi)
        except Exception as err:
            raise exc.DisconnectionError("the pooled connection is gone") from err
        if not alive:
            raise exc.DisconnectionError("the pooled connection is gone")


class Database:
    """Owns the engine and the session factory of one app."""

    def __init__(self) -> None:
        self.engine: Engine | None = None
        self._factory: sessionmaker[Session] | None = None
        # SQLite has one writer; this serialises our writers inside the single
        # process the embedded default runs in (see `transaction`).
        self.sqlite_write_lock = threading.RLock()

    def configure(self, url: str) -> None:
        if url.startswith("sqlite"):
            engine = create_engine(
                url,
                connect_args={"check_same_thread": False, "timeout": 30},
                pool_size=20,
                max_overflow=20,
            )
            _configure_sqlite(engine)
        else:
            engine = create_engine(
                url,
                pool_size=10,
                max_overflow=30,
                pool_timeout=POOL_TIMEOUT_SECONDS,
                connect_args=postgres_connect_args(),
            )
            _ping_when_idle(engine)
        self.engine = engine
        self._factory = sessionmaker(engine, expire_on_commit=False)

    @property
    def is_sqlite(self) -> bool:
        return self.engine is not None and self.engine.dialect.name == "sqlite"

    def session(self) -> Session:
        if self._factory is None:
            raise RuntimeError("database is not configured")
        return self._factory()

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """Commit on success, roll back on error, always close."""
        # On SQLite a writer that finds the write lock taken sleeps in SQLite's
        # busy handler (up to 100 ms a try) long after the lock is free; with
        # a few concurrent writers that sleeping was most of a request's time.
        # Queueing on a lock in the process hands the database over at once.
        lock = self.sqlite_write_lock if self.is_sqlite else None
        if lock is not None:
            lock.acquire()

        session = self.session()
        # What waits for the commit (jobs, publishes) runs once the session
        # is closed and the write lock released, not while other writers wait.
        session.info[after_commit.DEFER] = True
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()
            if lock is not None:
                lock.release()
        after_commit.run_due(session)

    @contextmanager
    def reading(self) -> Iterator[Session]:
        # close() ends the transaction without expiring what was loaded, so
        # the objects stay usable (detached) after the block.
        session = self.session()
        if self.is_sqlite:
            # Readers never write: a deferred BEGIN lets them run beside the
            # writer (WAL) instead of queueing for the write lock.
            session.connection(execution_options={"jointlab_read_only": True})
        try:
            yield session
        finally:
            session.close()

    @contextmanager
    def lookup(self) -> Iterator[Session]:
        """A reading session for one statement, such as the credential every
        request presents. On PostgreSQL it runs outside a transaction: one
        round trip, not three (BEGIN, the statement, ROLLBACK; under load
        each costs a turn of the event loop). A read that must see its
        statements agree, or that locks, takes `reading`."""
        if self.is_sqlite:
            with self.reading() as session:
                yield session
            return
        session = self.session()
        session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})
        try:
            yield session
        finally:
            session.close()

    def dispose(self) -> None:
        if self.engine is not None:
            self.engine.dispose()


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy, not pysqlite, decide when transactions begin, so that
        # a write transaction can start with BEGIN IMMEDIATE (below).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        # IMMEDIATE takes the write lock up front: two deferred transactions that
        # both read then write would otherwise fail with SQLITE_BUSY_SNAPSHOT.
        read_only = conn.get_execution_options().get("jointlab_read_only")
        conn.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")


db = Database()
