"""`GET /healthz`: can we reach the database and Redis, and how deep are the queues."""

from __future__ import annotations

from typing import Any

from flask import current_app, jsonify
from sqlalchemy import text

from jobs.outbox import pending_counts
from jobs.queue import jobs
from workspace.db import db
from workspace.house import current
from workspace.http import api


def collect() -> tuple[dict[str, Any], bool]:
    report: dict[str, Any] = {}
    healthy = True
    try:
        with db.reading() as s:
            s.execute(text("SELECT 1"))
            report["database"] = {"ok": True, "backend": db.engine.dialect.name}
            report["outbox_lag"] = pending_counts(s)
            # Capabilities add their own (failing webhook endpoints, …).
            for section in current().health:
                report.update(section(s))
    except Exception as err:
        healthy = False
        report["database"] = {"ok": False, "error": str(err).splitlines()[0]}
    redis = current_app.extensions.get("jointlab.redis")
    if redis is None:
        report["redis"] = {"ok": True, "backend": "in-process"}
    else:
        try:
            redis.ping()
            report["redis"] = {"ok": True, "backend": "redis"}
        except Exception as err:
            healthy = False
            report["redis"] = {"ok": False, "error": str(err).splitlines()[0]}
    try:
        report["queues"] = jobs.depth()
    except Exception as err:
        report["queues"] = {"error": str(err).splitlines()[0]}
    report["status"] = "ok" if healthy else "degraded"
    return report, healthy


def healthz() -> Any:
    report, healthy = collect()
    return jsonify(report), 200 if healthy else 503


def register(app: Any) -> None:
    app.add_url_rule("/healthz", "healthz", healthz)


# Also under /api/v1 for clients that only know the API prefix.
api.add_url_rule("/healthz", "api_healthz", healthz)
