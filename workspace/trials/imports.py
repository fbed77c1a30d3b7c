"""A line system's export (CSV in UTF-8 or GB18030, or XLSX) → readings.

Parsing only: rows come out as the measurement service's rows, which stores
them (`ingest_writer.submit`): one ingestion path, one set of
rules. The csv module and openpyxl (read-only, streaming) do the reading;
the file is read row by row from a temp file, and the number of readings is
capped, so memory stays bounded by the cap, not by what was sent.

Layouts: long (`metric, value[, recorded_at][, source]`) or wide (optional
`recorded_at`, optional `source`, then one column per indicator key; an
empty cell is no reading). Errors name the file's line (`row N`).
"""

from __future__ import annotations

import codecs
import csv
import math
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from workspace.db import utcnow
from workspace.errors import AppError, PayloadTooLarge, ValidationFailed

MAX_READINGS = 100_000
MAX_ERRORS = 1000
PREVIEW_ROWS = 10
SNIFF = 64 * 1024
# XLSX is a zip: refuse one that would inflate past these before opening it.
MAX_XLSX_ENTRIES = 2000
MAX_XLSX_UNCOMPRESSED = 512 * 1024 * 1024
MAX_XLSX_RATIO = 200
LONG = {"metric", "value"}
OPTIONAL = {"recorded_at", "source"}


class UnsupportedType(AppError):
    status, code = 415, "unsupported_file_type"


@dataclass
class Parsed:
    layout: str
    columns: list[str]
    mapping: dict[str, str | None]  # column → indicator key (None: not a reading)
    preview: list[list[str]] = field(default_factory=list)
    rows: list[dict[str, Any]] = field(default_factory=list)
    errors: dict[str, str] = field(default_factory=dict)
    bad_rows: int = 0
    count: int = 0
    file_type: str = "csv"


def kind_of(path: str, name: str) -> str:
    with open(path, "rb") as fh:
        head = fh.read(SNIFF)
    lower = name.lower()
    if head.startswith(b"PK\x03\x04"):
        return "xlsx"
    if lower.endswith((".xlsx", ".xlsm")):
        raise ValidationFailed(
            "This .xlsx file is not a valid Excel workbook.",
            fields={"file": ["Not an XLSX (zip) file."]},
            code="bad_file",
        )
    if lower.endswith(".xls") or head.startswith(b"\xd0\xcf\x11\xe0"):
        raise UnsupportedType(
            "Old Excel (.xls) files are not supported: save as .xlsx or CSV.",
            fields={"file": ["Use CSV or XLSX."]},
        )
    if b"\x00" in head:
        raise UnsupportedType(
            "This file is binary, not a CSV text file; send CSV (UTF-8 or GB18030) or XLSX.",
            fields={"file": ["Binary, not CSV."]},
        )
    return "csv"


def parse_file(path: str, name: str, indicators: set[str], full: bool = True) -> Parsed:
    kind = kind_of(path, name)
    if kind == "xlsx":
        _check_zip(path)
        parsed = _parse(_xlsx_rows(path), indicators, full)
    else:
        parsed = _parse_csv(path, indicators, full)
    parsed.file_type = kind
    return parsed


# ------------------------------------------------------------------ sources of rows
def _parse_csv(path: str, indicators: set[str], full: bool) -> Parsed:
    with open(path, "rb") as fh:
        bom = fh.read(3) == codecs.BOM_UTF8
    encodings = ["utf-8-sig"] if bom else ["utf-8", "gb18030"]
    for encoding in encodings:
        try:
            return _parse(_csv_rows(path, encoding), indicators, full)
        except UnicodeDecodeError:
            continue
    raise ValidationFailed(
        "This CSV is neither UTF-8 nor GB18030 text.",
        fields={"file": ["Unknown text encoding."]},
        code="bad_encoding",
    )


def _csv_rows(path: str, encoding: str) -> Iterator[tuple[int, list[Any]]]:
    with open(path, encoding=encoding, newline="") as fh:
        sample = fh.read(SNIFF)
        fh.seek(0)
        try:
            dialect: Any = csv.Sniffer().sniff(sample, delimiters=",;\t")
        except csv.Error:
            dialect = csv.excel
        reader = csv.reader(fh, dialect)
        try:
            for row in reader:
                yield reader.line_num, row
        except csv.Error as err:
            raise ValidationFailed(
                f"The CSV cannot be read at line {reader.line_num}: {err}.",
                fields={f"row {reader.line_num}": str(err)},
                code="bad_csv",
            ) from None


def _check_zip(path: str) -> None:
    try:
        with zipfile.ZipFile(path) as zf:
            entries = zf.infolist()
    except (zipfile.BadZipFile, OSError):
        raise ValidationFailed(
            "This file is not a valid XLSX workbook.",
            fields={"file": ["Not a readable XLSX."]},
            code="bad_file",
        ) from None
    total = sum(e.file_size for e in entries)
    ratios = [e.file_size / max(e.compress_size, 1) for e in entries if e.file_size > 1 << 20]
    if (
        len(entries) > MAX_XLSX_ENTRIES
        or total > MAX_XLSX_UNCOMPRESSED
        or any(r > MAX_XLSX_RATIO for r in ratios)
    ):
        raise ValidationFailed(
            "This workbook would expand far beyond its size when opened (a zip bomb?); "
            "it was not opened.",
            fields={"file": ["Refused: expands too much."]},
            code="zip_bomb",
        )


def _unreadable_workbook(err: Exception) -> ValidationFailed:
    return ValidationFailed(
        f"This workbook cannot be read: {err}.",
        fields={"file": ["Not a readable XLSX."]},
        code="bad_file",
    )


def _xlsx_rows(path: str) -> Iterator[tuple[int, list[Any]]]:
    # local: openpyxl takes ~0.6 s to import; only an xlsx import needs it.
    import openpyxl
    from openpyxl.utils.exceptions import InvalidFileException

    # A file object: given a path, openpyxl judges by the extension, and
    # staging files have none.
    fh = open(path, "rb")  # noqa: SIM115 - closed in the finally below, after the rows
    try:
        wb = openpyxl.load_workbook(fh, read_only=True, data_only=True)
    except (InvalidFileException, KeyError, ValueError, zipfile.BadZipFile, OSError) as err:
        fh.close()
        raise _unreadable_workbook(err) from None
    try:
        sheet = wb.worksheets[0]
        for number, row in enumerate(sheet.iter_rows(values_only=True), start=1):
            yield number, list(row)
    except Exception as err:  # a damaged sheet: openpyxl raises many kinds
        raise _unreadable_workbook(err) from None
    finally:
        wb.close()
        fh.close()


# ------------------------------------------------------------------ rows → readings
def _text(cell: Any) -> str:
    return "" if cell is None else str(cell).strip()


def _parse(source: Iterator[tuple[int, list[Any]]], indicators: set[str], full: bool) -> Parsed:
    header_line, header = 0, None
    for line, row in source:
        if any(_text(c) for c in row):
            header_line, header = line, [_text(c) for c in row]
            break
    if header is None:
        raise ValidationFailed(
            "The file has no rows.", fields={"file": ["Empty."]}, code="empty_file"
        )
    # Indicator keys are lower case: a header `Tensile_MPa` means `tensile_mpa`.
    columns = [h.lstrip("\ufeff").strip().lower() for h in header]
    parsed = _layout(columns, indicators, header_line)
    now = utcnow()
    count = 0
    for line, row in source:
        cells = [*row, *[None] * (len(columns) - len(row))]
        if not any(_text(c) for c in cells):
            continue
        if len(parsed.preview) < PREVIEW_ROWS:
            parsed.preview.append([_text(c) for c in cells[: len(columns)]])
        try:
            readings = _readings(parsed, columns, cells, indicators, now)
        except ValueError as err:
            parsed.bad_rows += 1
            if len(parsed.errors) < MAX_ERRORS:
                parsed.errors[f"row {line}"] = str(err)
            continue
        count += len(readings)
        if count > MAX_READINGS:
            raise PayloadTooLarge(
                f"An import holds at most {MAX_READINGS:,} readings; this file has more. Split it.",
                fields={"file": [f"More than {MAX_READINGS:,} readings."]},
            )
        # A preview checks every row too (bad lines show before anything is
        # stored) but keeps none of them.
        if full:
            parsed.rows.extend(readings)
    if count == 0 and not parsed.errors:
        raise ValidationFailed(
            "The file has a header but no readings.",
            fields={"file": ["No readings."]},
            code="empty_file",
        )
    parsed.count = count
    return parsed


def _layout(columns: list[str], indicators: set[str], line: int) -> Parsed:
    if set(columns) >= LONG:
        unknown = [c for c in columns if c not in LONG | OPTIONAL]
        if unknown:
            raise _bad_columns(unknown, line, indicators, long=True)
        return Parsed("long", columns, {c: None for c in columns})
    unknown = [c for c in columns if c not in indicators and c not in OPTIONAL]
    if unknown or not any(c in indicators for c in columns):
        raise _bad_columns(unknown or columns, line, indicators, long=False)
    if len(set(columns)) != len(columns):
        raise ValidationFailed(
            "A column appears twice in the header.", fields={f"row {line}": "Duplicate column."}
        )
    return Parsed("wide", columns, {c: (c if c in indicators else None) for c in columns})


def _bad_columns(
    unknown: list[str], line: int, indicators: set[str], long: bool
) -> ValidationFailed:
    keys = ", ".join(sorted(indicators)) or "none defined yet"
    if long:
        problem = (
            f"Unknown columns {', '.join(unknown)}: the long layout has metric, value, "
            "recorded_at, source."
        )
    else:
        problem = (
            f"Columns {', '.join(c or '(empty)' for c in unknown)} are not indicator "
            f"keys ({keys}); or use the long layout: metric, value[, recorded_at, "
            "source]."
        )
    return ValidationFailed(problem, fields={f"row {line}": problem}, code="bad_columns")


def _number(cell: Any) -> float:
    if isinstance(cell, bool):
        raise ValueError("not a number")
    if isinstance(cell, int | float):
        value = float(cell)
    else:
        raw = _text(cell)
        try:
            value = float(raw)
        except ValueError:
            raise ValueError(f"`{raw}` is not a number") from None
    if not math.isfinite(value):
        raise ValueError("must be a finite number (not NaN or Infinity)")
    return value


def _time(cell: Any, now: datetime) -> datetime:
    if cell is None or _text(cell) == "":
        return now
    if isinstance(cell, datetime):
        # Excel stores no zone: its times are taken as UTC.
        return cell if cell.tzinfo else cell.replace(tzinfo=UTC)
    if isinstance(cell, date):
        return datetime(cell.year, cell.month, cell.day, tzinfo=UTC)
    raw = _text(cell)
    try:
        parsed = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(f"recorded_at `{raw}` is not an ISO-8601 time") from None
    if parsed.tzinfo is None:
        raise ValueError(f"recorded_at `{raw}` has no time zone (e.g. 2026-01-31T08:00:00Z)")
    return parsed


def _source(cell: Any) -> str | None:
    raw = _text(cell)
    if len(raw) > 200:
        raise ValueError("source is longer than 200 characters")
    return raw or None


def _readings(
    parsed: Parsed, columns: list[str], cells: list[Any], indicators: set[str], now: datetime
) -> list[dict[str, Any]]:
    values = dict(zip(columns, cells, strict=False))
    at = _time(values.get("recorded_at"), now)
    source = _source(values.get("source"))
    if parsed.layout == "long":
        metric = _text(values.get("metric"))
        if not metric:
            raise ValueError("metric is empty")
        if metric not in indicators:
            raise ValueError(f"`{metric}` is not an indicator key")
        if _text(values.get("value")) == "":
            raise ValueError("value is empty")
        return [
            {
                "metric": metric,
                "value": _number(values["value"]),
                "recorded_at": at,
                "source": source,
            }
        ]
    out = []
    problems = []
    for column, key in parsed.mapping.items():
        if key is None or _text(values.get(column)) == "":
            continue
        try:
            out.append(
                {
                    "metric": key,
                    "value": _number(values[column]),
                    "recorded_at": at,
                    "source": source,
                }
            )
        except ValueError as err:
            problems.append(f"{column}: {err}")
    if problems:
        raise ValueError("; ".join(problems))
    if not out:
        raise ValueError("no readings in this row")
    return out
