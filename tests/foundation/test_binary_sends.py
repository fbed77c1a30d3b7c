"""A binary event is several frames (a header, then its attachments): two
threads sending binary to one client at once must not interleave them."""

from __future__ import annotations

import sys
import threading

from tests.conftest import wait_for
from tests.foundation.live_access import Conn


def test_binary_events_from_many_threads_arrive_whole(app, live_server, make):
    from realtime import socketio

    user = make.user()
    conn = Conn(live_server.url, token=make.token(user))
    try:
        sid = next(iter(socketio.server.manager.rooms["/"][None]))
        threads, each = 8, 100

        def send(n: int) -> None:
            for i in range(each):
                key = n * 1000 + i
                # Two attachments each, of distinct lengths: a torn event shows.
                socketio.emit(
                    "doc:update",
                    {
                        "document_id": key,
                        "update": bytes([n]) * (i + 1),
                        "extra": str(key).encode(),
                    },
                    to=sid,
                )

        workers = [threading.Thread(target=send, args=(n,)) for n in range(threads)]
        # Switch threads as often as possible: two sends racing is then the
        # rule, not a once-a-day accident.
        interval = sys.getswitchinterval()
        sys.setswitchinterval(1e-6)
        try:
            for w in workers:
                w.start()
            for w in workers:
                w.join()
        finally:
            sys.setswitchinterval(interval)
        wait_for(lambda: len(conn.updates) >= threads * each, timeout=10)
        for got in conn.updates:
            n, i = divmod(got["document_id"], 1000)
            assert got["update"] == bytes([n]) * (i + 1), got
            assert got["extra"] == str(got["document_id"]).encode(), got
    finally:
        conn.close()
