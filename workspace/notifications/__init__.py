"""Telling people: per-user preferences, immediate mail, daily digests."""
