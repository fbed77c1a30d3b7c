"""The rules of workspace/events/presentation.py: one sentence on one line, in
the reader's language, and the link to the thing the event is about."""

from __future__ import annotations

from typing import Any

import pytest

from workspace.events.presentation import Presentation, present
from workspace.i18n import in_locale

BASE = "https://jl.example.cn"


def _env(type_: str, data: dict[str, Any], actor: str | None = "Wang Fang") -> dict[str, Any]:
    return {
        "id": 7,
        "seq": 3,
        "type": type_,
        "workspace_id": 4,
        "actor": {"id": 1, "name": actor} if actor else None,
        "occurred_at": "2026-12-07T08:00:00Z",
        "data": data,
    }


def _shown(app: Any, envelope: dict[str, Any], locale: str = "en") -> Presentation:
    with app.app_context(), in_locale(locale):
        return present(envelope, BASE)


@pytest.mark.parametrize(
    ("envelope", "url"),
    [
        (
            _env("milestone.reached", {"milestone": {"id": 9, "title": "Pilot"}}),
            f"{BASE}/workspaces/4#milestone-9",
        ),
        (
            _env("trial.completed", {"trial": {"id": 12, "number": 2, "outcome": "passed"}}),
            f"{BASE}/workspaces/4#trial-12",
        ),
        (
            _env("milestone.deleted", {"milestone": {"id": 9, "title": "Pilot"}}),
            f"{BASE}/workspaces/4",
        ),
        (
            _env(
                "comment.created",
                {
                    "document": {"id": 5, "title": "Answer"},
                    "comment": {"id": 31, "parent_id": 30},
                    "parent_id": 30,
                },
            ),
            f"{BASE}/documents/5#comment-30",
        ),
        (
            _env(
                "suggestion.accepted",
                {"document": {"id": 5, "title": "Answer"}, "suggestion": {"id": 8}},
            ),
            f"{BASE}/documents/5#suggestion-8",
        ),
        (_env("workspace.updated", {"title": "Acme"}), f"{BASE}/workspaces/4"),
    ],
)
def test_the_link_goes_to_the_thing(app, envelope, url):
    assert _shown(app, envelope).url == url


def test_only_a_ready_evidence_pack_gets_its_link(app):
    ready = _env("milestone.evidence_ready", {"milestone": {"id": 9, "title": "Pilot"}})
    reached = _env("milestone.reached", {"milestone": {"id": 9, "title": "Pilot"}})
    assert _shown(app, ready).evidence_url == f"{BASE}/api/v1/milestones/9/evidence.pdf"
    assert _shown(app, reached).evidence_url is None


def test_words_in_both_languages_on_one_line(app):
    reached = _env("milestone.reached", {"milestone": {"id": 9, "title": "Pilot\n\tcasting"}})
    assert _shown(app, reached, "en").text == "Milestone reached: Pilot casting"
    assert _shown(app, reached, "zh-CN").text == "里程碑已达成：Pilot casting"
    recorded = _env("trial.measurements_recorded", {"trial": {"id": 1, "number": 3}, "count": 1})
    assert _shown(app, recorded, "en").text == "1 measurement recorded for trial #3"
    recorded["data"]["count"] = 40
    assert _shown(app, recorded, "en").text == "40 measurements recorded for trial #3"
    completed = _env("trial.completed", {"trial": {"id": 1, "number": 3, "outcome": "passed"}})
    assert _shown(app, completed, "en").text == "Trial #3 completed: passed"
    assert "passed" not in _shown(app, completed, "zh-CN").text  # the value is worded too
    nobody = _env("trial.created", {"trial": {"id": 1, "number": 3}}, actor=None)
    assert _shown(app, nobody, "en").text == "Someone planned trial #3"


def test_a_test_message_is_worded_like_any_event(app):
    ping = _env("webhook.ping", {})
    assert _shown(app, ping, "en").text == "JointLab test message: this webhook works."
    assert _shown(app, ping, "zh-CN").text == "JointLab 测试消息：此 Webhook 工作正常。"
