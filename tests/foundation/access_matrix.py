"""Who may call what: the declared expectation for every route of the app.

One entry per method and rule of `app.url_map` (SPEC, "Permissions"). The
matrix test runs every entry against every caller and fails when a route of
the app has no entry here, so a new route cannot ship without someone saying
who may call it. To declare a new route, add a line to ROUTES: the right it
needs (RIGHTS in access_rights.py), the status an allowed caller gets, and a
valid body.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from tests.foundation.access_rights import Case, c
from tests.foundation.matrix_app import fresh_session
from tests.foundation.matrix_files import fresh_file, import_body, upload_body


def _soon(days: int) -> str:
    return (date.today() + timedelta(days=days)).isoformat()


def _fresh_session(w: Any, who: str) -> dict[str, int]:
    return {"session_id": fresh_session(w)}


A = "/api/v1"
NEW_PASSWORD = "a brand new battery staple"
ROUTES: dict[str, tuple[Case, ...] | Case] = {
    # -------------------------------------------------- public
    f"POST {A}/auth/login": c("public", body=lambda w, who: w.login_body(), session="own"),
    f"POST {A}/auth/logout": c("public", 204, session="own", body=lambda w, who: {}),
    f"GET {A}/docs": c("public"),
    f"GET {A}/openapi.json": c("public"),
    f"GET {A}/healthz": c("public"),
    "GET /healthz": c("public"),
    # -------------------------------------------------- the caller's own account
    f"GET {A}/me": c("user"),
    f"PATCH {A}/me": c("user", body=lambda w, who: {"locale": "en"}),
    f"POST {A}/me/password": c(
        "session_user",
        session="own",
        body=lambda w, who: w.password_body(),
        restore=lambda w, who: w.restore_password(who),
    ),
    f"GET {A}/me/notification-preferences": c("user"),
    f"PUT {A}/me/notification-preferences": c("user", body=lambda w, who: {"digest_hour": 8}),
    f"GET {A}/me/tokens": c("user"),
    f"POST {A}/me/tokens": c(
        "user", 201, body=lambda w, who: {"name": "matrix", "scopes": ["read"]}
    ),
    f"DELETE {A}/me/tokens/<int:token_id>": c(
        "own", 204, fresh=lambda w, who: {"token_id": w.fresh_token()}
    ),
    f"GET {A}/me/sessions": c("user"),
    # Someone else's session is as missing as one that never was.
    f"DELETE {A}/me/sessions/<int:session_id>": c("own", 204, fresh=_fresh_session),
    f"POST {A}/exports": c("user", 202, body=lambda w, who: {"format": "csv"}),
    f"GET {A}/exports/<string:task_id>": c("own"),
    f"GET {A}/exports/<string:task_id>/download": c("own"),
    # -------------------------------------------------- platform-wide
    f"GET {A}/organizations": c("user"),
    f"POST {A}/organizations": c(
        "create",
        201,
        body=lambda w, who: {"name": w.unique("Matrix institute"), "kind": "institute"},
    ),
    f"GET {A}/users": c("admin"),
    # Re-enabling an enabled account: allowed, and changes nothing.
    f"PATCH {A}/users/<int:user_id>": c(
        "admin",
        body=lambda w, who: {"active": True},
        params=lambda w, who: {"user_id": w.users["viewer"].id},
    ),
    f"POST {A}/users": c(
        "admin",
        201,
        body=lambda w, who: {
            "email": w.unique("made") + "@example.test",
            "name": "Made by matrix",
            "password": "correct horse battery",
        },
    ),
    f"GET {A}/workspaces": c("user"),
    f"POST {A}/workspaces": c("create", 201, body=lambda w, who: w.workspace_body()),
    f"GET {A}/dashboard": c("user"),
    f"GET {A}/dashboard/totals": c("user"),
    f"GET {A}/feed": c("user"),
    f"GET {A}/feed.atom": c("user"),
    f"GET {A}/milestones.ics": c("user"),
    f"GET {A}/managers/<int:user_id>/portfolio": c(
        "own_portfolio", params=lambda w, who: {"user_id": w.ids["manager_in"]}
    ),
    f"PUT {A}/managers/<int:user_id>/portfolio": c(
        "set_portfolio",
        params=lambda w, who: {"user_id": w.ids["manager_in"]},
        body=lambda w, who: {"workspace_ids": [w.ids["workspace"]]},
    ),
    f"DELETE {A}/managers/<int:user_id>/portfolio": c(
        "delete_portfolio",
        params=lambda w, who: {"user_id": w.ids["spare_manager"]},
        fresh=lambda w, who: {"user_id": w.fresh_manager()},
    ),
    # -------------------------------------------------- a workspace
    f"GET {A}/workspaces/<int:workspace_id>": c("read"),
    f"PATCH {A}/workspaces/<int:workspace_id>": c(
        "manage", body=lambda w, who: {"summary": w.summary}
    ),
    f"GET {A}/workspaces/<int:workspace_id>/events": c("read"),
    f"GET {A}/workspaces/<int:workspace_id>/members": c("read"),
    f"POST {A}/workspaces/<int:workspace_id>/members": (
        c(
            "add_member",
            201,
            label="by id",
            body=lambda w, who: {"user_id": w.ids["outsider"], "role": "viewer"},
            fresh=lambda w, who: {"_body": {"user_id": w.fresh_user(), "role": "viewer"}},
        ),
        # An unknown email is the domain's 422, and only for those who may add.
        c(
            "add_member",
            422,
            label="unknown email",
            body=lambda w, who: {"email": "nobody-here@example.test", "role": "viewer"},
        ),
    ),
    # SPEC: owners manage members; a manager adds people but changes no role.
    f"PATCH {A}/workspaces/<int:workspace_id>/members/<int:user_id>": c(
        "manage",
        params=lambda w, who: {"user_id": w.ids["spare_member"]},
        fresh=lambda w, who: {"user_id": w.fresh_member()},
        body=lambda w, who: {"role": "editor"},
    ),
    f"DELETE {A}/workspaces/<int:workspace_id>/members/<int:user_id>": c(
        "manage",
        204,
        params=lambda w, who: {"user_id": w.ids["spare_member"]},
        fresh=lambda w, who: {"user_id": w.fresh_member()},
    ),
    # -------------------------------------------------- documents
    f"GET {A}/workspaces/<int:workspace_id>/documents": c("read"),
    f"POST {A}/workspaces/<int:workspace_id>/documents": c(
        "edit", 201, body=lambda w, who: {"title": "Matrix answer", "text": "matrix"}
    ),
    f"GET {A}/documents/<int:document_id>": c("read"),
    # The title it has: a rename that changes nothing, for every allowed caller alike.
    f"PATCH {A}/documents/<int:document_id>": c(
        "edit", body=lambda w, who: {"title": "Alpha answer"}
    ),
    f"PUT {A}/documents/<int:document_id>/text": c(
        "edit", body=lambda w, who: {"text": w.answer_text}
    ),
    f"POST {A}/documents/<int:document_id>/preview": c(
        "read", body=lambda w, who: {"text": "# Preview"}
    ),
    f"GET {A}/documents/<int:document_id>/comments": c("read"),
    f"POST {A}/documents/<int:document_id>/comments": c(
        "comment", 201, body=lambda w, who: {"body": "A matrix comment"}
    ),
    f"PATCH {A}/comments/<int:comment_id>": c(
        "comment_author", body=lambda w, who: {"body": "Seeded comment"}
    ),
    # Its author or an owner (an admin too); the seeded comment is the owner's.
    f"DELETE {A}/comments/<int:comment_id>": c(
        "manage", 204, fresh=lambda w, who: {"comment_id": w.fresh_comment()}
    ),
    f"POST {A}/comments/<int:comment_id>/resolve": c("comment", body=lambda w, who: {}),
    f"POST {A}/comments/<int:comment_id>/reopen": c("comment", body=lambda w, who: {}),
    # Suggested edits (SPEC v1.1): viewers suggest; owners and editors decide.
    f"GET {A}/documents/<int:document_id>/suggestions": c("read"),
    f"POST {A}/documents/<int:document_id>/suggestions": c(
        "comment", 201, body=lambda w, who: {"anchor": {"from": 2, "to": 7}, "text": "Beta"}
    ),
    f"GET {A}/suggestions/<int:suggestion_id>": c("read"),
    f"POST {A}/suggestions/<int:suggestion_id>/accept": c(
        "edit",
        body=lambda w, who: {},
        fresh=lambda w, who: {"suggestion_id": w.fresh_suggestion(insert=True)},
    ),
    # Its author (the seeded one is the owner's) or owners and editors.
    f"POST {A}/suggestions/<int:suggestion_id>/reject": c(
        "edit", body=lambda w, who: {}, fresh=lambda w, who: {"suggestion_id": w.fresh_suggestion()}
    ),
    f"GET {A}/documents/<int:document_id>/versions": c("read"),
    f"POST {A}/documents/<int:document_id>/versions": c(
        "edit", 201, body=lambda w, who: {"label": "matrix"}
    ),
    f"GET {A}/documents/<int:document_id>/versions/<int:version_id>": c("read"),
    f"GET {A}/documents/<int:document_id>/diff": c(
        "read", query=lambda w, who: {"from": w.ids["version"], "to": "current"}
    ),
    f"POST {A}/documents/<int:document_id>/versions/<int:version_id>/restore": c(
        "edit", body=lambda w, who: {}
    ),
    f"POST {A}/documents/<int:document_id>/versions/<int:version_id>/approve": c(
        "approve", body=lambda w, who: {}
    ),
    # -------------------------------------------------- indicators, trials, measurements
    f"GET {A}/workspaces/<int:workspace_id>/indicators": c("read"),
    f"POST {A}/workspaces/<int:workspace_id>/indicators": c(
        "edit",
        201,
        body=lambda w, who: {
            "key": w.unique("k").replace("-", "_"),
            "label": "Matrix indicator",
            "comparator": ">=",
            "target": 1,
        },
    ),
    f"PATCH {A}/indicators/<int:indicator_id>": c(
        "edit", body=lambda w, who: {"label": w.indicator_label}
    ),
    f"DELETE {A}/indicators/<int:indicator_id>": c(
        "edit", 204, fresh=lambda w, who: {"indicator_id": w.fresh_indicator()}
    ),
    f"GET {A}/workspaces/<int:workspace_id>/trials": c("read"),
    f"POST {A}/workspaces/<int:workspace_id>/trials": c(
        "edit", 201, body=lambda w, who: {"title": "Matrix trial"}
    ),
    f"GET {A}/trials/<int:trial_id>": c("read"),
    f"PATCH {A}/trials/<int:trial_id>": c("edit", body=lambda w, who: {"title": w.trial_title}),
    f"DELETE {A}/trials/<int:trial_id>": c(
        "edit", 204, fresh=lambda w, who: {"trial_id": w.fresh_trial()}
    ),
    f"POST {A}/trials/<int:trial_id>/next": c(
        "edit",
        201,
        params=lambda w, who: {"trial_id": w.ids["completed_trial"]},
        body=lambda w, who: {"title": "Matrix next"},
    ),
    f"GET {A}/trials/<int:trial_id>/measurements": c("read"),
    f"POST {A}/trials/<int:trial_id>/measurements/import": c("edit", 201, body=import_body),
    f"POST {A}/trials/<int:trial_id>/measurements": c(
        "edit", 201, body=lambda w, who: [{"metric": w.indicator_key, "value": 93.5}]
    ),
    # -------------------------------------------------- milestones, funding, evidence
    f"GET {A}/workspaces/<int:workspace_id>/milestones": c("read"),
    f"POST {A}/workspaces/<int:workspace_id>/milestones": c(
        "edit", 201, body=lambda w, who: {"title": "Matrix milestone", "due_date": _soon(60)}
    ),
    f"GET {A}/workspaces/<int:workspace_id>/milestones.ics": c("read"),
    f"PATCH {A}/milestones/<int:milestone_id>": (
        c("edit", label="title", body=lambda w, who: {"title": w.milestone_title}),
        c(
            "set_status",
            label="missed",
            body=lambda w, who: {"status": "missed"},
            fresh=lambda w, who: {"milestone_id": w.fresh_milestone()},
        ),
        # Setting the status it already has changes nothing, but is still the
        # status right: a viewer is refused, not answered 200.
        c("set_status", label="status unchanged", body=lambda w, who: {"status": "open"}),
    ),
    f"DELETE {A}/milestones/<int:milestone_id>": c(
        "edit", 204, fresh=lambda w, who: {"milestone_id": w.fresh_milestone()}
    ),
    f"POST {A}/milestones/<int:milestone_id>/reach": c(
        "edit", body=lambda w, who: {}, fresh=lambda w, who: {"milestone_id": w.fresh_milestone()}
    ),
    f"GET {A}/milestones/<int:milestone_id>/funding": c("read"),
    f"PUT {A}/milestones/<int:milestone_id>/funding": c(
        "fund", body=lambda w, who: {"amount": "1000.00", "currency": "CNY"}
    ),
    f"DELETE {A}/milestones/<int:milestone_id>/funding": c(
        "fund", 204, fresh=lambda w, who: {"milestone_id": w.fresh_milestone(funded=True)}
    ),
    f"GET {A}/milestones/<int:milestone_id>/evidence": c(
        "evidence", params=lambda w, who: {"milestone_id": w.ids["reached_milestone"]}
    ),
    f"GET {A}/milestones/<int:milestone_id>/evidence.pdf": c(
        "evidence", params=lambda w, who: {"milestone_id": w.ids["reached_milestone"]}
    ),
    # -------------------------------------------------- files
    f"GET {A}/workspaces/<int:workspace_id>/files": c("read"),
    f"POST {A}/workspaces/<int:workspace_id>/files": c("edit", 201, body=upload_body),
    f"GET {A}/files/<int:file_id>": c("read"),
    f"GET {A}/files/<int:file_id>/content": c("read"),
    # Its uploader (an editor, for their own files) or an owner: here the
    # owner's file, so editors are refused.
    f"DELETE {A}/files/<int:file_id>": c(
        "manage", 204, fresh=lambda w, who: {"file_id": fresh_file(w)}
    ),
    # -------------------------------------------------- webhooks
    f"GET {A}/workspaces/<int:workspace_id>/webhooks": c("manage"),
    f"POST {A}/workspaces/<int:workspace_id>/webhooks": c(
        "manage", 201, body=lambda w, who: w.webhook_body()
    ),
    f"GET {A}/webhooks/<int:webhook_id>": c("manage"),
    f"PATCH {A}/webhooks/<int:webhook_id>": c(
        "manage", body=lambda w, who: {"events": ["webhook.disabled"]}
    ),
    f"DELETE {A}/webhooks/<int:webhook_id>": c(
        "manage", 204, fresh=lambda w, who: {"webhook_id": w.fresh_webhook()}
    ),
    f"POST {A}/webhooks/<int:webhook_id>/rotate-secret": c(
        "manage", body=lambda w, who: {}, fresh=lambda w, who: {"webhook_id": w.fresh_webhook()}
    ),
    f"POST {A}/webhooks/<int:webhook_id>/ping": c("manage", 202, body=lambda w, who: {}),
    f"GET {A}/webhooks/<int:webhook_id>/deliveries": c("manage"),
    f"GET {A}/deliveries/<int:delivery_id>": c("manage"),
    f"POST {A}/deliveries/<int:delivery_id>/redeliver": c(
        "manage",
        202,
        body=lambda w, who: {},
        fresh=lambda w, who: {"delivery_id": w.fresh_delivery()},
    ),
    # -------------------------------------------------- pages (cookie sessions only)
    "GET /": c("public", 302),
    "GET /login": c("public"),
    "POST /login": c(
        "public", 302, session="own", form_csrf=True, body=lambda w, who: w.login_body()
    ),
    "POST /logout": c("public", 302, session="own", form_csrf=True, body=lambda w, who: {}),
    "POST /locale": c(
        "public", 302, form_csrf=True, body=lambda w, who: {"locale": "en", "next": "/workspaces"}
    ),
    "GET /static/<path:filename>": c("public", params=lambda w, who: {"filename": "css/app.css"}),
    "GET /unsubscribe/<token>": c("public"),
    "POST /unsubscribe/<token>": c("public", body=lambda w, who: {}),
    "GET /settings/password": c("user"),
    # Changing it ends the caller's other sessions: run in one of its own,
    # then the old password is put back (the matrix's sessions live again).
    "POST /settings/password": c(
        "user",
        session="own",
        form_csrf=True,
        body=lambda w, who: {**w.password_body(), "confirm_password": NEW_PASSWORD},
        restore=lambda w, who: w.restore_password(who),
    ),
    "GET /account/sessions": c("user"),
    "POST /account/sessions/<int:session_id>/end": c(
        "own", 302, form_csrf=True, body=lambda w, who: {}, fresh=_fresh_session
    ),
    "GET /account/tokens": c("user"),
    "POST /account/tokens": c(
        "user", 201, form_csrf=True, body=lambda w, who: {"name": "matrix", "scopes": "read"}
    ),
    "POST /account/tokens/<int:token_id>/revoke": c(
        "own",
        302,
        form_csrf=True,
        body=lambda w, who: {},
        fresh=lambda w, who: {"token_id": w.fresh_token()},
    ),
    "GET /settings/notifications": c("user"),
    "POST /settings/notifications": c(
        "user",
        body=lambda w, who: {
            "digest_hour": "8",
            "timezone": "Asia/Shanghai",
            "event:mention": "immediate",
        },
    ),
    "GET /workspaces": c("user"),
    "GET /dashboard": c("user"),
    "GET /dashboard/timeline": c("user"),
    "GET /dashboard/rows": c(
        "user", query=lambda w, who: {"workspace_id": str(w.ids["workspace"])}
    ),
    "GET /workspaces/<int:workspace_id>": c("read"),
    "GET /workspaces/<int:workspace_id>/trials": c("read"),
    "GET /workspaces/<int:workspace_id>/trials/compare": c(
        "read", query=lambda w, who: {"ids": str(w.ids["trial"])}
    ),
    "GET /workspaces/<int:workspace_id>/trials/fragment/<part>": c(
        "read", params=lambda w, who: {"part": "board"}
    ),
    "GET /workspaces/<int:workspace_id>/webhooks": c("manage"),
    "GET /documents/<int:document_id>": c("read"),
    "GET /trials/<int:trial_id>": c("read"),
    "GET /trials/<int:trial_id>/fragment/control": c("read"),
    "GET /workspaces/<int:workspace_id>/files": c("read"),
    "GET /workspaces/<int:workspace_id>/files/fragment": c("read"),
    "GET /milestones/<int:milestone_id>": c("read"),
    "GET /files/<int:file_id>/thumbnail": c("read"),
}


def cases() -> list[tuple[str, Case]]:
    out = []
    for key, entry in ROUTES.items():
        for case in entry if isinstance(entry, tuple) else (entry,):
            out.append((key, case))
    return out
