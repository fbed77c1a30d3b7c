"""Benchmark servers (run by bench/measurements/run.py, not by hand).

Serves, in one process and the same way (gevent's WSGI server, patched
first, as `python wsgi.py` does): the JointLab app with a seeded running trial
(seeding.py), and a bare Flask app whose only endpoint parses the same JSON and
stores the rows in one transaction, into a table shaped and indexed as
`measurements` (COPY on PostgreSQL, executemany on SQLite; bare_ingest.py).
Prints one JSON line with the ports and tokens, then serves until killed.

BENCH_SEED_READINGS=N first gives the trial N readings of the past (and the
bare table as many), in SQL (generate_series on PostgreSQL), with the running
aggregates they would have left: the same load then shows whether a batch
costs more on a trial that already holds a million.

With BENCH_PROFILE=yappi-cpu (CPU time, all threads) or yappi-wall, SIGUSR1
starts the profiler and SIGUSR2 stops it and writes `<BENCH_PROFILE_OUT>.N.pstat`
and a text summary `.N.txt` (N counts the phases), so run.py can profile each
load phase of the real server process. py-spy cannot attach on this machine.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
if __name__ == "__main__":
    # As `python wsgi.py`: gevent, patched before anything else is imported.
    from workspace import cooperative

    cooperative.patch()

import gc  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import re  # noqa: E402
import signal  # noqa: E402
import subprocess  # noqa: E402
import threading  # noqa: E402

from bare_ingest import bare_app  # noqa: E402
from seeding import seeded_app  # noqa: E402


def install_profiler(kind: str, out: str) -> None:
    """Profile phases on SIGUSR1 / SIGUSR2 (see the module docstring)."""
    import io
    import pstats

    import yappi

    yappi.set_clock_type("cpu" if kind == "yappi-cpu" else "wall")
    # Group threads by what they run ("Thread-7 (writer)" -> "Thread (writer)").
    yappi.set_context_name_callback(lambda: re.sub(r"-\d+", "", threading.current_thread().name))
    phase = [0]

    def start(*_args: object) -> None:
        yappi.clear_stats()
        yappi.start(builtins=False, profile_threads=True)

    def stop(*_args: object) -> None:
        yappi.stop()
        phase[0] += 1
        path = f"{out}.{phase[0]}.pstat"
        yappi.get_func_stats().save(path, type="pstat")
        text = io.StringIO()
        stats = pstats.Stats(path, stream=text).strip_dirs()
        for order in ("tottime", "cumulative"):
            text.write(f"==== by {order}\n")
            stats.sort_stats(order).print_stats(45)
        text.write("==== threads (CPU or wall seconds)\n")
        threads = sorted(yappi.get_thread_stats(), key=lambda t: -t.ttot)
        by_name: dict[str, list[float]] = {}
        for t in threads:
            by_name.setdefault(t.name, []).append(t.ttot)
        for name, times in sorted(by_name.items(), key=lambda kv: -sum(kv[1])):
            text.write(f"{name:<30} threads={len(times):<5} total={sum(times):.3f}s\n")
        Path(f"{out}.{phase[0]}.txt").write_text(text.getvalue())

    signal.signal(signal.SIGUSR1, start)
    signal.signal(signal.SIGUSR2, stop)


def main() -> None:
    import logging

    from workspace.server import make_server

    logging.getLogger("jointlab.server").setLevel(logging.CRITICAL)
    app, info, env = seeded_app()
    worker = start_worker(env) if env.get("REDIS_URL") else None
    if os.environ.get("BENCH_PROFILE"):
        install_profiler(
            os.environ["BENCH_PROFILE"],
            os.environ.get("BENCH_PROFILE_OUT", "/tmp/jl-bench-profile"),
        )
    # No access log in the timing.
    servers = {
        "app": make_server(app, "127.0.0.1", 0, 8 << 20, access_log=False),
        "bare": make_server(
            bare_app(env["DATABASE_URL"], info["trial_id"]),
            "127.0.0.1",
            0,
            8 << 20,
            access_log=False,
        ),
    }
    # As wsgi.py does once the app is built: what start-up made lives as
    # long as the process, out of the collector's reach.
    gc.freeze()
    for server in servers.values():
        server.start()
    info.update({f"{name}_port": server.server_port for name, server in servers.items()})
    print(json.dumps(info), flush=True)
    stopped = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_a: stopped.set())
    while not stopped.wait(0.5):
        pass
    if worker is not None:
        worker.terminate()
        worker.wait(20)


def start_worker(env: dict[str, str]) -> subprocess.Popen:
    """With Redis the outbox consumers run in an RQ worker, as deployed."""
    root = Path(__file__).resolve().parents[2]
    return subprocess.Popen(
        [sys.executable, "-m", "flask", "--app", "wsgi", "worker", "--no-scheduler"],
        cwd=root,
        env={**os.environ, **env},
        stdout=subprocess.DEVNULL,
    )


if __name__ == "__main__":
    main()
