"""The reads a measurement group starts with go out together (one round trip
on PostgreSQL) and give exactly what reading them one by one gives: a
re-sent batch is answered as the first time, the results count every reading."""

from __future__ import annotations

from datetime import UTC

from sqlalchemy import select

from tests.trials.factory import add_indicators, measure, trial


def test_reads_together_equal_reads_one_by_one(app, make, api) -> None:
    from workspace.db import db, select_together
    from workspace.trials.fold import stats_query
    from workspace.trials.models import Indicator, MeasurementBatch

    ws = make.workspace()
    add_indicators(api, ws)
    t = trial(api, ws, "running")
    items = [
        {"metric": "porosity_scrap_pct", "value": 1.2, "client_key": "shift-1"},
        {"metric": "tensile_mpa", "value": 251.0, "client_key": "shift-1"},
    ]
    first = measure(api, ws, t["id"], items)
    assert first.status_code == 201
    later = measure(api, ws, t["id"], [{"metric": "porosity_scrap_pct", "value": 1.4}])
    assert later.status_code == 201

    stmts = [
        select(Indicator.id, Indicator.key, Indicator.target).where(
            Indicator.workspace_id == ws.id
        ),
        stats_query(t["id"]),
        select(MeasurementBatch.client_key, MeasurementBatch.response).where(
            MeasurementBatch.client_key.in_({"shift-1", "shift-2"})
        ),
    ]
    with db.reading() as s:
        alone = [s.execute(stmt).all() for stmt in stmts]
        together = select_together(s, *stmts)
    assert [[tuple(r) for r in rows] for rows in together] == [
        [tuple(r) for r in rows] for rows in alone
    ]
    indicators, stats, answers = together
    assert sorted(i.key for i in indicators) == ["porosity_scrap_pct", "tensile_mpa"]
    porosity = next(r for r in stats if r.metric == "porosity_scrap_pct")
    assert porosity.count == 2 and porosity.last_value == 1.4
    assert porosity.last_recorded_at.tzinfo == UTC
    [(key, response)] = answers
    assert key == "shift-1" and response["count"] == 2 and response["client_key"] == "shift-1"

    # The writer reads them this way: a re-sent batch is answered as the first time.
    again = measure(api, ws, t["id"], items)
    assert again.status_code == 201 and again.headers["Idempotent-Replayed"] == "true"
    assert again.get_json() == first.get_json()


def test_writes_sent_together_fail_as_they_would_alone_and_store_nothing(app, make, api) -> None:
    """A write refused inside db.sent_together (PostgreSQL's pipeline) is the
    error SQLAlchemy would raise for it alone, and the transaction keeps
    nothing of the block: a duplicate client key is an IntegrityError."""
    import pytest
    from sqlalchemy import exc, func, insert

    from workspace.db import db, sent_together
    from workspace.trials.models import MeasurementBatch

    ws = make.workspace()
    add_indicators(api, ws)
    t = trial(api, ws, "running")
    first = measure(
        api, ws, t["id"], [{"metric": "porosity_scrap_pct", "value": 1.2, "client_key": "k-1"}]
    )
    assert first.status_code == 201
    row = {"trial_id": t["id"], "count": 1, "response": {}}
    with pytest.raises(exc.IntegrityError), db.transaction() as s, sent_together(s):
        # Two rows each: SQLAlchemy reads a lone row's new id back (RETURNING).
        s.execute(insert(MeasurementBatch.__table__), [row | {"client_key": k} for k in "ab"])
        s.execute(
            insert(MeasurementBatch.__table__), [row | {"client_key": k} for k in ("c", "k-1")]
        )
    with db.reading() as s:
        keys = s.scalars(
            select(MeasurementBatch.client_key).where(MeasurementBatch.trial_id == t["id"])
        ).all()
        assert keys == ["k-1"]
        assert s.scalar(select(func.count()).select_from(MeasurementBatch)) >= 1
