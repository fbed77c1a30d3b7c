"""Background work of the matrix's world, run in the test process: on Redis
no worker runs here, so the evidence pack and the export jobs the seed and
the cases wait on are run directly, and `_until` polls for their result."""

from __future__ import annotations

import time
from typing import Any

from sqlalchemy import select

from tests.conftest import USE_REDIS


class BackgroundJobs:
    """Mixed into World: `app`, `owner` and `call` are the world's."""

    app: Any

    def build_evidence(self, milestone_id: int) -> None:
        """Plan and build the pack in this process (on Redis no worker runs)."""
        from jobs.outbox import process_outbox
        from workspace.db import db
        from workspace.evidence.build import build_pack
        from workspace.evidence.models import EvidencePack

        with self.app.app_context():
            process_outbox()
            with db.reading() as s:
                pack = s.scalar(
                    select(EvidencePack).where(EvidencePack.milestone_id == milestone_id)
                )
            build_pack(pack.id)
        self._until(
            lambda: self.owner("GET", f"/milestones/{milestone_id}/evidence")["status"] == "ready"
        )

    def finished_export(self, token: str, fmt: str = "csv") -> str:
        task = self.call(token, "POST", "/exports", 202, json={"format": fmt})
        self.run_export(task["id"])
        self._until(lambda: self.call(token, "GET", f"/exports/{task['id']}")["status"] == "done")
        return task["id"]

    def run_export(self, task_id: str) -> None:
        """On Redis no worker runs here, so run the job in this process; the
        in-process queue already runs it (two runs at once are not this
        test's business)."""
        from workspace.exports.build import run_export

        if USE_REDIS:
            with self.app.app_context():
                run_export(task_id)

    @staticmethod
    def _until(predicate: Any, timeout: float = 20.0) -> None:
        deadline = time.monotonic() + timeout
        while not predicate():
            assert time.monotonic() < deadline, "background work did not finish"
            time.sleep(0.05)
