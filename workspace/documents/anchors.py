"""Comment anchors that follow the text: a quote with its context and where it
was (the W3C Web Annotation TextQuote + TextPosition selectors), found again
in the current text when comments are read. Code points throughout.

Why not Yjs relative positions: pycrdt's StickyIndex mixes units when the
text is not ASCII (it adds the UTF-8 length of the blocks before the
position to a UTF-16 offset inside the block), so on Chinese text it points
at the wrong place or panics. A quote is found again wherever edits elsewhere
moved it, and its context finds the range when the quote itself was edited.
"""

from __future__ import annotations

from dataclasses import dataclass

CONTEXT = 32  # characters of context kept on each side
MAX_CANDIDATES = 200
NEAR = 12  # characters of context that locate an edited quote


@dataclass(frozen=True)
class Selector:
    start: int
    end: int
    quote: str
    prefix: str
    suffix: str


def make_selector(text: str, start: int, end: int) -> Selector:
    return Selector(
        start,
        end,
        text[start:end],
        text[max(0, start - CONTEXT) : start],
        text[end : end + CONTEXT],
    )


def resolve(text: str, sel: Selector) -> tuple[int, int, bool]:
    """(start, end, found): where the anchor is now; when neither the quote nor
    its context can be found, the old position clamped, with found False."""
    quoted = _best_quote(text, sel) if sel.quote else None
    if quoted is not None and quoted[1]:
        return quoted[0], quoted[0] + len(sel.quote), True
    between = _between_context(text, sel)
    if (
        quoted is not None
        and between is not None
        and between[0] <= quoted[0] <= quoted[0] + len(sel.quote) <= between[1]
    ):
        return quoted[0], quoted[0] + len(sel.quote), True  # words typed around it
    if between is not None:  # the quote itself was rewritten
        return between[0], between[1], True
    if quoted is not None:  # the same words, out of their context
        return quoted[0], quoted[0] + len(sel.quote), True
    start = min(sel.start, len(text))
    return start, max(start, min(sel.end, len(text))), False


def _occurrences(text: str, needle: str) -> list[int]:
    found: list[int] = []
    at = text.find(needle)
    while at != -1 and len(found) < MAX_CANDIDATES:
        found.append(at)
        at = text.find(needle, at + 1)
    return found


def _tail_match(a: str, b: str) -> int:
    n = 0
    while n < min(len(a), len(b)) and a[-1 - n] == b[-1 - n]:
        n += 1
    return n


def _head_match(a: str, b: str) -> int:
    n = 0
    while n < min(len(a), len(b)) and a[n] == b[n]:
        n += 1
    return n


def _best_quote(text: str, sel: Selector) -> tuple[int, bool] | None:
    """The occurrence of the quote whose context matches best, then the
    nearest to where it was; and whether its context still mostly matches."""
    best, best_score = None, None
    for at in _occurrences(text, sel.quote):
        context = _tail_match(text[max(0, at - CONTEXT) : at], sel.prefix) + _head_match(
            text[at + len(sel.quote) : at + len(sel.quote) + CONTEXT], sel.suffix
        )
        score = (context, -abs(at - sel.start))
        if best_score is None or score > best_score:
            best, best_score = at, score
    if best is None or best_score is None:
        return None
    available = len(sel.prefix) + len(sel.suffix)
    return best, available == 0 or 2 * best_score[0] >= available


def _between_context(text: str, sel: Selector) -> tuple[int, int] | None:
    """The quote was edited: the range is what now lies between its context."""
    # The context nearest the range is what edits around it leave intact.
    prefix, suffix = sel.prefix[-NEAR:], sel.suffix[:NEAR]
    if not prefix and not suffix:
        return None
    starts = [at + len(prefix) for at in _occurrences(text, prefix)] if prefix else [0]
    ends = _occurrences(text, suffix) if suffix else [len(text)]
    best, best_score = None, None
    limit = max(4 * len(sel.quote), 200)
    for start in starts:
        for end in ends:
            if start <= end <= start + limit:
                score = abs(start - sel.start) + abs((end - start) - len(sel.quote))
                if best_score is None or score < best_score:
                    best, best_score = (start, end), score
    return best


def locate_exact(text: str, sel: Selector) -> tuple[int, int] | None:
    """Where the quoted text still stands unchanged in its place, or None.
    Stricter than `resolve`: a suggested edit may only replace the very words
    it was made on, so neither a rewritten quote nor the same words out of
    their context will do. An empty quote (an insertion point) must still sit
    right between its context."""
    if not sel.quote:
        if not sel.prefix and not sel.suffix:
            return (0, 0) if not text else None
        point = _insertion_point(text, sel)
        return None if point is None else (point, point)
    quoted = _best_quote(text, sel)
    if quoted is None:
        return None
    start, end = quoted[0], quoted[0] + len(sel.quote)
    if quoted[1]:
        return start, end
    between = _between_context(text, sel)
    if between is not None and between[0] <= start <= end <= between[1]:
        return start, end
    return None


def _insertion_point(text: str, sel: Selector) -> int | None:
    """Where an empty quote now is: the place next to its nearest context
    (the end of the prefix's tail, the start of the suffix's head) whose
    context on both sides matches best, when that is most of it."""
    candidates = set()
    if sel.prefix:
        tail = sel.prefix[-NEAR:]
        candidates.update(at + len(tail) for at in _occurrences(text, tail))
    if sel.suffix:
        candidates.update(_occurrences(text, sel.suffix[:NEAR]))
    best, best_score = None, None
    for at in candidates:
        context = _tail_match(text[max(0, at - CONTEXT) : at], sel.prefix) + _head_match(
            text[at : at + CONTEXT], sel.suffix
        )
        score = (context, -abs(at - sel.start))
        if best_score is None or score > best_score:
            best, best_score = at, score
    if best is None or best_score is None:
        return None
    return best if 2 * best_score[0] >= len(sel.prefix) + len(sel.suffix) else None
