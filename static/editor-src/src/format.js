// Markdown formatting commands for the toolbar and their keyboard shortcuts.
//
// Every command is an ordinary CodeMirror transaction, so y-codemirror turns it into a Yjs
// update like typing does: peers see it live and Y.UndoManager undoes it in one step.
// Commands toggle: applied to text that already has the format, they take it off.

import { EditorSelection, Prec } from "@codemirror/state";
import { keymap } from "@codemirror/view";

const HEADING = /^(#{1,6})[ \t]+/;
const BULLET = /^([ \t]*)[-*+][ \t]+/;
const NUMBERED = /^([ \t]*)\d{1,9}[.)][ \t]+/;
const LINK = /^\[([^\]\n]*)\]\(([^)\n]*)\)$/;
const URL = /^https?:\/\/\S+$/;
const FENCE = /^\s*(```|~~~)/;

function dispatch(view, spec) {
  view.dispatch({ ...spec, scrollIntoView: true, userEvent: "input.format" });
  return true;
}

/** How many times `ch` repeats going from `pos` in `dir` (+1 forwards, -1 backwards). */
function runLength(doc, pos, dir, ch) {
  let n = 0;
  while (n < 6) {
    const at = dir > 0 ? pos + n : pos - n - 1;
    if (at < 0 || at >= doc.length || doc.sliceString(at, at + 1) !== ch) break;
    n++;
  }
  return n;
}

// `*` is italic and `**` bold, so a run of stars says which of them it holds:
// 1 or 3 stars carry italic, 2 or 3 carry bold.
function runCarries(run, marker) {
  if (marker === "*") return run % 2 === 1;
  if (marker === "**") return run >= 2;
  return run === marker.length;
}

/** Wrap each selection in `marker`, or unwrap it where it is wrapped already (inside or just outside the selection). */
function toggleInline(view, marker) {
  const { state } = view;
  const len = marker.length;
  const ch = marker[0];
  const doc = state.doc;
  return dispatch(
    view,
    state.changeByRange((range) => {
      const { from, to } = range;
      const inner =
        to - from >= 2 * len &&
        runCarries(runLength(doc, from, 1, ch), marker) &&
        runCarries(runLength(doc, to, -1, ch), marker);
      if (inner && runLength(doc, from, 1, ch) < to - from) {
        return {
          changes: [
            { from, to: from + len },
            { from: to - len, to },
          ],
          range: EditorSelection.range(from, to - 2 * len),
        };
      }
      if (
        runCarries(runLength(doc, from, -1, ch), marker) &&
        runCarries(runLength(doc, to, 1, ch), marker)
      ) {
        return {
          changes: [
            { from: from - len, to: from },
            { from: to, to: to + len },
          ],
          range: EditorSelection.range(from - len, to - len),
        };
      }
      return {
        changes: [
          { from, insert: marker },
          { from: to, insert: marker },
        ],
        range: EditorSelection.range(from + len, to + len),
      };
    }),
  );
}

/** The document lines the selection touches (a range ending at a line start leaves that line out). */
function selectedLines(state) {
  const numbers = new Set();
  for (const r of state.selection.ranges) {
    const first = state.doc.lineAt(r.from).number;
    let last = state.doc.lineAt(r.to).number;
    if (last > first && state.doc.line(last).from === r.to) last--;
    for (let n = first; n <= last; n++) numbers.add(n);
  }
  const lines = Array.from(numbers)
    .sort((a, b) => a - b)
    .map((n) => state.doc.line(n));
  // Blank lines between paragraphs get no bullet; a lone blank line does (to start a list).
  const filled = lines.filter((l) => l.text.trim() !== "");
  return filled.length ? filled : lines;
}

/**
 * Give every selected line the prefix `make(line, index)` makes after taking off what
 * `strip` matches, or only take it off when every line already `has` it.
 */
function togglePrefix(view, has, strip, make) {
  const { state } = view;
  const lines = selectedLines(state);
  const off = lines.every((l) => has(l.text));
  const changes = lines.map((line, i) => {
    const m = strip.exec(line.text);
    const indent = /^[ \t]*/.exec(line.text)[0]; // a nested list item stays nested
    const old = m ? m[0].length : indent.length;
    return { from: line.from, to: line.from + old, insert: off ? indent : make(line, i, indent) };
  });
  const set = state.changes(changes);
  return dispatch(view, { changes: set, selection: state.selection.map(set, 1) });
}

const ANY_PREFIX = /^([ \t]*)(?:#{1,6}|[-*+]|\d{1,9}[.)])[ \t]+/;

function heading(view, level) {
  const marks = "#".repeat(level);
  return togglePrefix(
    view,
    (text) => {
      const m = HEADING.exec(text);
      return !!m && m[1] === marks;
    },
    HEADING,
    () => marks + " ",
  );
}

function plainText(view) {
  return togglePrefix(
    view,
    () => true,
    HEADING,
    () => "",
  );
}

function bulletList(view) {
  return togglePrefix(
    view,
    (t) => BULLET.test(t),
    ANY_PREFIX,
    (_line, _i, indent) => indent + "- ",
  );
}

function numberedList(view) {
  return togglePrefix(
    view,
    (t) => NUMBERED.test(t),
    ANY_PREFIX,
    (_line, i, indent) => indent + (i + 1) + ". ",
  );
}

/** Inline code inside one line; fenced code block around several lines. */
function code(view) {
  const { state } = view;
  const main = state.selection.main;
  const first = state.doc.lineAt(main.from);
  const last = state.doc.lineAt(main.to);
  if (first.number === last.number && !(main.empty && first.text === ""))
    return toggleInline(view, "`");
  const above = first.number > 1 ? state.doc.line(first.number - 1) : null;
  const below = last.number < state.doc.lines ? state.doc.line(last.number + 1) : null;
  if (above && below && FENCE.test(above.text) && FENCE.test(below.text)) {
    return dispatch(view, {
      changes: [
        { from: above.from, to: first.from },
        { from: last.to, to: below.to },
      ],
    });
  }
  if (FENCE.test(first.text) && FENCE.test(last.text) && first.number !== last.number) {
    const after = state.doc.line(first.number + 1);
    const before = state.doc.line(last.number - 1);
    return dispatch(view, {
      changes: [
        { from: first.from, to: after.from },
        { from: before.to, to: last.to },
      ],
    });
  }
  return dispatch(view, {
    changes: [
      { from: first.from, insert: "```\n" },
      { from: last.to, insert: "\n```" },
    ],
    selection: EditorSelection.range(first.from + 4, last.to + 4),
  });
}

/** `[text]()` with the cursor where the address goes; a selected URL becomes the address. */
function link(view) {
  const { state } = view;
  return dispatch(
    view,
    state.changeByRange((range) => {
      const text = state.sliceDoc(range.from, range.to);
      const m = LINK.exec(text);
      if (m) {
        return {
          changes: { from: range.from, to: range.to, insert: m[1] },
          range: EditorSelection.range(range.from, range.from + m[1].length),
        };
      }
      if (URL.test(text)) {
        return {
          changes: { from: range.from, to: range.to, insert: `[](${text})` },
          range: EditorSelection.cursor(range.from + 1),
        };
      }
      const insert = `[${text}]()`;
      return {
        changes: { from: range.from, to: range.to, insert },
        range: EditorSelection.cursor(range.from + insert.length - 1),
      };
    }),
  );
}

/** A small table below the current line, its first header cell selected for typing. */
function table(view, strings) {
  const { state } = view;
  const column = (strings && strings.column) || "Column";
  const heads = [1, 2, 3].map((n) => `${column} ${n}`);
  const rows = ["| " + heads.join(" | ") + " |", "| --- | --- | --- |", "|  |  |  |", "|  |  |  |"];
  const line = state.doc.lineAt(state.selection.main.head);
  const blank = line.text.trim() === "";
  const at = blank ? line.from : line.to;
  const before = blank
    ? line.number > 1 && state.doc.line(line.number - 1).text.trim() !== ""
      ? "\n"
      : ""
    : "\n\n";
  const next = line.number < state.doc.lines ? state.doc.line(line.number + 1) : null;
  // The line break after `line` stays, so one more makes the blank line before the next text.
  const after = next && next.text.trim() !== "" ? "\n" : "";
  const insert = before + rows.join("\n") + after;
  const start = at + before.length + 2;
  return dispatch(view, {
    changes: { from: at, to: blank ? line.to : at, insert },
    selection: EditorSelection.range(start, start + heads[0].length),
  });
}

const COMMANDS = {
  bold: (view) => toggleInline(view, "**"),
  italic: (view) => toggleInline(view, "*"),
  h1: (view) => heading(view, 1),
  h2: (view) => heading(view, 2),
  h3: (view) => heading(view, 3),
  paragraph: plainText,
  bullets: bulletList,
  numbers: numberedList,
  code,
  link,
  table,
};

/**
 * Run the named formatting command on the view; false when there is no such command or
 * the editor is read-only.
 * @param {import('@codemirror/view').EditorView} view
 * @param {string} name  bold | italic | h1 | h2 | h3 | paragraph | bullets | numbers | code | link | table
 * @param {{column?: string}} [strings]  words the inserted Markdown uses (the table's header)
 */
function runFormat(view, name, strings) {
  const command = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : null;
  if (!command || view.state.readOnly) return false;
  return command(view, strings);
}

// Google Docs' shortcuts where it has one. High precedence: defaultKeymap binds Mod-i
// (select parent syntax), which this takes over; undo/redo (Mod-z, Mod-y, Mod-Shift-z)
// are left alone.
const SHORTCUTS = {
  "Mod-b": "bold",
  "Mod-i": "italic",
  "Mod-k": "link",
  "Mod-e": "code",
  "Mod-Shift-7": "numbers",
  "Mod-Shift-8": "bullets",
  "Mod-Alt-0": "paragraph",
  "Mod-Alt-1": "h1",
  "Mod-Alt-2": "h2",
  "Mod-Alt-3": "h3",
};

function formatKeymap() {
  return Prec.high(
    keymap.of(
      Object.entries(SHORTCUTS).map(([key, name]) => ({
        key,
        run: (view) => runFormat(view, name),
        preventDefault: true,
      })),
    ),
  );
}

export { formatKeymap, runFormat, SHORTCUTS };
