"""Background work: the queue (in-process or RQ), the outbox consumers, the
periodic schedule and the worker command."""
