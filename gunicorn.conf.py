"""gunicorn settings for JointLab's web processes (read by gunicorn when it is
started from this folder; `-c gunicorn.conf.py` elsewhere):

    gunicorn -b 0.0.0.0:8000 wsgi:app

One worker per process (Socket.IO state is per process: run more processes,
not more workers), gevent with JointLab's handler (workspace/gunicorn_worker.py:
the standard library is patched before `wsgi` is imported). Command-line
flags override these.
"""

worker_class = "workspace.gunicorn_worker.Worker"
workers = 1
# Connections one worker serves at once (idle Socket.IO clients included);
# gunicorn's default is 1,000. Raise the open-files limit (ulimit -n) to match.
worker_connections = 10000
# SIGTERM: clients are told to reconnect elsewhere at once; what is still
# running after this many seconds is cut.
graceful_timeout = 10
