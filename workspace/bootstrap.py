"""The composition root: every capability plugs in here, in this order.

`build_house()` calls one `register(house)` per capability; each declares its
routes (the modules whose `@endpoint` and page routes it imports), its
reactions to domain signals (run inside the signalling transaction), its
outbox consumers, periodic jobs, workspace-page panels, demo content, health
sections and Socket.IO handlers. Nothing else fills these lists: importing a
module registers nothing. Order is visible behaviour in a few places: panels
appear on the workspace page in this order, reactions to one signal run in
it, periodic jobs run in it in `scheduler run-once`, and outbox consumers
share a transaction in it.
"""

from __future__ import annotations

from workspace.documents import capability as documents
from workspace.evidence import capability as evidence
from workspace.exports import capability as exports
from workspace.feeds import capability as feeds
from workspace.files import capability as files
from workspace.house import House
from workspace.milestones import capability as milestones
from workspace.notifications import capability as notifications
from workspace.portfolios import capability as portfolios
from workspace.trials import capability as trials


def build_house() -> House:
    house = House()
    register_foundation(house)
    documents.register(house)
    trials.register(house)
    milestones.register(house)
    portfolios.register(house)
    register_dashboard(house)
    feeds.register(house)
    evidence.register(house)
    exports.register(house)
    files.register(house)
    notifications.register(house)
    return house


def register_foundation(house: House) -> None:
    """Accounts, organizations, workspaces, the event log and its live feed."""
    house.routes(
        "workspace.auth.api",
        "workspace.auth.pages",
        "workspace.auth.tokens_pages",
        "workspace.auth.sessions_api",
        "workspace.auth.sessions_pages",
        "workspace.organizations.api",
        "workspace.spaces.api",
        "workspace.events.api",
        "workspace.health",
        "workspace.openapi",
    )
    # First: every consumer below it waits for this one's tick.
    house.every("jobs.outbox.process_outbox", 15)
    house.socket("realtime.connection")
    house.socket("realtime.feed_calls")


def register_dashboard(house: House) -> None:
    house.routes("workspace.dashboard.api", "workspace.dashboard.pages")
