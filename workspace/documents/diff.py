"""Text differences: the minimal edit that turns one text into another (for
server-side CRDT edits), and the unified diff people read between versions.

All positions here are Python code points; crdt.py converts them to the unit
the CRDT library counts in.
"""

from __future__ import annotations

import difflib
import re
from typing import Any

Edit = tuple[int, int, str]  # replace old[start:end] with the string

# SequenceMatcher is quadratic in the worst case; beyond this many code points
# on both sides a changed region is diffed line by line first, then per line.
CHAR_DIFF_LIMIT = 4000


def minimal_edits(old: str, new: str) -> list[Edit]:
    """Non-overlapping edits in ascending order; applying them from the last to
    the first turns `old` into `new` and leaves the unchanged text untouched,
    so a live editor's cursor in it stays where it is."""
    if old == new:
        return []
    prefix = _common_prefix(old, new)
    suffix = _common_suffix(old[prefix:], new[prefix:])
    old_mid = old[prefix : len(old) - suffix]
    new_mid = new[prefix : len(new) - suffix]
    return [(prefix + a, prefix + b, s) for a, b, s in _diff(old_mid, new_mid)]


def _common_prefix(a: str, b: str) -> int:
    n = min(len(a), len(b))
    i = 0
    while i < n and a[i] == b[i]:
        i += 1
    return i


def _common_suffix(a: str, b: str) -> int:
    n = min(len(a), len(b))
    i = 0
    while i < n and a[-1 - i] == b[-1 - i]:
        i += 1
    return i


def _diff(old: str, new: str) -> list[Edit]:
    if not old or not new:
        return [(0, len(old), new)]
    if len(old) <= CHAR_DIFF_LIMIT and len(new) <= CHAR_DIFF_LIMIT:
        return _char_diff(old, new)
    return _line_diff(old, new)


def _char_diff(old: str, new: str) -> list[Edit]:
    matcher = difflib.SequenceMatcher(None, old, new, autojunk=False)
    return [(i1, i2, new[j1:j2]) for tag, i1, i2, j1, j2 in matcher.get_opcodes() if tag != "equal"]


def _line_diff(old: str, new: str) -> list[Edit]:
    old_lines = old.splitlines(keepends=True)
    new_lines = new.splitlines(keepends=True)
    old_starts = _starts(old_lines)
    new_starts = _starts(new_lines)
    matcher = difflib.SequenceMatcher(None, old_lines, new_lines, autojunk=False)
    edits: list[Edit] = []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            continue
        a0, a1 = old_starts[i1], old_starts[i2]
        b0, b1 = new_starts[j1], new_starts[j2]
        a, b = old[a0:a1], new[b0:b1]
        if tag == "replace" and len(a) <= CHAR_DIFF_LIMIT and len(b) <= CHAR_DIFF_LIMIT:
            edits.extend((a0 + x, a0 + y, s) for x, y, s in _char_diff(a, b))
        else:
            edits.append((a0, a1, b))
    return edits


def _starts(lines: list[str]) -> list[int]:
    starts = [0]
    for line in lines:
        starts.append(starts[-1] + len(line))
    return starts


def apply_edits(old: str, edits: list[Edit]) -> str:
    """The text the edits produce (what the CRDT must end up holding)."""
    out = old
    for start, end, replacement in reversed(edits):
        out = out[:start] + replacement + out[end:]
    return out


def unified(old: str, new: str, from_label: str, to_label: str) -> str:
    lines = difflib.unified_diff(
        old.splitlines(keepends=True),
        new.splitlines(keepends=True),
        fromfile=from_label,
        tofile=to_label,
        n=3,
    )
    # A last line without a newline would run into the next one, as in `diff`.
    return "".join(
        line if line.endswith("\n") else line + "\n\\ No newline at end of file\n" for line in lines
    )


# ------------------------------------------------------------------ side by side
# A changed line is compared token by token: a word (a run of letters or digits
# that are not CJK), one CJK character (Chinese and Japanese have no spaces, so
# a "word" would be the whole sentence), a number with its decimal point or
# separators (4.2 against 1.4 is one change, not a shared "."), a run of
# blanks, or any other character.
_CJK = (
    "\u2e80-\u2fdf\u3040-\u30ff\u3100-\u31ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af"
    "\uf900-\ufaff\uff00-\uffef"
)
_TOKEN = re.compile(rf"[{_CJK}]|\d+(?:[.,:]\d+)+|[^\W{_CJK}]+|\s+|.", re.DOTALL)
# Token pairs beyond this many on both sides are shown as wholly changed:
# SequenceMatcher is quadratic and one pasted line can be very long.
TOKEN_DIFF_LIMIT = 3000
# Above this similarity a changed pair shows what changed inside it; below,
# the lines have little in common and highlighting every piece is noise.
INTRA_LINE_RATIO = 0.3

Part = dict[str, Any]  # {"text": str, "changed": bool}
Row = dict[str, Any]


def tokens(line: str) -> list[str]:
    return _TOKEN.findall(line)


def _parts(pieces: list[tuple[str, bool]]) -> list[Part]:
    out: list[Part] = []
    for text, changed in pieces:
        if not text:
            continue
        if out and out[-1]["changed"] == changed:
            out[-1]["text"] += text
        else:
            out.append({"text": text, "changed": changed})
    return out


def intra_line(old: str, new: str) -> tuple[list[Part], list[Part]]:
    """What changed inside a pair of lines, as runs marked changed or not."""
    a, b = tokens(old), tokens(new)
    whole = (
        [{"text": old, "changed": True}] if old else [],
        [{"text": new, "changed": True}] if new else [],
    )
    if len(a) > TOKEN_DIFF_LIMIT or len(b) > TOKEN_DIFF_LIMIT:
        return whole
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    if matcher.ratio() < INTRA_LINE_RATIO:
        return whole
    left: list[tuple[str, bool]] = []
    right: list[tuple[str, bool]] = []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        left.append(("".join(a[i1:i2]), tag != "equal"))
        right.append(("".join(b[j1:j2]), tag != "equal"))
    return _parts(left), _parts(right)


def _side(n: int, parts: list[Part]) -> dict[str, Any]:
    return {"n": n, "parts": parts}


def _plain(n: int, line: str) -> dict[str, Any]:
    return _side(n, [{"text": line, "changed": False}] if line else [])


def side_by_side(old: str, new: str, context: int = 3) -> list[dict[str, Any]]:
    """Hunks of aligned rows, old on the left and new on the right, with
    `context` unchanged lines around each change. Each row is `equal`,
    `change` (a pair, with intra-line parts), `delete` (left only) or
    `insert` (right only); line numbers start at 1. Text stays text: the
    page puts it in with textContent."""
    a, b = old.splitlines(), new.splitlines()
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    hunks = []
    for group in matcher.get_grouped_opcodes(context):
        rows: list[Row] = []
        for tag, i1, i2, j1, j2 in group:
            if tag == "equal":
                rows += [
                    {"kind": "equal", "old": _plain(i + 1, a[i]), "new": _plain(j + 1, b[j])}
                    for i, j in zip(range(i1, i2), range(j1, j2), strict=True)
                ]
                continue
            pairs = min(i2 - i1, j2 - j1) if tag == "replace" else 0
            for k in range(pairs):
                left, right = intra_line(a[i1 + k], b[j1 + k])
                rows.append(
                    {
                        "kind": "change",
                        "old": _side(i1 + k + 1, left),
                        "new": _side(j1 + k + 1, right),
                    }
                )
            rows += [
                {
                    "kind": "delete",
                    "old": _side(i + 1, [{"text": a[i], "changed": True}] if a[i] else []),
                    "new": None,
                }
                for i in range(i1 + pairs, i2)
            ]
            rows += [
                {
                    "kind": "insert",
                    "old": None,
                    "new": _side(j + 1, [{"text": b[j], "changed": True}] if b[j] else []),
                }
                for j in range(j1 + pairs, j2)
            ]
        first = group[0]
        hunks.append({"old_start": first[1] + 1, "new_start": first[3] + 1, "rows": rows})
    return hunks
