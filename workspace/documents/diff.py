"""Text differences: the minimal edit that turns one text into another (for
server-side CRDT edits), and the unified diff people read between versions.

All positions here are Python code points; crdt.py converts them to the unit
the CRDT library counts in.
"""

from __future__ import annotations

import difflib

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
    old_mid = old[prefix:len(old) - suffix]
    new_mid = new[prefix:len(new) - suffix]
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
    return [(i1, i2, new[j1:j2]) for tag, i1, i2, j1, j2 in matcher.get_opcodes()
            if tag != "equal"]


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
        old.splitlines(keepends=True), new.splitlines(keepends=True),
        fromfile=from_label, tofile=to_label, n=3,
    )
    # A last line without a newline would run into the next one, as in `diff`.
    return "".join(
        line if line.endswith("\n") else line + "\n\\ No newline at end of file\n"
        for line in lines
    )
