"""The HTTP peer: a bare Flask app on the same embedded Werkzeug server
that answers each route with the bytes JointLab answered it with, recorded
once. What JointLab adds over it is the dashboard's own work (session,
queries, shaping, dumping).

    python bench/dashboard/bare_flask.py PORT RECORDED_DIR
"""

from __future__ import annotations

import sys
from pathlib import Path

from flask import Flask, Response


def create(recorded: Path) -> Flask:
    app = Flask(__name__)
    bodies = {p.stem: (p.read_bytes(), p.suffix) for p in recorded.iterdir()}

    @app.get("/r/<name>")
    def replay(name: str) -> Response:
        body, suffix = bodies[name]
        kind = "application/json" if suffix == ".json" else "text/html; charset=utf-8"
        return Response(body, mimetype=kind)

    @app.get("/healthz")
    def health() -> str:
        return "ok"

    return app


if __name__ == "__main__":
    create(Path(sys.argv[2])).run(host="127.0.0.1", port=int(sys.argv[1]), threaded=True)
