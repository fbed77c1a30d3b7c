"""The event log: every change appends an event; the log feeds everything live."""

from workspace.events.log import Actor, record_event

__all__ = ["Actor", "record_event"]
