// Comment highlights: ranges of the text that threads are about, drawn as marks that move
// with edits (local and remote), one of them "active" (the thread being read). The page
// gives ranges in UTF-16 offsets of the current text; CodeMirror maps them through every
// change until the page sends new ones.
import { RangeSetBuilder, StateEffect, StateField } from "@codemirror/state";
import { Decoration, EditorView } from "@codemirror/view";

const setHighlights = StateEffect.define();

const highlightField = StateField.define({
  create() {
    return Decoration.none;
  },
  update(marks, tr) {
    marks = marks.map(tr.changes);
    for (const effect of tr.effects) {
      if (effect.is(setHighlights)) marks = effect.value;
    }
    return marks;
  },
  provide: (field) => EditorView.decorations.from(field),
});

const theme = EditorView.baseTheme({
  ".cm-comment-mark": {
    backgroundColor: "rgba(255, 212, 0, 0.28)",
    borderBottom: "2px solid rgba(230, 170, 0, 0.7)",
  },
  ".cm-comment-mark-active": { backgroundColor: "rgba(255, 180, 0, 0.55)" },
});

function build(doc, ranges, activeId) {
  const clean = ranges
    .map((r) => ({
      id: r.id,
      from: Math.max(0, Math.min(r.from, doc.length)),
      to: Math.max(0, Math.min(r.to, doc.length)),
    }))
    .filter((r) => r.to > r.from)
    .sort((a, b) => a.from - b.from || a.to - b.to);
  const builder = new RangeSetBuilder();
  for (const r of clean) {
    const cls =
      "cm-comment-mark" + (String(r.id) === String(activeId) ? " cm-comment-mark-active" : "");
    builder.add(
      r.from,
      r.to,
      Decoration.mark({ class: cls, attributes: { "data-thread-id": String(r.id) } }),
    );
  }
  return builder.finish();
}

/** The extension, plus functions the mounted editor exposes to the page. */
export function commentHighlights(onSelect) {
  const selectionListener = EditorView.updateListener.of((update) => {
    if (!update.selectionSet || !onSelect) return;
    const sel = update.state.selection.main;
    try {
      onSelect(sel.from, sel.to);
    } catch (e) {
      console.error("JointLabEditor onSelection handler failed", e);
    }
  });
  return [highlightField, theme, selectionListener];
}

/** Draw `ranges` ([{id, from, to}] in UTF-16 offsets), `activeId` stronger. */
export function showHighlights(view, ranges, activeId) {
  view.dispatch({ effects: setHighlights.of(build(view.state.doc, ranges || [], activeId)) });
}

/** The threads whose marks cover `pos`, as they are now (edits since moved them). */
export function highlightsAt(view, from, to) {
  const found = [];
  view.state.field(highlightField).between(from, Math.max(from, to), (a, b, deco) => {
    if (a <= to && b >= from)
      found.push({ id: deco.spec.attributes["data-thread-id"], from: a, to: b });
  });
  return found;
}

/** Scroll the editor so that `pos` (UTF-16 offset) is in view, without moving the cursor. */
export function reveal(view, pos) {
  const at = Math.max(0, Math.min(pos, view.state.doc.length));
  view.dispatch({ effects: EditorView.scrollIntoView(at, { y: "center" }) });
}
