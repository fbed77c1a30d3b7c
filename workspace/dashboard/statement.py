"""Whether each workspace's problem statement is agreed, if documents exist.

The documents capability is built alongside this one; until its model can be
imported the dashboard shows "—" (None) rather than guessing.
"""

from __future__ import annotations

from typing import Any


def agreed_subquery() -> Any | None:
    """(workspace_id, agreed_version_id) of problem statements, or None."""
    try:
        from sqlalchemy import select

        from workspace.documents.models import Document
    except ImportError:
        return None
    return (
        select(
            Document.workspace_id.label("workspace_id"),
            Document.agreed_version_id.label("agreed_version_id"),
        )
        .where(Document.kind == "problem_statement")
        .subquery("statement")
    )
