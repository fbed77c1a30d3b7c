"""Benchmark server for bench/files/run.py (not run by hand): the JointLab app
with a seeded workspace and running trial (bench/measurements' seeding),
served by gevent's WSGI server, patched first, as `python wsgi.py` does. Prints one
JSON line (port, ids, a read/write token), then serves until killed."""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench/measurements"))
if __name__ == "__main__":
    # As `python wsgi.py`: gevent, patched before anything else is imported.
    from workspace import cooperative

    cooperative.patch()

import json  # noqa: E402


def main() -> None:
    from seeding import seeded_app  # bench/measurements/seeding.py

    from workspace.auth.models import User
    from workspace.auth.tokens import create_token
    from workspace.db import db
    from workspace.server import make_server

    app, info, _env = seeded_app()
    with app.app_context(), db.transaction() as s:
        owner = s.query(User).filter_by(email="o@bench.test").one()
        _r, info["token"] = create_token(s, owner, "bench", ["read", "write", "measurements:write"])
    server = make_server(app, "127.0.0.1", 0, 8 << 20, access_log=False)
    server.start()
    info["port"] = server.server_port
    print(json.dumps(info), flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
