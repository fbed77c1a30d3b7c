// Suggested edits in the editor (SPEC v1.1), as in Google Docs:
// - open suggestions are drawn in place: the words they replace struck through (a mark),
//   the words they put in after them (a widget); both move with everyone's edits until the
//   page sends the list again. An edit touching a suggestion's words is reported, so the
//   page can ask the server whether it still applies.
// - "Suggesting" mode: what the writer types does not change the shared text. A transaction
//   filter takes each local change out of its transaction and folds it into one pending
//   suggestion (a range of the text and its replacement, drawn like the others). Typing on
//   at its end extends it, Backspace takes typed characters back first, then strikes more;
//   a change elsewhere sends it and starts another. It is sent after a short pause, on blur,
//   or when the mode is switched off; the page posts it and draws the server's list.
// Why a filter and not a second Y.Doc: the shared Y.Text never sees a suggestion, so nothing
// can leak into the document by a missed branch, and remote edits keep arriving normally
// (y-codemirror's own transactions carry ySyncAnnotation and pass through untouched).
import { EditorSelection, EditorState, Prec, StateEffect, StateField } from "@codemirror/state";
import { Decoration, EditorView, keymap, WidgetType } from "@codemirror/view";
import { ySyncAnnotation } from "y-codemirror.next";

const SEND_AFTER_MS = 1500; // a pause in typing this long sends the pending suggestion

const setSuggestions = StateEffect.define();
const setMode = StateEffect.define();
const setPending = StateEffect.define();
const addSending = StateEffect.define();
const dropSending = StateEffect.define();

class InsertWidget extends WidgetType {
  constructor(text, cls, id) {
    super();
    this.text = text;
    this.cls = cls;
    this.id = id;
  }
  eq(other) {
    return other.text === this.text && other.cls === this.cls && other.id === this.id;
  }
  toDOM() {
    const span = document.createElement("span");
    span.className = this.cls;
    span.textContent = this.text;
    if (this.id != null) span.setAttribute("data-suggestion-id", String(this.id));
    return span;
  }

  ignoreEvent() {
    return false;
  }
}

function clampRange(doc, from, to) {
  const a = Math.max(0, Math.min(from, doc.length));
  return [a, Math.max(a, Math.min(to, doc.length))];
}

/** Decorations of the server's suggestions: [{id, from, to, text}] in UTF-16 offsets. */
function build(doc, list, activeId) {
  const items = [];
  for (const s of list) {
    const [from, to] = clampRange(doc, s.from, s.to);
    const active = String(s.id) === String(activeId) ? " cm-suggest-active" : "";
    const attrs = { "data-suggestion-id": String(s.id) };
    if (to > from)
      items.push([
        from,
        to,
        Decoration.mark({ class: "cm-suggest-del" + active, attributes: attrs, sid: s.id }),
      ]);
    if (s.text) {
      items.push([
        to,
        to,
        Decoration.widget({
          widget: new InsertWidget(s.text, "cm-suggest-ins" + active, s.id),
          side: 1,
          sid: s.id,
          insertion: to === from,
        }),
      ]);
    }
  }
  return Decoration.set(
    items.map(([from, to, deco]) => deco.range(from, to)),
    true,
  );
}

const suggestionField = StateField.define({
  create() {
    return Decoration.none;
  },
  update(decos, tr) {
    decos = decos.map(tr.changes);
    for (const e of tr.effects) if (e.is(setSuggestions)) decos = e.value;
    return decos;
  },
  provide: (f) => EditorView.decorations.from(f),
});

// ---- suggesting mode ---------------------------------------------------------------
function mapRange(changes, p) {
  // Shrink rather than grow: text a peer types right at an edge is not ours to replace.
  const from = changes.mapPos(p.from, 1);
  return { ...p, from, to: Math.max(from, changes.mapPos(p.to, -1)) };
}

let nextKey = 1;
const modeField = StateField.define({
  create() {
    return { on: false, pending: null, sending: [] };
  },
  update(v, tr) {
    let { on, pending, sending } = v;
    if (tr.docChanged) {
      if (pending) pending = mapRange(tr.changes, pending);
      sending = sending.map((p) => mapRange(tr.changes, p));
    }
    for (const e of tr.effects) {
      if (e.is(setMode)) on = e.value;
      else if (e.is(setPending)) pending = e.value;
      else if (e.is(addSending)) sending = sending.concat([e.value]);
      else if (e.is(dropSending)) sending = sending.filter((p) => p.key !== e.value);
    }
    return { on, pending, sending };
  },
});

const modeDecorations = EditorView.decorations.compute([modeField], (state) => {
  const { pending, sending } = state.field(modeField);
  const all = sending.concat(pending ? [pending] : []);
  const items = [];
  for (const p of all) {
    const [from, to] = clampRange(state.doc, p.from, p.to);
    if (to > from)
      items.push([from, to, Decoration.mark({ class: "cm-suggest-del cm-suggest-pending" })]);
    // Before the caret, which stays at the end of the struck words.
    if (p.text)
      items.push([
        to,
        to,
        Decoration.widget({
          widget: new InsertWidget(p.text, "cm-suggest-ins cm-suggest-pending", null),
          side: -1,
        }),
      ]);
  }
  return Decoration.set(
    items.map(([from, to, deco]) => deco.range(from, to)),
    true,
  );
});

/** Fold one change (old-document positions) into the pending suggestion. */
function fold(p, fromA, toA, text, flushed) {
  if (p && fromA <= p.to && toA >= p.from) {
    if (!text && toA === p.to && p.text.length > 0) {
      // Backspace at its end: take back what was typed before striking more.
      return { ...p, text: p.text.slice(0, Math.max(0, p.text.length - (toA - fromA))) };
    }
    return { ...p, from: Math.min(p.from, fromA), to: Math.max(p.to, toA), text: p.text + text };
  }
  if (p) flushed.push(p);
  return { key: nextKey++, from: fromA, to: toA, text };
}

const suggestingFilter = EditorState.transactionFilter.of((tr) => {
  if (!tr.docChanged || tr.annotation(ySyncAnnotation) !== undefined) return tr;
  const mode = tr.startState.field(modeField);
  if (!mode.on) return tr;
  let p = mode.pending;
  const flushed = [];
  tr.changes.iterChanges((fromA, toA, _fromB, _toB, inserted) => {
    p = fold(p, fromA, toA, inserted.toString(), flushed);
  });
  if (p && p.from === p.to && !p.text) p = null;
  const effects = [setPending.of(p), ...flushed.map((f) => addSending.of(f))];
  // The caret stays where the next keystroke extends it: after the new words, or on the
  // side the writer deletes towards.
  const forward = tr.isUserEvent("delete.forward");
  const caret = p ? (p.text || forward ? p.to : p.from) : tr.startState.selection.main.head;
  return {
    effects,
    selection: EditorSelection.cursor(caret),
    scrollIntoView: true,
    userEvent: "suggest",
  };
});

/**
 * The extension and the controls the mounted editor exposes.
 * @param {{onSuggest?: (s: {from: number, to: number, text: string}) => any,
 *          onTouched?: (ids: string[]) => void}} hooks
 */
export function suggestions(hooks = {}) {
  let timer = null;
  let view = null;

  function send(p) {
    const done = () => {
      if (view) view.dispatch({ effects: dropSending.of(p.key) });
    };
    try {
      Promise.resolve(
        hooks.onSuggest ? hooks.onSuggest({ from: p.from, to: p.to, text: p.text }) : null,
      )
        .catch((e) => console.error("JointLabEditor onSuggest failed", e))
        .then(done);
    } catch (e) {
      console.error("JointLabEditor onSuggest failed", e);
      done();
    }
  }

  function flush() {
    clearTimeout(timer);
    if (!view) return;
    const p = view.state.field(modeField).pending;
    if (!p) return;
    view.dispatch({ effects: [setPending.of(null), addSending.of(p)] });
    send(view.state.field(modeField).sending.find((x) => x.key === p.key) || p);
  }

  const listener = EditorView.updateListener.of((u) => {
    view = u.view;
    for (const tr of u.transactions) {
      for (const e of tr.effects) {
        // Sent because the writer moved on to another place: post it now.
        if (e.is(addSending) && tr.isUserEvent("suggest")) send(e.value);
      }
      if (tr.isUserEvent("suggest")) {
        clearTimeout(timer);
        timer = setTimeout(flush, SEND_AFTER_MS);
      }
    }
    if (!u.docChanged || !hooks.onTouched) return;
    const old = u.startState.field(suggestionField);
    const touched = new Set();
    u.changes.iterChangedRanges((fromA, toA) => {
      old.between(Math.max(0, fromA - 1), toA + 1, (a, b, deco) => {
        const point = a === b;
        if (point ? deco.spec.insertion && fromA <= a && a <= toA : fromA < b && toA > a) {
          touched.add(String(deco.spec.sid));
        }
      });
    });
    if (touched.size) {
      try {
        hooks.onTouched([...touched]);
      } catch (e) {
        console.error("JointLabEditor onTouched failed", e);
      }
    }
  });

  const blur = EditorView.domEventHandlers({
    blur: () => {
      flush();
      return false;
    },
  });

  // Undo in Suggesting mode takes back the suggestion being typed; it never reaches into the
  // shared text's history (Y.UndoManager), which would change the text itself.
  const undo = (v) => {
    const mode = v.state.field(modeField);
    if (!mode.on) return false;
    if (mode.pending) v.dispatch({ effects: setPending.of(null) });
    return true;
  };
  const undoKeys = Prec.highest(
    keymap.of([
      { key: "Mod-z", run: undo, preventDefault: true },
      { key: "Mod-y", run: undo, preventDefault: true },
      { key: "Mod-Shift-z", run: undo, preventDefault: true },
    ]),
  );

  const theme = EditorView.baseTheme({
    ".cm-suggest-del": {
      textDecoration: "line-through",
      textDecorationColor: "#b3261e",
      color: "#8a1c14",
      backgroundColor: "rgba(179, 38, 30, 0.08)",
    },
    ".cm-suggest-ins": {
      color: "#1a6b2f",
      backgroundColor: "rgba(26, 107, 47, 0.12)",
      borderBottom: "2px solid rgba(26, 107, 47, 0.6)",
      whiteSpace: "pre-wrap",
    },
    ".cm-suggest-active": { outline: "2px solid rgba(26, 107, 47, 0.5)" },
    ".cm-suggest-pending": { borderBottomStyle: "dashed" },
  });

  const extension = [
    suggestionField,
    modeField,
    modeDecorations,
    suggestingFilter,
    listener,
    blur,
    undoKeys,
    theme,
  ];

  return {
    extension,
    controls(editorView) {
      view = editorView;
      return {
        /** Draw the open suggestions ([{id, from, to, text}], UTF-16), `activeId` outlined. */
        setSuggestions(list, activeId) {
          editorView.dispatch({
            effects: setSuggestions.of(build(editorView.state.doc, list || [], activeId)),
          });
        },
        /** Ids of the suggestions drawn at [from, to] as they are now. */
        suggestionsAt(from, to) {
          const found = [];
          editorView.state
            .field(suggestionField)
            .between(from, Math.max(from, to), (a, b, deco) => {
              if (a <= to && b >= from && !found.includes(String(deco.spec.sid)))
                found.push(String(deco.spec.sid));
            });
          return found;
        },
        setSuggesting(on) {
          if (!on) flush();
          editorView.dispatch({ effects: setMode.of(!!on) });
        },
        isSuggesting: () => editorView.state.field(modeField).on,
        flushSuggestion: flush,
      };
    },
  };
}
