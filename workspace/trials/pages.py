"""Pages: the trials board, a trial, a comparison, and the workspace panel.

Server-rendered; static/js/trials_fragments.js swaps fragments and gauges live when the
page's socket (activity.js) reports events of this workspace.
"""

from __future__ import annotations

from typing import Any

from flask import abort, g, render_template, request
from markupsafe import Markup
from sqlalchemy import select
from sqlalchemy.orm import Session

from workspace.auth.access import Need, can, require_workspace
from workspace.db import db
from workspace.events.recent import activity_panel
from workspace.milestones import service as milestones
from workspace.pages import pages
from workspace.pages.session import login_required
from workspace.trials import charts, control, service
from workspace.trials.models import Measurement, Trial
from workspace.trials.results import indicators_of

FRAGMENTS = ("board", "charts", "milestones", "indicators")
# Newest events beside a board or a trial: a narrower panel than the workspace's.
ACTIVITY_SHOWN = 30


def _tree(payloads: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Depth-first: each iteration under the one it refines."""
    by_parent: dict[int | None, list[dict[str, Any]]] = {}
    ids = {p["id"] for p in payloads}
    for p in payloads:
        parent = p["parent_id"] if p["parent_id"] in ids else None
        by_parent.setdefault(parent, []).append(p)
    out: list[dict[str, Any]] = []

    def walk(parent: int | None, depth: int) -> None:
        for p in sorted(by_parent.get(parent, []), key=lambda x: x["number"]):
            out.append({**p, "depth": depth})
            walk(p["id"], depth + 1)

    walk(None, 0)
    return out


def _indicator_charts(indicators: list[Any], payloads: list[dict[str, Any]]) -> list[Any]:
    shown = [
        p
        for p in sorted(payloads, key=lambda x: x["number"])
        if p["status"] in ("running", "completed")
    ]
    out = []
    for ind in indicators:
        points = []
        for p in shown:
            r = p["results"].get(ind.key) or {}
            points.append(
                {
                    "label": f"#{p['number']}",
                    "value": r.get("value"),
                    "met": r.get("met"),
                    "trial_id": p["id"],
                    "status": p["status"],
                }
            )
        chart = charts.build(points, [{"value": ind.target, "kind": "target"}])
        out.append((ind, chart))
    return out


def _context(s: Session, workspace_id: int) -> dict[str, Any]:
    user = g.page_user
    ws = require_workspace(s, user, workspace_id)
    rows = list(s.scalars(select(Trial).where(Trial.workspace_id == ws.id).order_by(Trial.number)))
    payloads = service.trial_payloads(s, rows)
    indicators = indicators_of(s, ws.id)
    ms_rows = milestones.list_milestones(s, user, ws.id)
    return {
        "ws": ws,
        "indicators": indicators,
        "tree": _tree(payloads),
        "by_id": {p["id"]: p for p in payloads},
        "charts": _indicator_charts(indicators, payloads),
        "milestones": milestones.payloads(s, ms_rows),
        "can_edit": can(s, user, ws.id, Need.EDIT),
        "can_set_missed": can(s, user, ws.id, Need.SET_STATUS),
    }


def _live_context(s: Session, workspace_id: int) -> dict[str, Any]:
    return activity_panel(s, workspace_id, ACTIVITY_SHOWN)


@pages.route("/workspaces/<int:workspace_id>/trials")
@login_required
def trials_board(workspace_id: int) -> Any:
    with db.reading() as s:
        ctx = _context(s, workspace_id)
        ctx.update(_live_context(s, workspace_id))
    return render_template("trials/board.html", **ctx)


@pages.route("/workspaces/<int:workspace_id>/trials/fragment/<part>")
@login_required
def trials_fragment(workspace_id: int, part: str) -> Any:
    if part not in FRAGMENTS:
        abort(404)
    with db.reading() as s:
        ctx = _context(s, workspace_id)
    return render_template(f"trials/_{part}.html", **ctx)


@pages.route("/trials/<int:trial_id>")
@login_required
def trial_page(trial_id: int) -> Any:
    user = g.page_user
    with db.reading() as s:
        trial = service.get_trial(s, user, trial_id)
        payload = service.trial_payload(s, trial)
        parent = service.get_trial(s, user, trial.parent_id) if trial.parent_id else None
        indicators = indicators_of(s, trial.workspace_id)
        recent = list(
            s.scalars(
                select(Measurement)
                .where(Measurement.trial_id == trial.id)
                .order_by(Measurement.id.desc())
                .limit(50)
            )
        )
        ctx = {
            "ws": require_workspace(s, user, trial.workspace_id),
            "trial": payload,
            "parent": parent,
            "changes": _parameter_changes(parent, trial),
            "indicators": indicators,
            "recent": recent,
            "controls": _control_charts(s, trial, indicators),
            "children": list(
                s.scalars(select(Trial).where(Trial.parent_id == trial.id).order_by(Trial.number))
            ),
            "can_edit": can(s, user, trial.workspace_id, Need.EDIT),
            "fills": {
                i.key: charts.gauge_fill(
                    (payload["results"].get(i.key) or {}).get("value"), i.target
                )
                for i in indicators
            },
        }
        ctx.update(_live_context(s, trial.workspace_id))
    return render_template("trials/trial.html", **ctx)


@pages.route("/trials/<int:trial_id>/fragment/control")
@login_required
def trial_control_fragment(trial_id: int) -> Any:
    with db.reading() as s:
        trial = service.get_trial(s, g.page_user, trial_id)
        indicators = indicators_of(s, trial.workspace_id)
        controls = _control_charts(s, trial, indicators)
    return render_template("trials/_control.html", controls=controls)


def _control_charts(s: Session, trial: Trial, indicators: list[Any]) -> list[dict[str, Any]]:
    out = []
    for view in control.control_views(s, trial, indicators):
        flagged = {sig.index: sig for sig in view.signals}
        points = [
            {"label": "", "value": v, "met": None, "signal": flagged.get(i)}
            for i, v in enumerate(view.values)
        ]
        lines = []
        if view.limits:
            lines = [
                {"value": view.limits.centre, "kind": "cl", "label": "CL"},
                {"value": view.limits.ucl, "kind": "ucl", "label": "UCL"},
                {"value": view.limits.lcl, "kind": "lcl", "label": "LCL"},
            ]
        lines += [
            {"value": v, "kind": "spec", "label": name}
            for name, v in (("LSL", view.indicator.lower_spec), ("USL", view.indicator.upper_spec))
            if v is not None
        ]
        out.append({"view": view, "chart": charts.build(points, lines)})
    return out


def _parameter_changes(parent: Trial | None, trial: Trial) -> list[dict[str, Any]]:
    if parent is None:
        return []
    before, after = parent.parameters or {}, trial.parameters or {}
    return [
        {
            "key": k,
            "from": before.get(k),
            "to": after.get(k),
            "kind": "added" if k not in before else "removed" if k not in after else "changed",
        }
        for k in sorted(set(before) | set(after))
        if before.get(k) != after.get(k) or (k in before) != (k in after)
    ]


@pages.route("/workspaces/<int:workspace_id>/trials/compare")
@login_required
def trials_compare(workspace_id: int) -> Any:
    with db.reading() as s:
        ctx = _context(s, workspace_id)  # access first: an outsider learns nothing from a 400
        raw = request.args.getlist("ids") or request.args.get("ids", "").split(",")
        try:
            ids = [int(i) for part in raw for i in str(part).split(",") if i.strip()][:12]
        except ValueError:
            abort(400, description="ids must be trial ids, e.g. ?ids=3,4")
        chosen = [ctx["by_id"][i] for i in ids if i in ctx["by_id"]]
        if not chosen:  # default: the latest iterations
            chosen = [p for p in ctx["by_id"].values()][-4:]
        parents = {p["id"]: ctx["by_id"].get(p["parent_id"]) for p in chosen}
        keys = sorted({k for p in chosen for k in (p["parameters"] or {})})
    return render_template("trials/compare.html", chosen=chosen, parents=parents, keys=keys, **ctx)


def workspace_panel(ws: Any, user: Any, role: str | None) -> Markup:
    with db.reading() as s:
        ctx = _context(s, ws.id)
    return Markup(render_template("trials/_panel.html", **ctx))
