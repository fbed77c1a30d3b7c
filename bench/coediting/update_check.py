"""What the doc:update hot path pays for refusing malformed updates and for
the storage limit, per update, in microseconds.

- `check`: crdt.validate_update (the framing walked in Python as Yjs reads it,
  then Yrs decoding all of it and failing on one byte less), split into the
  walk and the two Yrs decodes, for a keystroke of pycrdt (7-byte client ids),
  a keystroke of Yjs, a deletion, a 1 MB paste and a full state; the scratch
  document apply it replaced is shown for comparison.
- `usage`: the per-append storage accounting (one statement: lock the
  document row, sum the stored bytes), in a transaction of its own, against a
  document with 0 and with 200 stored rows; compare with a transaction that
  runs `SELECT 1` (the difference is what an update pays).

Usage: PYTHONPATH=. python bench/coediting/update_check.py        (SQLite)
       PYTHONPATH=. python bench/coediting/update_check.py --pg   (PostgreSQL,
       database jl_bench_update_check on 127.0.0.1:5432, recreated each run)"""

from __future__ import annotations

import contextlib
import json
import os
import sys
import tempfile
import time
from collections.abc import Callable

from pycrdt import Doc, get_state

REPEAT = 20_000


def per_call_us(func: Callable[[], object], repeat: int = REPEAT) -> float:
    best = float("inf")
    for _ in range(3):  # the machine is shared: keep the quietest of three
        t0 = time.perf_counter()
        for _ in range(repeat):
            func()
        best = min(best, (time.perf_counter() - t0) / repeat)
    return round(best * 1e6, 2)


def check_costs() -> dict[str, dict[str, float]]:
    from workspace.documents import crdt, update_format

    doc = crdt.doc_from_text("压铸件气孔率 Porosity 😀\n" * 40)
    # A keystroke of Yjs 13 (client ids below 2^32), printed by updates.mjs.
    yjs_key = bytes.fromhex("0101d09397d6010384d09397d60102016c00")
    samples = {
        "pycrdt keystroke": crdt.capture(doc, lambda d: crdt.text_of(d).insert(5, "字")),
        "yjs keystroke": yjs_key,
        "deletion": crdt.capture(doc, lambda d: crdt.text_of(d).__delitem__(slice(0, 3))),
        "1 MB paste": crdt.capture(doc, lambda d: crdt.text_of(d).insert(0, "压铸" * 170_000)),
        "full state": doc.get_update(),
    }
    out = {}
    for name, update in samples.items():
        crdt.validate_update(update)
        repeat = 50 if len(update) > 100_000 else REPEAT
        out[name] = {
            "bytes": len(update),
            "walk_us": per_call_us(
                lambda u=update: update_format.check_v1_update(u, crdt.TEXT_NAME), repeat
            ),
            "yrs_decodes_us": per_call_us(lambda u=update: _yrs_pair(u), repeat),
            "validate_update_us": per_call_us(lambda u=update: crdt.validate_update(u), repeat),
            "old_scratch_apply_us": per_call_us(lambda u=update: Doc().apply_update(u), repeat),
        }
    return out


def _yrs_pair(update: bytes) -> None:
    get_state(update)
    with contextlib.suppress(ValueError):
        get_state(update[:-1])


def usage_costs() -> dict[str, float]:
    import io

    import setup_python  # same directory; makes the app and a workspace

    from workspace.db import db
    from workspace.documents import crdt, store
    from workspace.documents.models import DocumentUpdate

    with contextlib.redirect_stdout(io.StringIO()) as out:
        setup_python.main()
    doc_id = json.loads(out.getvalue())["document_id"]

    def account() -> None:
        with db.transaction() as s:
            store.lock_document(s, doc_id)
            store.usage(s, doc_id)

    bare = per_call_us(lambda: _empty_transaction(db), 500)
    empty = per_call_us(account, 500)
    update = crdt.capture(store.read_doc(doc_id), lambda d: crdt.text_of(d).insert(0, "a"))
    with db.transaction() as s:
        for _ in range(store.COMPACT_AFTER):
            s.add(DocumentUpdate(document_id=doc_id, data=update, user_id=None))
    full = per_call_us(account, 500)
    return {
        "transaction_with_select_1_us": bare,
        "lock_and_usage_0_rows_us": empty,
        f"lock_and_usage_{store.COMPACT_AFTER}_rows_us": full,
    }


def _empty_transaction(db: object) -> None:
    from sqlalchemy import text

    with db.transaction() as s:  # type: ignore[attr-defined]
        s.execute(text("SELECT 1"))


def main() -> None:
    tmp = tempfile.mkdtemp(prefix="jl-check-")
    url = f"sqlite:///{tmp}/b.db"
    if "--pg" in sys.argv:
        url = _fresh_pg()
    os.environ.update({"INSTANCE_PATH": tmp, "DATABASE_URL": url, "JOINTLAB_NO_DEMO": "1"})
    os.environ.pop("REDIS_URL", None)
    sys.path.insert(0, os.path.dirname(__file__))
    print(
        json.dumps(
            {
                "database": url.split(":")[0],
                "load": os.getloadavg(),
                "check": check_costs(),
                "usage": usage_costs(),
            },
            indent=1,
        )
    )


PG_DB = "jl_bench_update_check"


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


if __name__ == "__main__":
    main()
