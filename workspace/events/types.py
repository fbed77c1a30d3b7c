"""Every event type, named once. A type not listed here cannot be recorded."""

WORKSPACE_CREATED = "workspace.created"
WORKSPACE_UPDATED = "workspace.updated"
MEMBER_ADDED = "member.added"
MEMBER_REMOVED = "member.removed"
MEMBER_ROLE_CHANGED = "member.role_changed"
DOCUMENT_CREATED = "document.created"
DOCUMENT_RENAMED = "document.renamed"
DOCUMENT_EDITED = "document.edited"
DOCUMENT_VERSION_CREATED = "document.version_created"
DOCUMENT_APPROVED = "document.approved"
STATEMENT_AGREED = "statement.agreed"
COMMENT_CREATED = "comment.created"
COMMENT_EDITED = "comment.edited"
COMMENT_DELETED = "comment.deleted"
COMMENT_RESOLVED = "comment.resolved"
COMMENT_REOPENED = "comment.reopened"
SUGGESTION_CREATED = "suggestion.created"
SUGGESTION_ACCEPTED = "suggestion.accepted"
SUGGESTION_REJECTED = "suggestion.rejected"
INDICATOR_CREATED = "indicator.created"
INDICATOR_UPDATED = "indicator.updated"
INDICATOR_DELETED = "indicator.deleted"
TRIAL_CREATED = "trial.created"
TRIAL_UPDATED = "trial.updated"
TRIAL_DELETED = "trial.deleted"
TRIAL_STATUS_CHANGED = "trial.status_changed"
TRIAL_MEASUREMENTS_RECORDED = "trial.measurements_recorded"
TRIAL_COMPLETED = "trial.completed"
TRIAL_ALERT = "trial.alert"
MILESTONE_CREATED = "milestone.created"
MILESTONE_UPDATED = "milestone.updated"
MILESTONE_DELETED = "milestone.deleted"
MILESTONE_REACHED = "milestone.reached"
MILESTONE_MISSED = "milestone.missed"
MILESTONE_DUE_SOON = "milestone.due_soon"
MILESTONE_OVERDUE = "milestone.overdue"
MILESTONE_EVIDENCE_READY = "milestone.evidence_ready"
FILE_ADDED = "file.added"
FILE_DELETED = "file.deleted"
MILESTONE_EVIDENCE_FAILED = "milestone.evidence_failed"
WEBHOOK_CREATED = "webhook.created"
WEBHOOK_DISABLED = "webhook.disabled"

ALL_TYPES: frozenset[str] = frozenset(
    value for name, value in dict(globals()).items() if name.isupper() and isinstance(value, str)
)


def matches(pattern: str, event_type: str) -> bool:
    """`milestone.*` style filters, as used by /feed?types= and webhook filters."""
    if pattern in ("*", event_type):
        return True
    return pattern.endswith(".*") and event_type.startswith(pattern[:-1])


def is_valid_pattern(pattern: str) -> bool:
    if pattern == "*" or pattern in ALL_TYPES:
        return True
    return pattern.endswith(".*") and any(t.startswith(pattern[:-1]) for t in ALL_TYPES)
