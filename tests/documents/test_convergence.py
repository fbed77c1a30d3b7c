"""Property: whatever peers do concurrently (edit, drop off, edit offline,
come back) and even across a server restart, everyone ends with one text,
the text REST returns and the database holds."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import LiveServer, wait_for
from tests.documents.peer import Peer
from tests.documents.test_documents_api import statement_of
from workspace.documents import crdt, store
from workspace.documents.live import registry

# Timing-sensitive (peers converge within 20 s): `tests/run` runs this module
# alone, after the parallel part.
pytestmark = pytest.mark.serial

PEERS = 3
CHUNKS = st.text(alphabet=st.sampled_from(list("ab Z\n中文气孔😀👍🏽")), min_size=1, max_size=4)
OPS = st.lists(
    st.tuples(
        st.integers(0, PEERS - 1),
        st.sampled_from(["insert", "insert", "insert", "delete", "drop", "rejoin"]),
        st.floats(0, 1),
        CHUNKS,
    ),
    min_size=8,
    max_size=30,
)


@settings(
    max_examples=6,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(ops=OPS, restart_frac=st.floats(0, 1))
def test_peers_converge_through_drops_offline_edits_and_a_restart(
    app, make, api, ops, restart_frac
):
    editor = make.user(side="enterprise", name="Zhao")
    ws = make.workspace(members={"editor": editor})
    doc = statement_of(api, ws)
    server = LiveServer(app).start()
    restart_at = min(int(restart_frac * len(ops)), len(ops) - 1)  # always once
    peers = [
        Peer(make.token(user), doc["id"], f"peer{i}")
        for i, user in enumerate((ws.owner, ws.partner, editor))
    ]
    try:
        for peer in peers:
            peer.connect(server.url)
        for step, (who, action, where, chunk) in enumerate(ops):
            if step == restart_at:
                server = restart(server, peers, app)
            peer = peers[who]
            length = len(peer.text())
            if action == "insert":
                peer.insert(round(where * length), chunk)
            elif action == "delete" and length:
                peer.delete(min(round(where * length), length - 1), len(chunk))
            elif action == "drop" and peer.online:
                peer.disconnect()
            elif action == "rejoin" and not peer.online:
                peer.connect(server.url)
        for peer in peers:
            if not peer.online:
                peer.connect(server.url)
        for peer in peers:
            peer.wait_acked()
            assert peer.errors == []
        wait_for(lambda: len({p.text() for p in peers}) == 1, timeout=20)
        final = peers[0].text()
        assert api.as_(ws.partner).get(f"/documents/{doc['id']}").get_json()["text"] == final
        assert crdt.text_str(store.read_doc(doc["id"])) == final
    finally:
        for peer in peers:
            peer.disconnect()
        server.stop()


def restart(server: LiveServer, peers: list[Peer], app: object) -> LiveServer:
    """The web process goes away (connections drop, memory is lost) and a new
    one starts; connected peers reconnect to it, as Socket.IO clients do."""
    online = [p for p in peers if p.online]
    for peer in online:
        peer.disconnect()
    server.stop()
    registry.reset()
    fresh = LiveServer(app).start()
    for peer in online:
        peer.connect(fresh.url)
    return fresh
