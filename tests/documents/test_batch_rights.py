"""The co-editing writer reads a batch's checks once for all its updates
(documents/writer.py), as of the transaction that stores them: rights that
changed while an update waited are the rights it is judged by."""

from __future__ import annotations

from sqlalchemy import select

from tests.conftest import wait_for
from tests.documents.peer import Peer
from tests.documents.test_documents_api import statement_of
from tests.documents.test_group_commit import (
    answer_document,
    commits_storing_updates,
    marked_updates,
    send_while_held,
    stored_text,
)
from workspace.auth.models import ApiToken
from workspace.db import db, utcnow
from workspace.spaces.models import Membership


def test_one_batch_reads_each_callers_rights_as_of_its_commit(make, api, live_server):
    """An editor demoted and a token revoked while their updates waited are
    refused, each alone; the others' updates, on two documents, are stored
    in that one commit and reach the other editors."""
    ws = make.workspace()
    first, second = statement_of(api, ws), answer_document(api, ws)
    demoted, revoked = make.user(), make.user()
    make.add_member(ws, demoted, "editor")
    make.add_member(ws, revoked, "editor")
    cast = [
        (ws.owner, first["id"]),
        (revoked, first["id"]),
        (ws.partner, second["id"]),
        (demoted, second["id"]),
        (ws.owner, second["id"]),
    ]
    peers = [Peer(make.token(user), doc_id, f"p{i}") for i, (user, doc_id) in enumerate(cast)]
    for peer in peers:
        assert peer.connect(live_server.url)["ok"] is True
    markers, updates = marked_updates(peers)

    def change_rights() -> None:
        # In the database only, as another process would.
        with db.transaction() as s:
            for row in s.scalars(select(ApiToken).where(ApiToken.user_id == revoked.id)):
                row.revoked_at = utcnow()
            s.execute(
                Membership.__table__.update()
                .where(Membership.user_id == demoted.id, Membership.workspace_id == ws.id)
                .values(role="viewer")
            )

    with commits_storing_updates() as commits:
        acks = send_while_held([first["id"], second["id"]], peers, updates, meanwhile=change_rights)

    assert [a["ok"] for a in acks] == [True, False, True, False, True]
    assert acks[1]["error"]["code"] == "invalid_token"
    assert acks[3]["error"]["code"] == "forbidden"
    assert commits == [3]
    texts = {doc_id: stored_text(doc_id) for doc_id in (first["id"], second["id"])}
    for i, (_, doc_id) in enumerate(cast):
        assert (markers[i] in texts[doc_id]) is (i not in (1, 3))
    for i in (0, 2, 4):  # the others see what was stored, and only that
        wait_for(lambda i=i: peers[i].text() == texts[cast[i][1]])
    for peer in peers:
        peer.disconnect()
