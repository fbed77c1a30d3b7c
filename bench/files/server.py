"""Benchmark server for bench/files/run.py (not run by hand): the JointLab app
with a seeded workspace and running trial (bench/measurements' seeding),
served by Werkzeug's threaded server as `python wsgi.py` does. Prints one
JSON line (port, ids, a read/write token), then serves until killed."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from werkzeug.serving import make_server

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench/measurements"))


def main() -> None:
    from server import seeded_app  # bench/measurements/server.py

    from workspace.auth.models import User
    from workspace.auth.tokens import create_token
    from workspace.db import db

    app, info, _env = seeded_app()
    with app.app_context(), db.transaction() as s:
        owner = s.query(User).filter_by(email="o@bench.test").one()
        _r, info["token"] = create_token(s, owner, "bench", ["read", "write",
                                                             "measurements:write"])
    server = make_server("127.0.0.1", 0, app, threaded=True)
    info["port"] = server.server_port
    print(json.dumps(info), flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
