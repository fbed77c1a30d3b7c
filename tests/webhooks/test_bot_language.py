"""A chat-bot message is written in the endpoint's language by whoever sends
it: a drain thread has no Flask app or request, and a request in another
language does not leak into it."""

from __future__ import annotations

import json
import threading

ENVELOPE = {
    "id": 7,
    "seq": 3,
    "type": "milestone.reached",
    "workspace_id": 5,
    "occurred_at": "2026-03-01T08:00:00Z",
    "actor": {"id": 1, "name": "Li"},
    "data": {"milestone": {"id": 9, "title": "Porosity halved"}},
}


def _wecom_text(locale: str) -> str:
    from workspace.webhooks.formats import bot_request

    request = bot_request(
        "wecom",
        "https://example.test/hook",
        None,
        [ENVELOPE],
        "Weld seams",
        locale,
        "https://jl.example",
    )
    return json.loads(request.body)["markdown"]["content"]


def _in_a_bare_thread(locale: str) -> str:
    out: list[str] = []
    thread = threading.Thread(target=lambda: out.append(_wecom_text(locale)))
    thread.start()
    thread.join()
    return out[0]


def test_bot_text_is_translated_without_an_app_and_ignores_the_requests_language(app):
    zh, en = _in_a_bare_thread("zh-CN"), _in_a_bare_thread("en")
    assert "在 JointLab 中打开" in zh and "Porosity halved" in zh
    assert "Open in JointLab" in en and "Porosity halved" in en
    assert zh != en.replace("Open in JointLab", "在 JointLab 中打开")  # the sentence too

    with app.test_request_context(headers={"Accept-Language": "en"}):
        assert _wecom_text("zh-CN") == zh
    with app.test_request_context(headers={"Accept-Language": "zh-CN"}):
        assert _wecom_text("en") == en
