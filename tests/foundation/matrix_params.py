"""Which of the seeded world's rows (World.ids keys, tests/foundation/matrix_world.py)
each path parameter names: one table for the access matrix and the fuzzer
(tests/fuzz/runner.py), which each add the parameters only they address."""

from __future__ import annotations

PATH_IDS = {
    "workspace_id": "workspace",
    "document_id": "document",
    "version_id": "version",
    "trial_id": "trial",
    "indicator_id": "indicator",
    "milestone_id": "milestone",
    "webhook_id": "webhook",
    "delivery_id": "delivery",
    "task_id": "task",
    "file_id": "file",
    "session_id": "session",
}
