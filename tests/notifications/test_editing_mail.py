"""Someone who asked for them gets renames and deletes by mail, in their
language; nobody else does (they are off by default)."""

from __future__ import annotations

from tests.conftest import wait_for
from tests.documents.test_documents_api import statement_of


def test_a_rename_and_a_delete_mail_those_who_chose_them(ready, make, api, inbox):
    zh = make.user(side="university", locale="zh-CN", name="李教授")
    ws = make.workspace(members={"editor": zh})
    assert (
        api.as_(zh)
        .put(
            "/me/notification-preferences",
            json={"events": {"document.renamed": "immediate", "milestone.deleted": "immediate"}},
        )
        .status_code
        == 200
    )
    doc = statement_of(api, ws)
    api.as_(ws.owner).patch(f"/documents/{doc['id']}", json={"title": "气孔问题"})
    m = (
        api.as_(ws.owner)
        .post(f"/workspaces/{ws.id}/milestones", json={"title": "小批量试产"})
        .get_json()
    )
    api.as_(ws.owner).delete(f"/milestones/{m['id']}")
    mails = wait_for(lambda: len(inbox.to(zh.email)) == 2 and inbox.to(zh.email), timeout=15)
    subjects = sorted(x["Subject"] for x in mails)
    renamed = f"将文档《{doc['title']}》重命名为《气孔问题》"
    assert subjects == [
        f"[{ws.title}] Enterprise Lead 删除了里程碑 小批量试产",
        f"[{ws.title}] Enterprise Lead {renamed}",
    ]
    deleted = next(x for x in mails if "小批量试产" in x["Subject"])
    text = deleted.get_body(("plain",)).get_content()
    assert f"https://jointlab.example.cn/workspaces/{ws.id}" in text
    assert f"#milestone-{m['id']}" not in text  # nothing left to point at
    assert inbox.to(ws.partner.email) == []  # off by default
