"""Webhook endpoints of a workspace and the log of every delivery attempt."""
