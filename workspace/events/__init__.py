"""The event log: every change appends an event (`log.record_event`); the log
feeds everything live."""
