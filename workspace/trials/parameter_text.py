"""The "name = value" lines people type for a trial's parameters.

The page and the API read them with the same rules, and every line that cannot be
read is reported by its number: a silently dropped line is a parameter the
line never ran with, recorded as if it had.
"""

from __future__ import annotations

import math
import re
from typing import Any

_INTEGER = re.compile(r"^[+-]?\d{1,15}$")


def parse_value(raw: str) -> Any:
    """A number when the text is one (finite), else the text itself."""
    if _INTEGER.match(raw):
        return int(raw)
    try:
        number = float(raw)
    except ValueError:
        return raw
    return number if math.isfinite(number) else raw


def parse_lines(text: str) -> tuple[dict[str, Any], list[str]]:
    """Parameters and the problems, one message per unreadable line ("line N: …").
    Blank lines are fine; everything else must be `name = value`."""
    out: dict[str, Any] = {}
    problems: list[str] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        name, sep, raw = line.partition("=")
        name, raw = name.strip(), raw.strip()
        if not sep:
            problems.append(f"line {number}: no “=”; write name = value.")
        elif not name:
            problems.append(f"line {number}: the name before “=” is missing.")
        elif len(name) > 64:
            problems.append(f"line {number}: the name is longer than 64 characters.")
        elif not raw:
            problems.append(f"line {number}: {name} has no value after “=”.")
        elif len(raw) > 500:
            problems.append(f"line {number}: the value of {name} is longer than 500 characters.")
        elif name in out:
            problems.append(f"line {number}: {name} is given twice.")
        else:
            out[name] = parse_value(raw)
    return out, problems
