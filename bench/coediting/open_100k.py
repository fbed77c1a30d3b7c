"""Time to open a document with 100,000 stored updates: before compaction
(snapshot + 100k rows), the compaction itself, and after it.
Usage: python bench/coediting/open_100k.py        (fresh SQLite in a temp dir)
       python bench/coediting/open_100k.py --pg   (fresh PostgreSQL database
       jl_bench_coedit_open on 127.0.0.1:5432, recreated on every run)"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time

from pycrdt import Text

N = 100_000


def main() -> None:
    tmp = tempfile.mkdtemp(prefix="jl-open-")
    url = f"sqlite:///{tmp}/b.db"
    if "--pg" in sys.argv:
        url = _fresh_pg()
    os.environ.update({"INSTANCE_PATH": tmp, "DATABASE_URL": url, "JOINTLAB_NO_DEMO": "1"})
    os.environ.pop("REDIS_URL", None)
    from workspace.app import create_app
    from workspace.db import db
    from workspace.documents import crdt, store
    from workspace.documents.models import DocumentUpdate

    create_app()
    import setup_python  # noqa: F401  (same directory)

    ids = json.loads(_capture(setup_python.main))
    doc_id = ids["document_id"]
    with db.reading() as s:
        doc = store.load_doc(s, doc_id)
    updates: list[bytes] = []
    doc.observe(lambda e: updates.append(e.update))
    text = doc.get(crdt.TEXT_NAME, type=Text)
    front: list[str] = []  # what is at the start, to delete whole characters
    for i in range(N):  # typing: one character per update, some deletions
        if i % 7 == 6 and front:
            del text[0 : len(front.pop().encode())]  # pycrdt counts UTF-8 bytes
        else:
            char = "字" if i % 2 else "a"
            text.insert(0, char)
            front.append(char)
    with db.transaction() as s:
        s.bulk_insert_mappings(
            DocumentUpdate,
            [  # type: ignore[arg-type]
                {
                    "document_id": doc_id,
                    "data": u,
                    "user_id": None,
                    "created_at": __import__("workspace.db", fromlist=["utcnow"]).utcnow(),
                }
                for u in updates
            ],
        )
    expected = str(text)
    t0 = time.perf_counter()
    with db.reading() as s:
        opened = crdt.text_str(store.load_doc(s, doc_id))
    before = time.perf_counter() - t0
    assert opened == expected
    t0 = time.perf_counter()
    folded = store.compact(doc_id)
    compaction = time.perf_counter() - t0
    t0 = time.perf_counter()
    with db.reading() as s:
        opened = crdt.text_str(store.load_doc(s, doc_id))
        snapshot = len(store.load_states(s, doc_id)[0])
    after = time.perf_counter() - t0
    assert opened == expected
    print(
        json.dumps(
            {
                "database": url.split(":")[0],
                "updates": len(updates),
                "folded": folded,
                "open_before_compaction_s": round(before, 3),
                "compaction_s": round(compaction, 3),
                "open_after_compaction_s": round(after, 4),
                "snapshot_bytes": snapshot,
                "text_chars": len(expected),
            }
        )
    )


PG_DB = "jl_bench_coedit_open"


def _fresh_pg() -> str:
    from sqlalchemy import create_engine, text

    from workspace.migrations import upgrade

    engine = create_engine(
        "postgresql+psycopg://postgres@127.0.0.1:5432/postgres", isolation_level="AUTOCOMMIT"
    )
    with engine.connect() as conn:
        conn.execute(text(f"DROP DATABASE IF EXISTS {PG_DB} WITH (FORCE)"))
        conn.execute(text(f"CREATE DATABASE {PG_DB}"))
    engine.dispose()
    url = f"postgresql+psycopg://postgres@127.0.0.1:5432/{PG_DB}"
    upgrade(url)
    return url


def _capture(func) -> str:  # noqa: ANN001
    import contextlib
    import io

    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        func()
    return out.getvalue()


if __name__ == "__main__":
    main()
