"""The benchmark's bare ingestion app: one Flask endpoint that parses the same
JSON as JointLab's measurements API and stores the rows in one transaction
(COPY on PostgreSQL, executemany on SQLite), into a table shaped and indexed
as `measurements`. Served next to the app by server.py."""

from __future__ import annotations

import json

from flask import Flask, jsonify, request

BARE_TABLE = "bare_measurements"


def bare_app(url: str, trial_id: int) -> Flask:
    """Parse the same JSON and store its rows in one transaction: the floor
    any ingestion endpoint pays (issue 14's peer)."""
    import queue
    from datetime import UTC, datetime

    app = Flask("bare")
    postgres = url.startswith("postgresql")
    pool: queue.SimpleQueue = queue.SimpleQueue()

    def connection():  # noqa: ANN202
        try:
            return pool.get_nowait()
        except queue.Empty:
            if postgres:
                import psycopg

                return psycopg.connect(url.replace("postgresql+psycopg", "postgresql"))
            import sqlite3

            return sqlite3.connect(
                url.removeprefix("sqlite:///"), timeout=30, check_same_thread=False
            )

    @app.post("/parse")
    def parse():  # noqa: ANN202
        body = json.loads(request.get_data())
        items = body if isinstance(body, list) else [body]
        now = datetime.now(UTC)
        rows = [
            (trial_id, item["metric"], float(item["value"]), now, item.get("source"))
            for item in items
        ]
        conn = connection()
        try:
            if postgres:
                with (
                    conn.transaction(),
                    conn.cursor() as cur,
                    cur.copy(
                        f"COPY {BARE_TABLE} (trial_id, metric, value, recorded_at, source) "
                        "FROM STDIN"
                    ) as copy,
                ):
                    for row in rows:
                        copy.write_row(row)
            else:
                with conn:
                    conn.executemany(
                        f"INSERT INTO {BARE_TABLE} (trial_id, metric, value, recorded_at, "
                        "source) VALUES (?, ?, ?, ?, ?)",
                        [
                            (t, m, v, at.strftime("%Y-%m-%d %H:%M:%S.%f"), src)
                            for t, m, v, at, src in rows
                        ],
                    )
        finally:
            pool.put(conn)
        return jsonify({"count": len(rows)}), 201

    return app


def bare_table():  # noqa: ANN201
    """Shaped and indexed as `measurements`, without its foreign keys."""
    from sqlalchemy import Column, Index, MetaData, Table

    from workspace.trials.models import Measurement

    table = Table(
        BARE_TABLE,
        MetaData(),
        *(
            Column(c.name, c.type, primary_key=c.primary_key, nullable=c.nullable)
            for c in Measurement.__table__.columns
        ),
    )
    Index(
        f"ix_{BARE_TABLE}_trial_metric",
        table.c.trial_id,
        table.c.metric,
        table.c.recorded_at,
        table.c.id,
    )
    return table


def create_bare_table(url: str) -> None:
    from sqlalchemy import create_engine

    engine = create_engine(url)
    table = bare_table()
    table.drop(engine, checkfirst=True)
    table.create(engine)
    engine.dispose()
