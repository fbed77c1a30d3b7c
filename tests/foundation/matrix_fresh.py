"""Fresh objects of the matrix's world: callers who may write act on a new
row where the action consumes one (deletes, accepts, redeliveries), so the
seeded rows stay for the other cases."""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from typing import Any


def soon(days: int) -> str:
    return (date.today() + timedelta(days=days)).isoformat()


class FreshObjects:
    """Mixed into World: `ids`, `users`, `owner`, `admin`, `person` and
    `token_for` are the world's."""

    ids: dict[str, Any]
    users: dict[str, Any]
    answer_text: str

    def fresh_token(self) -> int:
        return self.token_for(self.users["owner"], ("read",))[0]

    def fresh_user(self) -> int:
        return self.person("Fresh Person").id

    def fresh_member(self) -> int:
        user_id = self.fresh_user()
        self.admin(
            "POST",
            f"/workspaces/{self.ids['workspace']}/members",
            201,
            json={"user_id": user_id, "role": "viewer"},
        )
        return user_id

    def fresh_manager(self) -> int:
        manager = self.person("Spare Manager", role="manager")
        self.admin(
            "PUT",
            f"/managers/{manager.id}/portfolio",
            json={"workspace_ids": [self.ids["workspace"]]},
        )
        return manager.id

    def fresh_milestone(self, title: str = "Fresh milestone", funded: bool = False) -> int:
        m = self.owner(
            "POST",
            f"/workspaces/{self.ids['workspace']}/milestones",
            201,
            json={"title": title, "due_date": soon(30)},
        )
        if funded:
            self.admin(
                "PUT",
                f"/milestones/{m['id']}/funding",
                json={"amount": "1000.00", "currency": "CNY"},
            )
        return m["id"]

    def fresh_indicator(self) -> int:
        return self.owner(
            "POST",
            f"/workspaces/{self.ids['workspace']}/indicators",
            201,
            json={
                "key": f"fresh_{uuid.uuid4().hex[:8]}",
                "label": "Fresh indicator",
                "comparator": ">=",
                "target": 1,
            },
        )["id"]

    def fresh_trial(self) -> int:
        """A planned trial (the only kind that can be deleted)."""
        return self.owner(
            "POST",
            f"/workspaces/{self.ids['workspace']}/trials",
            201,
            json={"title": "Fresh trial"},
        )["id"]

    def fresh_comment(self) -> int:
        return self.owner(
            "POST",
            f"/documents/{self.ids['document']}/comments",
            201,
            json={"body": "Fresh comment"},
        )["id"]

    def fresh_suggestion(self, insert: bool = False) -> int:
        """The owner's; accepting an insertion at the end leaves the seeded
        words in place for the other cases."""
        end = len(self.answer_text)
        anchor = {"from": end, "to": end} if insert else {"from": 2, "to": 7}
        return self.owner(
            "POST",
            f"/documents/{self.ids['document']}/suggestions",
            201,
            json={"anchor": anchor, "text": "!"},
        )["id"]

    def fresh_webhook(self) -> int:
        return self.owner(
            "POST", f"/workspaces/{self.ids['workspace']}/webhooks", 201, json=self.webhook_body()
        )["id"]

    def fresh_delivery(self) -> int:
        """A finished (failed) delivery, so a redelivery is allowed; no job runs it."""
        from workspace.db import db, utcnow
        from workspace.webhooks.models import Delivery

        with db.transaction() as s:
            row = Delivery(
                endpoint_id=self.ids["webhook"],
                event_id=None,
                event_type="ping",
                message_id=f"msg_{uuid.uuid4().hex}",
                payload={"ping": True},
                status="failed",
                next_attempt_at=None,
                completed_at=utcnow(),
            )
            s.add(row)
            s.flush()
            return row.id
