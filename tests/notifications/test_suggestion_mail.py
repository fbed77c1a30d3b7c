"""Suggested edits and mail (SPEC v1.1): a new suggestion tells the owners
and editors (not viewers, not its author), once a sitting; a decision tells
its author (not the one who decided); every mail carries the suggested
change and links to it. Mail is read as received by a real SMTP server (aiosmtpd)."""

from __future__ import annotations

from tests.conftest import wait_for
from tests.documents.test_documents_api import statement_of


def _plain(mail) -> str:
    return mail.get_body(("plain",)).get_content().replace("\r\n", "\n")


def test_owners_hear_of_a_suggestion_and_its_author_of_the_decision(ready, make, api, inbox):
    reviewer = make.user(side="university", locale="zh-CN", name="李晓华")
    editor = make.user(side="enterprise", name="Zhao Editor")
    bystander = make.user(name="Other Viewer")
    ws = make.workspace(members={"viewer": reviewer, "editor": editor, "viewer2": bystander})
    doc = statement_of(api, ws)
    api.as_(ws.owner).put(f"/documents/{doc['id']}/text", json={"text": "Yield 95%\n"})
    made = (
        api.as_(reviewer)
        .post(
            f"/documents/{doc['id']}/suggestions",
            json={"anchor": {"from": 6, "to": 9}, "text": "98%", "note": "客户要求"},
        )
        .get_json()
    )
    for person in (ws.owner, ws.partner, editor):
        mail = wait_for(lambda p=person: inbox.to(p.email), timeout=20)[0]
        text = _plain(mail)
        assert "> - 95%" in text and "> + 98%" in text and "> 客户要求" in text
        assert f"/documents/{doc['id']}#suggestion-{made['id']}" in text
        assert "suggested an edit" in text and "can accept suggested edits" in text

    api.as_(editor).post(f"/suggestions/{made['id']}/accept")
    zh = wait_for(lambda: inbox.to(reviewer.email), timeout=20)[0]
    text = _plain(zh)
    assert "接受了《" in text and "> + 98%" in text and "这条修改建议是你提出的" in text
    # A second suggestion in the same sitting tells nobody anew; nobody else hears of the
    # decision, and a viewer heard of nothing (defaults).
    again = (
        api.as_(reviewer)
        .post(
            f"/documents/{doc['id']}/suggestions",
            json={"anchor": {"from": 0, "to": 5}, "text": "良品率"},
        )
        .get_json()
    )
    api.as_(editor).post(f"/suggestions/{again['id']}/reject")
    # The rejection's mail is the barrier: the events before it have been handled.
    wait_for(lambda: len(inbox.to(reviewer.email)) == 2, timeout=20)
    assert "拒绝了《" in _plain(inbox.to(reviewer.email)[1])
    for person in (ws.owner, ws.partner, editor):
        assert len(inbox.to(person.email)) == 1
    assert inbox.to(bystander.email) == []
