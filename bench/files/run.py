"""Files benchmark (run by hand; not part of the tests).

    python bench/files/run.py [--mb 200] [--readings 100000] [--rounds 3]
    BENCH_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1/jl_bench python bench/files/run.py

1. Upload and download of one random file (200 MB) through the real HTTP
   API, against `cp` of the same file on the same disk (target: ≥ 0.3× cp).
   The client is curl (streams the multipart body from disk, the download to
   disk), so the client's own cost is small; the server's CPU seconds and
   peak RSS are reported (the upload never sits in its memory).
2. Import of 100,000 readings (one CSV, one request) against POSTing the
   same readings as JSON batches of 10,000 (target: import ≥ 0.8× as fast).
   Each run writes into a fresh running trial.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CHUNK = 1024 * 1024
METRICS = ("porosity_scrap_pct", "cycle_time_s", "tensile_mpa")


def start_server() -> tuple[subprocess.Popen, dict]:
    proc = subprocess.Popen(
        [sys.executable, str(ROOT / "bench/files/server.py")],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        cwd=ROOT,
    )
    line = proc.stdout.readline()
    if not line:
        raise SystemExit("benchmark server failed to start")
    return proc, json.loads(line)


def cpu_seconds(pid: int) -> float:
    """User + system CPU of a process (Linux /proc): steadier than wall time
    on a machine whose other tenants take most of the two cores."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def cpu_of(pid: int | None) -> float:
    """CPU seconds of `pid` (None: this process and its finished children)."""
    if pid is not None:
        return cpu_seconds(pid)
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


class Client:
    def __init__(self, port: int, token: str) -> None:
        self.port, self.token = port, token

    def conn(self) -> http.client.HTTPConnection:
        return http.client.HTTPConnection("127.0.0.1", self.port, timeout=600)

    def json(self, method: str, path: str, body: object | None = None) -> tuple[int, object]:
        c = self.conn()
        data = None if body is None else json.dumps(body).encode()
        c.request(
            method,
            "/api/v1" + path,
            body=data,
            headers={"Authorization": f"Bearer {self.token}", "Content-Type": "application/json"},
        )
        resp = c.getresponse()
        raw = resp.read()
        c.close()
        return resp.status, (json.loads(raw) if raw else None)

    def upload(self, path: str, file: Path, name: str) -> tuple[int, object]:
        boundary = uuid.uuid4().hex
        head = (
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; '
            f'filename="{name}"\r\nContent-Type: application/octet-stream\r\n\r\n'
        ).encode()
        tail = f"\r\n--{boundary}--\r\n".encode()
        size = len(head) + file.stat().st_size + len(tail)

        def body():  # noqa: ANN202
            yield head
            with file.open("rb") as fh:
                while chunk := fh.read(CHUNK):
                    yield chunk
            yield tail

        c = self.conn()
        c.request(
            "POST",
            "/api/v1" + path,
            body=body(),
            headers={
                "Authorization": f"Bearer {self.token}",
                "Content-Length": str(size),
                "Content-Type": f"multipart/form-data; boundary={boundary}",
            },
        )
        resp = c.getresponse()
        raw = resp.read()
        c.close()
        return resp.status, json.loads(raw)

    def curl_upload(self, path: str, file: Path, name: str) -> tuple[int, object]:
        out = subprocess.run(
            [
                "curl",
                "-s",
                "-w",
                "\n%{http_code}",
                "-H",
                f"Authorization: Bearer {self.token}",
                "-F",
                f"file=@{file};filename={name}",
                f"http://127.0.0.1:{self.port}/api/v1{path}",
            ],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        body, status = out.rsplit("\n", 1)
        return int(status), json.loads(body)

    def curl_download(self, path: str, target: Path) -> int:
        out = subprocess.run(
            [
                "curl",
                "-s",
                "-o",
                str(target),
                "-w",
                "%{http_code}",
                "-H",
                f"Authorization: Bearer {self.token}",
                f"http://127.0.0.1:{self.port}/api/v1{path}",
            ],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        return int(out)

    def download(self, path: str, target: Path) -> int:
        c = self.conn()
        c.request("GET", "/api/v1" + path, headers={"Authorization": f"Bearer {self.token}"})
        resp = c.getresponse()
        with target.open("wb") as out:
            while chunk := resp.read(CHUNK):
                out.write(chunk)
        c.close()
        return resp.status


def running_trial(client: Client, ws_id: int) -> int:
    status, t = client.json("POST", f"/workspaces/{ws_id}/trials", {"title": "bench"})
    assert status == 201, t
    status, t = client.json("PATCH", f"/trials/{t['id']}", {"status": "running"})
    assert status == 200, t
    return t["id"]


def bench_files(client: Client, info: dict, pid: int, mb: int, rounds: int, work: Path) -> dict:
    src = work / "src.bin"
    with src.open("wb") as fh:
        for _ in range(mb):
            fh.write(os.urandom(CHUNK))
    size = src.stat().st_size
    cp, up, down = [], [], []
    cpu: dict[str, list[float]] = {"cp": [], "upload_server": [], "download_server": []}
    for i in range(rounds):
        dst = work / f"cp-{i}.bin"
        t0, c0 = time.perf_counter(), cpu_of(None)
        subprocess.run(["cp", str(src), str(dst)], check=True)
        cp.append(time.perf_counter() - t0)
        cpu["cp"].append(cpu_of(None) - c0)
        dst.unlink()
        # Each round a different file (one byte changed): no dedupe shortcut.
        with src.open("r+b") as fh:
            fh.seek(0)
            fh.write(bytes([i % 256]))
        t0, c0 = time.perf_counter(), cpu_of(pid)
        status, f = client.curl_upload(
            f"/workspaces/{info['workspace_id']}/files", src, f"run{i}.bin"
        )
        up.append(time.perf_counter() - t0)
        cpu["upload_server"].append(cpu_of(pid) - c0)
        assert status == 201, f
        got = work / f"down-{i}.bin"
        t0, c0 = time.perf_counter(), cpu_of(pid)
        assert client.curl_download(f"/files/{f['id']}/content", got) == 200
        down.append(time.perf_counter() - t0)
        cpu["download_server"].append(cpu_of(pid) - c0)
        assert got.stat().st_size == size
        got.unlink()
    med = {k: statistics.median(v) for k, v in (("cp", cp), ("upload", up), ("download", down))}
    mbps = {k: size / v / 1e6 for k, v in med.items()}
    return {
        "bytes": size,
        "seconds": {"cp": cp, "upload": up, "download": down},
        "cpu_seconds": cpu,
        "MB_per_s_median": mbps,
        "upload_vs_cp": mbps["upload"] / mbps["cp"],
        "download_vs_cp": mbps["download"] / mbps["cp"],
        "server_MB_per_cpu_s": {
            "upload": size / statistics.median(cpu["upload_server"]) / 1e6,
            "download": size / statistics.median(cpu["download_server"]) / 1e6,
        },
        "server_peak_rss_mb": peak_rss_mb(pid),
    }


def bench_import(client: Client, info: dict, readings: int, rounds: int, work: Path) -> dict:
    rows = [(METRICS[i % 3], round(1 + (i % 97) / 100, 3)) for i in range(readings)]
    imports, batches = [], []
    pid = info["pid"]
    cpu: dict[str, list[float]] = {"import": [], "batches": []}
    for r in range(rounds):
        csv = work / f"readings-{r}.csv"
        with csv.open("w") as fh:
            fh.write("metric,value,source\n")
            for metric, value in rows:
                fh.write(f"{metric},{value},run{r}\n")
        trial = running_trial(client, info["workspace_id"])
        t0, c0 = time.perf_counter(), cpu_of(pid)
        status, body = client.upload(f"/trials/{trial}/measurements/import", csv, csv.name)
        imports.append(time.perf_counter() - t0)
        cpu["import"].append(cpu_of(pid) - c0)
        assert status == 201 and body["count"] == readings, body
        trial = running_trial(client, info["workspace_id"])
        t0, c0 = time.perf_counter(), cpu_of(pid)
        for start in range(0, readings, 10_000):
            status, body = client.json(
                "POST",
                f"/trials/{trial}/measurements",
                [
                    {"metric": m, "value": v, "source": f"run{r}"}
                    for m, v in rows[start : start + 10_000]
                ],
            )
            assert status == 201, body
        batches.append(time.perf_counter() - t0)
        cpu["batches"].append(cpu_of(pid) - c0)
    med_import, med_batches = statistics.median(imports), statistics.median(batches)
    return {
        "readings": readings,
        "seconds": {"import": imports, "batches": batches},
        "server_cpu_seconds": cpu,
        "readings_per_s_median": {
            "import": readings / med_import,
            "batches_of_10000": readings / med_batches,
        },
        "import_vs_batches": med_batches / med_import,
        "import_vs_batches_by_server_cpu": statistics.median(cpu["batches"])
        / statistics.median(cpu["import"]),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--mb", type=int, default=200)
    parser.add_argument("--readings", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    proc, info = start_server()
    work = Path(tempfile.mkdtemp(prefix="jl-bench-files-", dir=ROOT / "bench/files"))
    try:
        info["pid"] = proc.pid
        client = Client(info["port"], info["token"])
        result = {
            "database": "postgresql" if os.environ.get("BENCH_DATABASE_URL") else "sqlite",
            "files": bench_files(client, info, proc.pid, args.mb, args.rounds, work),
            "import": bench_import(client, info, args.readings, args.rounds, work),
        }
        print(json.dumps(result, indent=2))
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
