"""Imports every model so the metadata (and Alembic) sees all tables."""

from jobs.outbox import ConsumerCursor
from workspace.auth.models import ApiToken, User, UserSession
from workspace.documents.models import (  # noqa: F401
    Comment,
    Document,
    DocumentSnapshot,
    DocumentUpdate,
    DocumentVersion,
    Suggestion,
    VersionApproval,
)
from workspace.events.models import Event
from workspace.evidence.models import EvidencePack, MilestoneTranche  # noqa: F401
from workspace.exports.models import ExportTask  # noqa: F401
from workspace.files.models import StoredFile  # noqa: F401
from workspace.milestones.models import Milestone  # noqa: F401
from workspace.notifications.models import (  # noqa: F401
    DigestItem,
    NotificationPreference,
    OutgoingMail,
)
from workspace.organizations.models import Organization
from workspace.portfolios.models import (  # noqa: F401
    Portfolio,
    PortfolioOrganization,
    PortfolioWorkspace,
    WeeklySummary,
)
from workspace.spaces.models import Membership, Workspace
from workspace.trials.models import (  # noqa: F401
    Indicator,
    Measurement,
    MeasurementBatch,
    MetricStats,
    Trial,
    TrialCounter,
)
from workspace.webhooks.models import Delivery, DeliveryAttempt, WebhookEndpoint  # noqa: F401

__all__ = [
    "ApiToken",
    "ConsumerCursor",
    "Event",
    "Membership",
    "Organization",
    "User",
    "UserSession",
    "Workspace",
]
