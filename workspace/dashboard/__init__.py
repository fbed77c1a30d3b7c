"""The program manager's portfolio dashboard: one row per overseen workspace."""
