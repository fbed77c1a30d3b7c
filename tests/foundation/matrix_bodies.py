"""Request bodies the matrix sends that depend on the world: passwords,
logins, new workspaces and webhooks (multipart bodies: matrix_files.py)."""

from __future__ import annotations

from typing import Any

PASSWORD = "correct horse battery"


class Bodies:
    """Mixed into World: `users`, `login_user`, `orgs`, `sessions`, `_hash`
    and `unique` are the world's."""

    users: dict[str, Any]
    orgs: dict[str, int]
    sessions: dict[str, Any]
    login_user: Any
    _hash: str | None

    def password_body(self) -> dict[str, str]:
        from tests.foundation.access_matrix import NEW_PASSWORD

        return {"current_password": PASSWORD, "new_password": NEW_PASSWORD}

    def restore_password(self, caller: str) -> None:
        """The very same hash again: sessions made under it are valid again."""
        from workspace.auth.models import User
        from workspace.db import db

        with db.transaction() as s:
            s.get(User, self.users[caller].id).password_hash = self._hash
        # The change ended the caller's other sessions, the shared one too.
        from tests.foundation.matrix_app import open_session

        self.sessions[caller] = open_session(self, caller)

    def login_body(self) -> dict[str, str]:
        return {"email": self.login_user.email, "password": self.login_user.password}

    def workspace_body(self) -> dict[str, Any]:
        return {
            "title": self.unique("Matrix made"),
            "enterprise_id": self.orgs["enterprise"],
            "university_id": self.orgs["university"],
        }

    @staticmethod
    def webhook_body() -> dict[str, Any]:
        # Nothing the matrix does emits webhook.disabled: no delivery is made
        # behind its back. Port 9 refuses at once where a ping does try.
        return {"url": "http://127.0.0.1:9/matrix", "events": ["webhook.disabled"]}
