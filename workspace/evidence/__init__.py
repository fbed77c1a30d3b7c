"""Funding tranches of milestones and the acceptance evidence pack."""
