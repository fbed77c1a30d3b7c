"""Make a fresh JointLab database with one workspace and print, as JSON, a
token and the problem statement's id for the load generator.
Usage: INSTANCE_PATH=... DATABASE_URL=... python bench/coediting/setup_python.py"""

from __future__ import annotations

import json

from sqlalchemy import select

from workspace.app import create_app
from workspace.auth.service import create_user
from workspace.auth.tokens import create_token
from workspace.db import db
from workspace.documents.models import Document
from workspace.organizations.models import Organization
from workspace.workspaces import service


def main() -> None:
    create_app()
    with db.transaction() as s:
        ent = Organization(name="Bench Enterprise", kind="enterprise")
        uni = Organization(name="Bench University", kind="university")
        s.add_all([ent, uni])
        s.flush()
        manager = create_user(s, email="m@bench.test", name="Manager", password="x" * 12,
                              role="manager", organization_id=None, locale="en")
        owner = create_user(s, email="o@bench.test", name="Owner", password="x" * 12,
                            role="member", organization_id=ent.id, locale="en")
        ws = service.create_workspace(s, manager, title="Bench", summary="",
                                      enterprise_id=ent.id, university_id=uni.id)
        service.add_member(s, manager, ws.id, owner.id, "owner")
        _row, token = create_token(s, owner, "bench", ["read", "write"])
        doc_id = s.scalar(select(Document.id).where(Document.workspace_id == ws.id))
    print(json.dumps({"token": token, "document_id": doc_id}))


if __name__ == "__main__":
    main()
