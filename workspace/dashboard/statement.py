"""Whether each workspace's problem statement is agreed."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from workspace.documents.models import Document


def agreed_subquery() -> Any:
    """(workspace_id, agreed_version_id) of problem statements."""
    return (
        select(
            Document.workspace_id.label("workspace_id"),
            Document.agreed_version_id.label("agreed_version_id"),
        )
        .where(Document.kind == "problem_statement")
        .subquery("statement")
    )
