"""One seeded world for the access matrix: a workspace W holding one of every
kind of object, a second workspace X with a distinctive title, and the people
of the matrix around them.

Built once per test module (matrix_app.py): the reads share it; writes by
callers who may not write must leave it as it was (`fingerprint`), and
callers who may write act on fresh objects where the action consumes one.

Here: the people, the seed and the calls. Mixed in: the fresh objects
(matrix_fresh.py), the background jobs run in this process (matrix_jobs.py),
the request bodies (matrix_bodies.py) and the fingerprint
(matrix_snapshots.py).
"""

from __future__ import annotations

import itertools
import uuid
from typing import Any

from tests.conftest import Make
from tests.foundation.access_rights import TOKENS
from tests.foundation.matrix_bodies import PASSWORD, Bodies
from tests.foundation.matrix_files import seed_files
from tests.foundation.matrix_fresh import FreshObjects, soon
from tests.foundation.matrix_jobs import BackgroundJobs
from tests.foundation.matrix_snapshots import Snapshots

W_TITLE = "Alpha foundry W-17"
X_TITLE = "Secret furnace ZX-9"
X_MILESTONE = "ZX-9 hidden milestone"
W_MILESTONE = "Alpha milestone Q7"


class World(FreshObjects, BackgroundJobs, Bodies, Snapshots):
    def __init__(self, app: Any) -> None:
        self.app = app
        self.settings = app.extensions["jointlab.settings"]
        self.client = app.test_client()
        self.make = Make()
        self._n = itertools.count(1)
        self.ids: dict[str, Any] = {}
        self.users: dict[str, Any] = {}
        self.tokens: dict[str, str] = {}
        self._hash: str | None = None
        self.sessions: dict[str, Any] = {}  # caller -> matrix_app.Session

    # ------------------------------------------------------------ helpers
    def unique(self, prefix: str) -> str:
        return f"{prefix}-{next(self._n)}-{uuid.uuid4().hex[:4]}"

    def call(self, token: str, method: str, path: str, status: int = 200, **kw: Any) -> Any:
        resp = self.client.open(
            "/api/v1" + path, method=method, headers={"Authorization": f"Bearer {token}"}, **kw
        )
        assert resp.status_code == status, (method, path, resp.status_code, resp.get_data(True))
        return resp.get_json()

    def owner(self, method: str, path: str, status: int = 200, **kw: Any) -> Any:
        return self.call(self.owner_token, method, path, status, **kw)

    def admin(self, method: str, path: str, status: int = 200, **kw: Any) -> Any:
        return self.call(self.admin_token, method, path, status, **kw)

    def person(self, name: str, org: Any = None, role: str = "member") -> Any:
        """A user row; one Argon2 hash serves all (each costs ~0.1-0.5 s)."""
        from workspace.auth.models import User
        from workspace.auth.passwords import hash_password
        from workspace.db import db

        if self._hash is None:
            self._hash = hash_password(PASSWORD)
        with db.transaction() as s:
            user = User(
                email=f"{self.unique('person')}@example.test",
                name=name,
                password_hash=self._hash,
                role=role,
                locale="en",
                organization_id=None if org is None else org.id,
            )
            s.add(user)
            s.flush()
        user.password = PASSWORD
        return user

    def token_for(self, user: Any, scopes: tuple[str, ...]) -> tuple[int, str]:
        from workspace.auth.tokens import create_token
        from workspace.db import db

        with db.transaction() as s:
            row, secret = create_token(s, user, "matrix", list(scopes))
        return row.id, secret

    # ------------------------------------------------------------ the seed
    def seed(self) -> World:
        from jobs.outbox import process_outbox

        with self.app.app_context():
            process_outbox()  # the consumers follow the log from here on
        m, p = self.make, self.person
        ent, uni = m.org("enterprise", "Alpha Castings"), m.org("university", "Alpha Tech")
        ent_x, uni_x = m.org("enterprise", "Zeta Metals"), m.org("university", "Zeta Institute")
        self.orgs = {"enterprise": ent.id, "university": uni.id, "other": ent_x.id}
        u = self.users
        u["owner"] = p("Olga Owner", ent)
        u["editor"] = p("Ed Editor", uni)
        u["viewer"] = p("Vic Viewer", ent)
        u["non_member"] = p("Nora Outsider", ent_x)
        u["manager_in"] = p("Mia Manager", role="manager")
        u["manager_out"] = p("Max Manager", role="manager")
        u["admin"] = p("Ada Admin", role="admin")
        x_partner = p("Zed Partner", uni_x)
        self.login_user = p("Lena Login")
        for key in ("outsider", "spare_member"):
            self.ids[key] = p(key.title()).id
        self.admin_token = self.token_for(u["admin"], ("read", "write"))[1]
        self.owner_token = self.token_for(u["owner"], ("read", "write"))[1]
        for caller, scopes in TOKENS.items():
            self.tokens[caller] = self.token_for(u["owner"], scopes)[1]
        self.ids.update({k: v.id for k, v in u.items()})

        self.summary = "Porosity in the W-17 line"
        ws = self.admin(
            "POST",
            "/workspaces",
            201,
            json={
                "title": W_TITLE,
                "summary": self.summary,
                "enterprise_id": ent.id,
                "university_id": uni.id,
            },
        )
        wid = self.ids["workspace"] = ws["id"]
        for who, role in (("owner", "owner"), ("editor", "editor"), ("viewer", "viewer")):
            self.admin(
                "POST", f"/workspaces/{wid}/members", 201, json={"user_id": u[who].id, "role": role}
            )
        self.admin(
            "POST",
            f"/workspaces/{wid}/members",
            201,
            json={"user_id": self.ids["spare_member"], "role": "viewer"},
        )
        self._seed_documents(wid)
        self._seed_trials(wid)
        self._seed_milestones(wid)
        self._seed_webhooks(wid)
        seed_files(self)
        self._seed_other_workspace(ent_x, uni_x, x_partner)
        self.admin(
            "PUT", f"/managers/{u['manager_in'].id}/portfolio", json={"workspace_ids": [wid]}
        )
        self.admin(
            "PUT",
            f"/managers/{u['manager_out'].id}/portfolio",
            json={"workspace_ids": [self.ids["other_workspace"]]},
        )
        self.ids["spare_manager"] = self.fresh_manager()
        self.ids["token"] = self.token_for(u["owner"], ("read",))[0]
        self.ids["task"] = self.finished_export(self.owner_token)
        from workspace.notifications.unsubscribe import make_token

        self.ids["token_unsubscribe"] = make_token(
            self.settings.secret_key, self.login_user.id, "mention"
        )
        return self

    def _seed_documents(self, wid: int) -> None:
        self.answer_text = "# Alpha answer\n\nLower the pouring temperature."
        doc = self.owner(
            "POST",
            f"/workspaces/{wid}/documents",
            201,
            json={"title": "Alpha answer", "text": self.answer_text},
        )
        self.ids["document"] = doc["id"]
        version = self.owner("POST", f"/documents/{doc['id']}/versions", 201, json={"label": "v1"})
        self.ids["version"] = version["id"]
        self.ids["comment"] = self.owner(
            "POST", f"/documents/{doc['id']}/comments", 201, json={"body": "Seeded comment"}
        )["id"]
        self.ids["suggestion"] = self.fresh_suggestion()

    def _seed_trials(self, wid: int) -> None:
        self.indicator_key, self.indicator_label = "yield_pct", "Yield"
        ind = self.owner(
            "POST",
            f"/workspaces/{wid}/indicators",
            201,
            json={
                "key": self.indicator_key,
                "label": self.indicator_label,
                "unit": "%",
                "comparator": ">=",
                "target": 90,
            },
        )
        self.ids["indicator"] = ind["id"]
        self.trial_title = "Alpha trial one"
        done = self.owner("POST", f"/workspaces/{wid}/trials", 201, json={"title": "Baseline"})
        self.owner("PATCH", f"/trials/{done['id']}", json={"status": "running"})
        self.owner(
            "POST",
            f"/trials/{done['id']}/measurements",
            201,
            json=[{"metric": self.indicator_key, "value": 95}],
        )
        self.owner("PATCH", f"/trials/{done['id']}", json={"status": "completed"})
        self.ids["completed_trial"] = done["id"]
        trial = self.owner(
            "POST",
            f"/workspaces/{wid}/trials",
            201,
            json={"title": self.trial_title, "parent_id": done["id"]},
        )
        self.owner("PATCH", f"/trials/{trial['id']}", json={"status": "running"})
        self.ids["trial"] = trial["id"]

    def _seed_milestones(self, wid: int) -> None:
        self.milestone_title = "Alpha open milestone"
        self.ids["milestone"] = self.fresh_milestone(title=self.milestone_title, funded=True)
        reached = self.fresh_milestone(title=W_MILESTONE, funded=True)
        self.owner("POST", f"/milestones/{reached}/reach")
        self.ids["reached_milestone"] = reached
        self.owner(
            "POST",
            f"/workspaces/{wid}/milestones",
            201,
            json={"title": "Alpha overdue milestone", "due_date": soon(-2)},
        )
        self.build_evidence(reached)

    def _seed_webhooks(self, wid: int) -> None:
        self.ids["webhook"] = self.fresh_webhook()
        self.ids["delivery"] = self.fresh_delivery()

    def _seed_other_workspace(self, ent: Any, uni: Any, partner: Any) -> None:
        ws = self.admin(
            "POST",
            "/workspaces",
            201,
            json={
                "title": X_TITLE,
                "summary": "",
                "enterprise_id": ent.id,
                "university_id": uni.id,
            },
        )
        xid = self.ids["other_workspace"] = ws["id"]
        for user in (self.users["non_member"], partner):
            self.admin(
                "POST",
                f"/workspaces/{xid}/members",
                201,
                json={"user_id": user.id, "role": "owner"},
            )
        token = self.token_for(self.users["non_member"], ("read", "write"))[1]
        milestone = self.call(
            token,
            "POST",
            f"/workspaces/{xid}/milestones",
            201,
            json={"title": X_MILESTONE, "due_date": soon(5)},
        )
        self.call(token, "POST", f"/milestones/{milestone['id']}/reach")
        self.call(
            token,
            "POST",
            f"/workspaces/{xid}/milestones",
            201,
            json={"title": "ZX-9 overdue milestone", "due_date": soon(-3)},
        )
        trial = self.call(
            token, "POST", f"/workspaces/{xid}/trials", 201, json={"title": "ZX-9 trial"}
        )
        self.call(token, "PATCH", f"/trials/{trial['id']}", json={"status": "running"})
        self.call(token, "PATCH", f"/trials/{trial['id']}", json={"status": "completed"})
        indicator = self.call(
            token,
            "POST",
            f"/workspaces/{xid}/indicators",
            201,
            json={
                "key": "zx9_secret_rate",
                "label": "ZX-9 secret rate",
                "comparator": "<=",
                "target": 3,
            },
        )
        doc = self.call(
            token,
            "POST",
            f"/workspaces/{xid}/documents",
            201,
            json={"title": "ZX-9 answer", "text": "ZX-9 secret recipe"},
        )
        version = self.call(
            token, "POST", f"/documents/{doc['id']}/versions", 201, json={"label": "ZX-9 v1"}
        )
        self.ids.update(
            other_milestone=milestone["id"],
            other_trial=trial["id"],
            other_indicator=indicator["id"],
            other_document=doc["id"],
            other_version=version["id"],
        )
