"""Relays between web processes ride Redis pub/sub, which keeps nothing:
after Redis restarts, each process re-sends its document rooms what was
stored meanwhile, so an editor misses no edit committed elsewhere (the fault
run tests/faults/test_redis_restart.py does it with two web processes)."""

from __future__ import annotations

import shutil

import pytest

from tests.conftest import LiveServer, wait_for
from tests.documents.test_documents_api import statement_of
from tests.faults.processes import Redis
from tests.foundation.live_access import Conn, insert_update

pytestmark = pytest.mark.skipif(
    shutil.which("redis-server") is None, reason="needs the redis-server binary"
)


def test_after_a_redis_restart_open_documents_get_what_was_stored_meanwhile(settings):
    from jobs.queue import jobs
    from tests.conftest import Api, Make
    from workspace import serving
    from workspace.app import create_app
    from workspace.db import db
    from workspace.documents import crdt, sync

    redis_server = Redis()
    redis_server.start()
    app = create_app(settings.with_overrides(redis_url=redis_server.url))
    serving.start(app, ticker=False)
    server = LiveServer(app).start()
    conn = None
    try:
        make = Make()
        ws = make.workspace()
        doc = statement_of(Api(app.test_client(), make), ws)
        conn = Conn(server.url, token=make.token(ws.owner))
        assert conn.call("doc:join", {"document_id": doc["id"]})["ok"]
        redis_server.stop(kill=True)
        # Stored by "another process" while Redis is away: its relay is lost.
        with app.app_context():
            sync.accept_update(ws.partner, doc["id"], insert_update("from elsewhere "))
        redis_server.start()

        def has_it() -> bool:
            got = crdt.new_doc(*[u["update"] for u in conn.updates])
            return "from elsewhere" in str(crdt.text_of(got))

        wait_for(has_it, timeout=15)
    finally:
        if conn is not None:
            conn.close()
        server.stop()
        serving.stop(app)
        jobs.backend.shutdown()
        db.dispose()
        redis_server.stop(kill=True)
