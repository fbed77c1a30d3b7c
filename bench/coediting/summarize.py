"""Markdown tables from bench.py's JSON lines.
Usage: python bench/coediting/summarize.py bench/coediting/results/*.jsonl"""

from __future__ import annotations

import json
import sys
from collections import defaultdict
from pathlib import Path

NAMES = {"py": "JointLab", "sio": "Node socket.io", "yws": "y-websocket"}


def label(row: dict) -> str:
    name = NAMES[row["server"]]
    if row["server"] == "py":
        name += " (PostgreSQL + Redis)" if row["backend"] == "pg" else " (SQLite)"
    return name


def fmt(x: float | None) -> str:
    if x is None:
        return "–"
    return f"{x:.0f}" if x >= 100 else f"{x:.1f}" if x >= 10 else f"{x:.2f}"


def ratio(a: float | None, b: float | None) -> str:
    if not a or not b:
        return "–"
    r = a / b
    return f"{r:.1f}×" if r >= 1 else f"{r:.2f}×"


def vs(a: float | None, b: float | None) -> str:
    return "did not keep up" if a is None else ratio(a, b)


def kept_up(r: dict) -> bool:
    return r.get("delivered") == r.get("expected") and r["updates_per_s"] >= 0.95 * r["rate"]


def fanout(rows: list[dict]) -> None:
    by: dict[tuple[int, str], list[dict]] = defaultdict(list)
    for r in rows:
        by[(r["clients"], label(r))].append(r)
    print(
        "| N | server | rounds: p50 ms | p99 ms | ack p50 ms | delivered / expected | "
        "updates/s | server CPU (cores) | others' load before (cores) | "
        "best p50 vs Node socket.io | vs y-websocket |"
    )
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for n in sorted({k[0] for k in by}):
        # Ratios compare the best round of each, among rounds that kept up.
        best = {
            lab: min((r["p50_ms"] for r in rs if kept_up(r)), default=None)
            for (m, lab), rs in by.items()
            if m == n
        }
        for (m, lab), rs in sorted(by.items()):
            if m != n:
                continue
            delivered = " / ".join(f"{r['delivered']}/{r['expected']}" for r in rs)
            print(
                f"| {n} | {lab} | {' / '.join(fmt(r['p50_ms']) for r in rs)} | "
                f"{' / '.join(fmt(r['p99_ms']) for r in rs)} | "
                f"{' / '.join(fmt(r.get('ack_p50_ms')) for r in rs)} | {delivered} | "
                f"{' / '.join(fmt(r['updates_per_s']) for r in rs)} | "
                f"{' / '.join(fmt(r['server_cpu']) for r in rs)} | "
                f"{' / '.join(fmt(r['others_busy_before']) for r in rs)} | "
                f"{vs(best[lab], best.get('Node socket.io'))} | "
                f"{vs(best[lab], best.get('y-websocket'))} |"
            )


def ramp(rows: list[dict]) -> None:
    by: dict[tuple[int, str], list[dict]] = defaultdict(list)
    for r in rows:
        by[(r["clients"], label(r))].append(r)
    print(
        "| N | server | max sustained updates/s | deliveries/s | p50 / p99 ms there | "
        "server CPU there | first rate not kept up (p50 ms, delivered, lag ms) | "
        "vs Node socket.io | vs y-websocket |"
    )
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for n in sorted({k[0] for k in by}):
        best: dict[str, dict | None] = {}
        for (m, lab), rs in by.items():
            if m == n:
                ok = [r for r in rs if r.get("sustained")]
                best[lab] = max(ok, key=lambda r: r["rate"]) if ok else None
        for (m, lab), rs in sorted(by.items()):
            if m != n:
                continue
            b = best[lab]
            failed = [
                r
                for r in rs
                if not r.get("sustained")
                and not any(o.get("sustained") and o["rate"] == r["rate"] for o in rs)
            ]
            fail = failed[-1] if failed else None
            fail_s = (
                f"{fail['rate']} ({fmt(fail['p50_ms'])}, {fail['delivered']}/"
                f"{fail['expected']}, {fail['lag_ms']})"
                if fail
                else "none up to the top"
            )
            rate = b["rate"] if b else None
            peers = {k: (v["rate"] if v else None) for k, v in best.items()}
            print(
                f"| {n} | {lab} | {rate if b else '< ' + str(min(r['rate'] for r in rs))} | "
                f"{rate * (n - 1) if b else '–'} | "
                f"{fmt(b['p50_ms']) + ' / ' + fmt(b['p99_ms']) if b else '–'} | "
                f"{fmt(b['server_cpu']) if b else '–'} | {fail_s} | "
                f"{ratio(rate, peers.get('Node socket.io'))} | "
                f"{ratio(rate, peers.get('y-websocket'))} |"
            )


def memory(rows: list[dict]) -> None:
    """Per connection: (RSS with 500 connections in one document - RSS before) / 500.
    Per document: (RSS with 100 open documents - before - the connections that
    held them x per connection) / 100."""
    conns: dict[str, list[float]] = defaultdict(list)
    for r in rows:
        if r["phase"] == "conns":
            conns[label(r)].append(r["per_item_kb"])
    per_conn = {lab: min(v) for lab, v in conns.items()}
    docs: dict[str, list[float]] = defaultdict(list)
    base: dict[str, list[int]] = defaultdict(list)
    held: dict[str, int] = {}
    for r in rows:
        base[label(r)].append(r["rss_before_kb"])
        if r["phase"] == "docs":
            c = per_conn.get(label(r), 0.0)
            docs[label(r)].append(
                (r["rss_during_kb"] - r["rss_before_kb"] - r["connections"] * c) / r["count"]
            )
            held[label(r)] = r["connections"]
    per_doc = {lab: min(v) for lab, v in docs.items()}
    print(
        "| server | idle RSS MB | per connection KB (500 in one document) | "
        "per open document KB (100 documents) | connections holding the 100 | "
        "per connection vs Node socket.io / y-websocket | "
        "per document vs Node socket.io / y-websocket |"
    )
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for lab in sorted(base):
        c, d = per_conn.get(lab), per_doc.get(lab)
        print(
            f"| {lab} | {min(base[lab]) / 1024:.0f} | "
            f"{' / '.join(fmt(x) for x in conns[lab])} | "
            f"{' / '.join(fmt(x) for x in docs[lab])} | {held.get(lab, '–')} | "
            f"{ratio(c, per_conn.get('Node socket.io'))} / "
            f"{ratio(c, per_conn.get('y-websocket'))} | "
            f"{ratio(d, per_doc.get('Node socket.io'))} / "
            f"{ratio(d, per_doc.get('y-websocket'))} |"
        )


def main() -> None:
    rows = [
        json.loads(line)
        for path in sys.argv[1:]
        for line in Path(path).read_text().splitlines()
        if line.strip()
    ]
    for kind, func in (("fanout", fanout), ("ramp", ramp), ("memory", memory)):
        chosen = [r for r in rows if r.get("kind") == kind and "error" not in r]
        if chosen:
            print(f"\n### {kind}\n")
            func(chosen)


if __name__ == "__main__":
    main()
