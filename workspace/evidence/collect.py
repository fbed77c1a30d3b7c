"""What an acceptance evidence pack states, gathered as plain data.

The same data is hashed (SHA-256 of its canonical JSON, printed in the PDF
and stored) and rendered, so anyone holding the data can check the hash.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from workspace.auth.models import User
from workspace.documents.models import Document, DocumentVersion, VersionApproval
from workspace.events.models import Event
from workspace.evidence.models import MilestoneTranche
from workspace.fields import iso_utc
from workspace.files.service import files_attached
from workspace.milestones.models import Milestone
from workspace.spaces.models import Workspace
from workspace.trials.models import Indicator, Measurement, MetricStats, Trial

MAX_HAND_TRIALS = 10
MAX_MEASUREMENTS_PER_TRIAL = 200


def content_hash(data: dict[str, Any]) -> str:
    canonical = json.dumps(
        data, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str
    )
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _statement(session: Session, workspace_id: int) -> dict[str, Any] | None:
    doc = session.scalar(
        select(Document).where(
            Document.workspace_id == workspace_id, Document.kind == "problem_statement"
        )
    )
    if doc is None or doc.agreed_version_id is None:
        return None
    version = session.get(DocumentVersion, doc.agreed_version_id)
    if version is None:
        return None
    approvals = session.execute(
        select(VersionApproval.side, VersionApproval.created_at, User.name)
        .join(User, User.id == VersionApproval.user_id)
        .where(VersionApproval.version_id == version.id)
        .order_by(VersionApproval.created_at)
    ).all()
    return {
        "document_id": doc.id,
        "title": doc.title,
        "version_id": version.id,
        "label": version.label,
        "created_at": iso_utc(version.created_at),
        "author": version.author.name if version.author else None,
        "text": version.text,
        "approvals": [{"name": n, "side": side, "at": iso_utc(at)} for side, at, n in approvals],
    }


def _trials(session: Session, m: Milestone) -> list[Trial]:
    """The trials the milestone stands on: for criteria, the last N completed
    before it was reached; by hand, the passed ones before it was reached."""
    stmt = select(Trial).where(Trial.workspace_id == m.workspace_id, Trial.status == "completed")
    if m.reached_at is not None:
        stmt = stmt.where(Trial.finished_at <= m.reached_at)
    if m.criteria:
        limit = int(m.criteria.get("consecutive_trials") or 1)
    else:
        stmt, limit = stmt.where(Trial.outcome == "passed"), MAX_HAND_TRIALS
    rows = session.scalars(stmt.order_by(Trial.finished_at.desc(), Trial.id.desc()).limit(limit))
    return sorted(rows, key=lambda t: t.number)


def _trial_data(session: Session, trials: list[Trial]) -> list[dict[str, Any]]:
    ids = [t.id for t in trials]
    stats: dict[int, dict[str, MetricStats]] = {}
    for row in session.scalars(select(MetricStats).where(MetricStats.trial_id.in_(ids or [-1]))):
        stats.setdefault(row.trial_id, {})[row.metric] = row
    out = []
    for t in trials:
        measurements = session.execute(
            select(
                Measurement.metric, Measurement.value, Measurement.recorded_at, Measurement.source
            )
            .where(Measurement.trial_id == t.id)
            .order_by(Measurement.recorded_at, Measurement.id)
            .limit(MAX_MEASUREMENTS_PER_TRIAL + 1)
        ).all()
        out.append(
            {
                "id": t.id,
                "number": t.number,
                "title": t.title,
                "line": t.line,
                "batch": t.batch,
                "parameters": t.parameters,
                "outcome": t.outcome,
                "results": t.results or {},
                "started_at": iso_utc(t.started_at),
                "finished_at": iso_utc(t.finished_at),
                "stats": {
                    k: {
                        "count": s.count,
                        "mean": s.total / s.count if s.count else None,
                        "min": s.minimum,
                        "max": s.maximum,
                    }
                    for k, s in sorted(stats.get(t.id, {}).items())
                },
                "measurements": [
                    {"metric": mm, "value": v, "at": iso_utc(at), "source": src}
                    for mm, v, at, src in measurements[:MAX_MEASUREMENTS_PER_TRIAL]
                ],
                "measurements_truncated": len(measurements) > MAX_MEASUREMENTS_PER_TRIAL,
            }
        )
    return out


def _decisions(session: Session, m: Milestone, trial_ids: list[int]) -> list[dict[str, Any]]:
    """Who did what and when: trials completed, the milestone reached."""
    rows = session.scalars(
        select(Event)
        .where(
            Event.workspace_id == m.workspace_id,
            Event.type.in_(("trial.completed", "milestone.reached")),
        )
        .order_by(Event.id)
    )
    out = []
    for e in rows:
        ref = (e.data or {}).get("milestone" if e.type == "milestone.reached" else "trial") or {}
        relevant = (
            ref.get("id") == m.id if e.type == "milestone.reached" else ref.get("id") in trial_ids
        )
        if relevant:
            out.append(
                {
                    "type": e.type,
                    "by": e.actor_name,
                    "at": iso_utc(e.occurred_at),
                    "what": ref.get("title") or f"#{ref.get('number')}",
                }
            )
    return out


def _files(session: Session, m: Milestone, trials: list[Trial]) -> list[dict[str, Any]]:
    """Files attached to the milestone and to the trials it stands on."""
    numbers = {t.id: t.number for t in trials}
    rows = files_attached(session, "milestone", [m.id]) + files_attached(
        session, "trial", list(numbers)
    )
    names = (
        dict(
            session.execute(
                select(User.id, User.name).where(
                    User.id.in_({f.uploaded_by_id for f in rows} - {None})
                )
            ).all()
        )
        if rows
        else {}
    )
    return [
        {
            "id": f.id,
            "name": f.name,
            "size": f.size,
            "content_type": f.content_type,
            "sha256": f.sha256,
            "uploaded_by": names.get(f.uploaded_by_id),
            "created_at": iso_utc(f.created_at),
            "attached_to": "milestone" if f.milestone_id else f"trial #{numbers[f.trial_id]}",
        }
        for f in rows
    ]


def collect(session: Session, milestone_id: int) -> dict[str, Any] | None:
    m = session.get(Milestone, milestone_id)
    if m is None:
        return None
    ws = session.get(Workspace, m.workspace_id)
    tranche = session.get(MilestoneTranche, m.id)
    trials = _trials(session, m)
    indicators = session.scalars(
        select(Indicator).where(Indicator.workspace_id == ws.id).order_by(Indicator.id)
    ).all()
    return {
        "workspace": {
            "id": ws.id,
            "title": ws.title,
            "enterprise": ws.enterprise.name,
            "university": ws.university.name,
        },
        "milestone": {
            "id": m.id,
            "title": m.title,
            "description": m.description,
            "due_date": m.due_date.isoformat() if m.due_date else None,
            "status": m.status,
            "reached_at": iso_utc(m.reached_at),
            "criteria": m.criteria,
        },
        "funding": None
        if tranche is None
        else {"amount": str(tranche.amount), "currency": tranche.currency},
        "statement": _statement(session, ws.id),
        "indicators": [
            {
                "key": i.key,
                "label": i.label,
                "unit": i.unit,
                "comparator": i.comparator,
                "target": i.target,
                "aggregate": i.aggregate,
            }
            for i in indicators
        ],
        "trials": _trial_data(session, trials),
        "decisions": _decisions(session, m, [t.id for t in trials]),
        "files": _files(session, m, trials),
    }
