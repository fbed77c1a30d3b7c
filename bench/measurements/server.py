"""Benchmark servers (run by bench/measurements/run.py, not by hand).

Serves, in one process and the same way (Werkzeug's threaded server, as
`python wsgi.py` does): the JointLab app with a seeded running trial, and a
bare Flask app whose only endpoint parses the same JSON. Prints one JSON line
with the ports and tokens, then serves until killed.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import threading
from pathlib import Path

from flask import Flask, jsonify, request
from werkzeug.serving import make_server

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))


def bare_app() -> Flask:
    app = Flask("bare")

    @app.post("/parse")
    def parse():  # noqa: ANN202
        body = json.loads(request.get_data())
        return jsonify({"count": len(body) if isinstance(body, list) else 1}), 201

    return app


def seeded_app():  # noqa: ANN201
    from workspace.app import create_app
    from workspace.auth.service import create_user
    from workspace.auth.tokens import create_token
    from workspace.config import load_settings
    from workspace.db import db
    from workspace.organizations.models import Organization
    from workspace.trials import service as trials
    from workspace.workspaces import service as workspaces

    tmp = Path(tempfile.mkdtemp(prefix="jl-bench-"))
    env = {"SECRET_KEY": "bench-secret-key-0123456789", "INSTANCE_PATH": str(tmp),
           "DATABASE_URL": os.environ.get("BENCH_DATABASE_URL") or f"sqlite:///{tmp}/bench.db"}
    if os.environ.get("BENCH_REDIS_URL"):
        env["REDIS_URL"] = os.environ["BENCH_REDIS_URL"]
    app = create_app(load_settings(env))
    with db.transaction() as s:
        ent, uni = Organization(name="E", kind="enterprise"), Organization(name="U",
                                                                           kind="university")
        s.add_all([ent, uni])
        s.flush()
        manager = create_user(s, email="m@bench.test", name="M", password="benchmark-pw",
                              role="manager", organization_id=None, locale="en")
        owner = create_user(s, email="o@bench.test", name="O", password="benchmark-pw",
                            role="member", organization_id=ent.id, locale="en")
        ws = workspaces.create_workspace(s, manager, title="Bench", summary="",
                                         enterprise_id=ent.id, university_id=uni.id)
        workspaces.add_member(s, manager, ws.id, owner.id, "owner")
        for key in ("porosity_scrap_pct", "cycle_time_s", "tensile_mpa"):
            trials.create_indicator(s, owner, ws.id, {
                "key": key, "label": key, "unit": "", "comparator": "<=", "target": 100.0,
                "aggregate": "mean", "lower_spec": None, "upper_spec": None})
        trial = trials.create_trial(s, owner, ws.id, {"title": "bench", "parameters": {}})
        trials.change_status(s, owner, trial, "running")
        _r, line_token = create_token(s, owner, "line", ["measurements:write"])
        _r, read_token = create_token(s, manager, "watch", ["read"])
        info = {"workspace_id": ws.id, "trial_id": trial.id, "line_token": line_token,
                "read_token": read_token}
    return app, info


def main() -> None:
    import logging

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # no access log in the timing
    app, info = seeded_app()
    servers = {"app": make_server("127.0.0.1", 0, app, threaded=True),
               "bare": make_server("127.0.0.1", 0, bare_app(), threaded=True)}
    for server in servers.values():
        threading.Thread(target=server.serve_forever, daemon=True).start()
    info.update({f"{name}_port": server.server_port for name, server in servers.items()})
    print(json.dumps(info), flush=True)
    threading.Event().wait()


if __name__ == "__main__":
    main()
