"""A real SMTP inbox and the job worker, as the notification tests have them:
the same event is checked in a mail here."""

from tests.notifications.conftest import inbox, ready, settings, smtp  # noqa: F401
