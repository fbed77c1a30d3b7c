"""Entry point: `python wsgi.py` serves pages, API and Socket.IO; `flask --app wsgi …`
runs operator commands; WSGI servers import `app`.

Importing this module builds the app and starts nothing: operator commands
run against an empty database. Serving starts the live machinery
(workspace/serving.py): `main()` below before it listens, any other WSGI
server with the first request it hands over."""

from __future__ import annotations

if __name__ == "__main__":
    # Serving: one greenlet per connection. The standard library is patched
    # for gevent here, before anything else is imported (psycopg chooses how
    # to wait when it is imported); see workspace/cooperative.py.
    from workspace import cooperative

    cooperative.patch()

import gc  # noqa: E402
import os  # noqa: E402
import sys  # noqa: E402

from workspace import cooperative, serving  # noqa: E402
from workspace.app import create_app  # noqa: E402
from workspace.cli import register_cli  # noqa: E402
from workspace.config import ConfigError, settings_of  # noqa: E402
from workspace.demo import seed_demo  # noqa: E402


def _migrating() -> bool:
    """`flask --app wsgi db …`: every other process refuses a database whose
    schema is behind, and this is the command that brings it up to date."""
    args = sys.argv[1:]
    return os.path.basename(sys.argv[0]) in ("flask", "__main__.py") and "db" in args


def _build():  # noqa: ANN202 - returns the Flask app
    # gevent where the entry point patched first (`python wsgi.py`, gunicorn's
    # workspace.gunicorn_worker), threading everywhere else.
    application = create_app(migrating=_migrating(), async_mode=cooperative.mode())
    register_cli(application)
    return application


try:
    app = _build()
except ConfigError as err:
    # A bad setting is an operator's mistake, not a crash: one line, exit 2.
    print(f"jointlab: {err}", file=sys.stderr)
    sys.exit(2)
# The ~180,000 objects built at start-up (models, SQL constructs, templates)
# live as long as the process: moved out of the collector's reach, a full
# collection no longer walks them in the middle of a request (measured:
# dashboard requests with 300 ms stalls every few dozen; none after).
gc.freeze()


def main() -> None:
    # local: gevent's server; only `python wsgi.py` serves, and operator
    # commands import this module too.
    from workspace import server

    settings = settings_of(app)
    if os.environ.get("JOINTLAB_NO_DEMO") != "1":
        with app.app_context():
            message = seed_demo()
        if message:
            print(message)
    # The feed pump, and without Redis the periodic jobs, run in this process.
    serving.start(app)
    print(
        f"JointLab on {settings.public_url} (database: {settings.database_url.split(':')[0]}, "
        f"queue: {'redis' if settings.redis_url else 'in-process'}, "
        f"serving: {settings.async_mode})"
    )
    # gevent's WSGI server (WebSocket, TCP_NODELAY); SIGTERM closes every
    # connection so clients reconnect elsewhere, stops the feed, and exits.
    server.serve(
        app,
        settings.host,
        settings.port,
        settings.max_message_bytes,
        on_stop=lambda: serving.stop(app),
    )


if __name__ == "__main__":
    main()
