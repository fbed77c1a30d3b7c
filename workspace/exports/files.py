"""The dashboard's columns as CSV and XLSX rows (pure: rows in, bytes out)."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from typing import Any

from workspace.safe_text import for_sheet


def flatten(row: dict[str, Any], words: dict[str, str] | None = None) -> list[Any]:
    """One sheet row; `words` puts statuses and yes/no in the reader's language."""
    t, n, m = row["latest_trial"], row["next_milestone"], row["milestones"]
    agreed = row["statement_agreed"]

    def word(value: str) -> str:
        return (words or {}).get(value, value)

    return [
        row["id"],
        row["title"],
        row["enterprise"]["name"],
        row["university"]["name"],
        word(row["status"]),
        "" if agreed is None else word("yes" if agreed else "no"),
        t["number"] if t else "",
        word(t["status"]) if t else "",
        word(t["outcome"]) if t else "",
        n["title"] if n else "",
        n["due_date"].isoformat() if n and n["due_date"] else "",
        m["reached"],
        m["open"],
        m["overdue"],
        m["missed"],
        "; ".join(f"{f['planned']} {f['currency']}" for f in row["funding"]),
        "; ".join(f"{f['released']} {f['currency']}" for f in row["funding"]),
    ]


Progress = Callable[[int], None]


def to_csv(
    rows: list[dict[str, Any]],
    headers: list[str],
    progress: Progress,
    words: dict[str, str] | None = None,
) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(headers)
    for i, row in enumerate(rows, 1):
        writer.writerow([for_sheet(v) for v in flatten(row, words)])
        progress(i)
    return ("\ufeff" + out.getvalue()).encode("utf-8")  # BOM: Excel reads UTF-8 Chinese


def to_xlsx(
    rows: list[dict[str, Any]],
    headers: list[str],
    progress: Progress,
    words: dict[str, str] | None = None,
) -> bytes:
    # local: openpyxl takes ~0.6 s to import; only an xlsx export needs it.
    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook(write_only=False)
    ws = wb.active
    ws.title = (words or {}).get("_sheet", "Portfolio")[:31]  # Excel's limit
    ws.append(headers)
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for i, row in enumerate(rows, 1):
        ws.append([for_sheet(v) for v in flatten(row, words)])
        progress(i)
    ws.freeze_panes = "A2"
    for column, width in zip(
        "ABCDEFGHIJKLMNOPQ",
        (8, 36, 24, 24, 10, 10, 8, 10, 10, 28, 12, 8, 8, 8, 8, 18, 18),
        strict=False,
    ):
        ws.column_dimensions[column].width = width
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()
