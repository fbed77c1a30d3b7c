"""Make a fresh JointLab database with one workspace and print, as JSON, a
token, the problem statement's id and the ids of EXTRA answer documents (each
holding the statement template's text), for the load and memory generators.
Usage: INSTANCE_PATH=... DATABASE_URL=... python bench/coediting/setup_python.py [EXTRA]"""

from __future__ import annotations

import json
import sys

from sqlalchemy import select
from sqlalchemy.orm import Session

from workspace.app import create_app
from workspace.auth.models import User
from workspace.auth.service import create_user
from workspace.auth.tokens import create_token
from workspace.db import db
from workspace.documents.models import Document
from workspace.documents.service import insert_document
from workspace.documents.template import statement_template
from workspace.organizations.models import Organization
from workspace.spaces import service
from workspace.spaces.models import Workspace


def bench_workspace(s: Session) -> tuple[Organization, User, Workspace]:
    """An enterprise and a university, a program manager, and a workspace
    between them (members are the caller's): every co-editing bench starts so."""
    ent = Organization(name="Bench Enterprise", kind="enterprise")
    uni = Organization(name="Bench University", kind="university")
    s.add_all([ent, uni])
    s.flush()
    manager = create_user(
        s,
        email="m@bench.test",
        name="Manager",
        password="x" * 12,
        role="manager",
        organization_id=None,
        locale="en",
    )
    ws = service.create_workspace(
        s, manager, title="Bench", summary="", enterprise_id=ent.id, university_id=uni.id
    )
    return ent, manager, ws


def main() -> None:
    extra = int(sys.argv[1]) if len(sys.argv) > 1 and sys.argv[1].isdigit() else 0
    create_app()
    with db.transaction() as s:
        ent, manager, ws = bench_workspace(s)
        owner = create_user(
            s,
            email="o@bench.test",
            name="Owner",
            password="x" * 12,
            role="member",
            organization_id=ent.id,
            locale="en",
        )
        service.add_member(s, manager, ws.id, owner.id, "owner")
        _row, token = create_token(s, owner, "bench", ["read", "write"])
        doc_id = s.scalar(select(Document.id).where(Document.workspace_id == ws.id))
        text = statement_template(ws.title)
        extra_ids = [
            insert_document(s, owner, ws.id, "answer", f"Bench {i}", text, announce=False).id
            for i in range(extra)
        ]
    print(json.dumps({"token": token, "document_id": doc_id, "documents": extra_ids, "text": text}))


if __name__ == "__main__":
    main()
