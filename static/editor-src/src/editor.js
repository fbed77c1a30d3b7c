// JointLab collaborative Markdown editor.
//
// One bundle (built by build.mjs into ../dist/editor.js) that the Flask pages load with a
// plain <script> tag. It exposes window.JointLabEditor = {mount, io, Y, version}.
//
// The wire protocol is the Socket.IO contract from SPEC.md:
//   client -> server  doc:join      {document_id, state_vector}  ack {update, state_vector} | {error}
//   client -> server  doc:update    {document_id, update}        ack {ok: true} | {error}
//   client -> server  doc:awareness {document_id, update}        (relayed, not stored)
//   client -> server  doc:leave     {document_id}                ack
//   server -> client  doc:update / doc:awareness with the same payloads.
// All byte fields are sent as Uint8Array so socket.io transmits them as binary attachments.
// The shared content is the Y.Text named "content".

import { defaultKeymap } from "@codemirror/commands";
// Not markdown(): that helper statically imports @codemirror/lang-html (and through it the
// JavaScript and CSS parsers) to highlight embedded HTML, ~50 KB gzipped we do not need.
// Importing just the pieces below lets esbuild tree-shake all of that away.
import { markdownKeymap, markdownLanguage, pasteURLAsLink } from "@codemirror/lang-markdown";
import {
  bracketMatching,
  defaultHighlightStyle,
  indentOnInput,
  LanguageSupport,
  syntaxHighlighting,
} from "@codemirror/language";
import { EditorState, Prec } from "@codemirror/state";
import {
  crosshairCursor,
  drawSelection,
  dropCursor,
  EditorView,
  highlightActiveLine,
  highlightSpecialChars,
  keymap,
  rectangularSelection,
} from "@codemirror/view";
import { io } from "socket.io-client";
import { yCollab, yUndoManagerKeymap } from "y-codemirror.next";
import { Awareness } from "y-protocols/awareness";
import * as Y from "yjs";
import { formatKeymap, runFormat } from "./format.js";
import { commentHighlights, highlightsAt, reveal, showHighlights } from "./highlights.js";
import { suggestions } from "./suggestions.js";
import { connectDoc } from "./sync.js";

const VERSION = "1.0.0";

/**
 * y-codemirror.next paints selections with `user.colorLight`; derive a translucent variant
 * of a #rgb / #rrggbb colour, falling back to the colour itself for other CSS syntaxes.
 * @param {string} color
 */
function lightColor(color) {
  if (/^#[0-9a-f]{6}$/i.test(color)) return color + "33";
  if (/^#[0-9a-f]{3}$/i.test(color)) {
    return (
      "#" +
      color
        .slice(1)
        .split("")
        .map((c) => c + c)
        .join("") +
      "33"
    );
  }
  return color;
}

const baseTheme = EditorView.theme({
  "&": { height: "100%", fontSize: "15px" },
  ".cm-scroller": {
    fontFamily: 'ui-monospace, SFMono-Regular, Menlo, Consolas, "Liberation Mono", monospace',
    lineHeight: "1.55",
  },
  ".cm-content": { padding: "12px 0" },
  ".cm-line": { padding: "0 14px" },
  "&.cm-focused": { outline: "none" },
});

/**
 * Mount a collaborative editor on `element`.
 *
 * @param {HTMLElement | string} element  container (or a CSS selector for it)
 * @param {object} options
 * @param {string|number} options.documentId
 * @param {any} [options.socket]        an existing socket.io client Socket to share
 * @param {string} [options.socketUrl]  where to connect when no socket is given (default: same origin)
 * @param {{id?: any, name?: string, color?: string}} [options.user]
 * @param {boolean} [options.readOnly]
 * @param {string} [options.cspNonce]  the page's CSP nonce: CodeMirror puts its styles in a
 *   <style> element, which a Content-Security-Policy without 'unsafe-inline' refuses otherwise
 * @param {(status: 'saving'|'saved'|'offline'|'error') => void} [options.onStatus]
 * @param {(text: string) => void} [options.onText]
 * @param {(peers: Array<{clientId: number, name: string, color: string}>) => void} [options.onPeers]
 * @param {(s: {from: number, to: number, text: string}) => any} [options.onSuggest]  in
 *   "Suggesting" mode, a suggestion typed (UTF-16 offsets) to post; may return a promise
 * @param {(ids: string[]) => void} [options.onSuggestionsTouched]  an edit touched the words
 *   of these drawn suggestions: they may no longer apply
 * @param {(from: number, to: number) => void} [options.onSelection]  the selection moved
 *   (UTF-16 offsets); with highlightsAt() the page shows the thread of highlighted text
 * @param {{column?: string}} [options.formatStrings]  words format('table') writes (its header)
 * @param {(what: string, error: {code: string, message: string}) => void} [options.onError]
 *   the server refused something (e.g. 'doc:update' with `document_too_large`): the page
 *   tells the writer in words and may remount the editor on the saved state
 */
function mount(element, options = {}) {
  const container = typeof element === "string" ? document.querySelector(element) : element;
  if (!container) throw new Error("JointLabEditor.mount: no element to mount on");
  if (options.documentId == null) throw new Error("JointLabEditor.mount: documentId is required");

  const documentId = options.documentId;
  const readOnly = !!options.readOnly;
  const user = options.user || {};
  const userColor = user.color || "#30bced";
  const onStatus = typeof options.onStatus === "function" ? options.onStatus : () => {};
  const onText = typeof options.onText === "function" ? options.onText : () => {};
  const onPeers = typeof options.onPeers === "function" ? options.onPeers : () => {};
  const onError = typeof options.onError === "function" ? options.onError : () => {};

  // Only sockets we created are ours to close on destroy(); a shared socket stays up.
  const ownSocket = !options.socket;
  const socketOptions = {
    path: "/socket.io",
    withCredentials: true, // session cookie auth, also when socketUrl names another origin
  };
  const socket =
    options.socket ||
    (options.socketUrl ? io(options.socketUrl, socketOptions) : io(socketOptions)); // default: same origin

  const ydoc = new Y.Doc();
  const ytext = ydoc.getText("content");
  const awareness = new Awareness(ydoc);
  const undoManager = new Y.UndoManager(ytext);

  awareness.setLocalStateField("user", {
    id: user.id,
    name: user.name || "Anonymous",
    color: userColor,
    colorLight: lightColor(userColor),
  });

  // Joining, sending and receiving updates and awareness over the socket: src/sync.js.
  const sync = connectDoc({
    socket,
    ownSocket,
    ydoc,
    awareness,
    documentId,
    onStatus,
    onError,
    emitText,
  });

  function emitPeers() {
    const peers = [];
    awareness.getStates().forEach((state, clientId) => {
      if (clientId === awareness.clientID || !state || !state.user) return;
      peers.push({
        clientId,
        name: state.user.name || "Anonymous",
        color: state.user.color || "#30bced",
      });
    });
    try {
      onPeers(peers);
    } catch (e) {
      console.error("JointLabEditor onPeers handler failed", e);
    }
  }
  awareness.on("change", emitPeers);

  // ---- text callback ------------------------------------------------------------------
  function emitText() {
    try {
      onText(ytext.toString());
    } catch (e) {
      console.error("JointLabEditor onText handler failed", e);
    }
  }
  ytext.observe(emitText);

  // ---- the CodeMirror view ------------------------------------------------------------
  // Suggested edits (suggestions.js): drawn in place; "Suggesting" mode turns typing into them.
  const suggesting = suggestions({
    onSuggest: options.onSuggest,
    onTouched: options.onSuggestionsTouched,
  });
  const extensions = [
    highlightSpecialChars(),
    drawSelection(),
    dropCursor(),
    indentOnInput(),
    bracketMatching(),
    rectangularSelection(),
    crosshairCursor(),
    highlightActiveLine(),
    syntaxHighlighting(defaultHighlightStyle, { fallback: true }),
    // GitHub-flavoured Markdown (tables, task lists, strikethrough), list continuation on
    // Enter, and "paste a URL over a selection makes a link", as markdown() would set up.
    new LanguageSupport(markdownLanguage, [Prec.high(keymap.of(markdownKeymap)), pasteURLAsLink]),
    EditorView.lineWrapping,
    // Undo/redo go through Y.UndoManager (only our own edits are undone, never a peer's),
    // so CodeMirror's own history() is deliberately not included.
    keymap.of([...yUndoManagerKeymap, ...defaultKeymap]),
    formatKeymap(), // Mod-b, Mod-i, ... (src/format.js)
    yCollab(ytext, awareness, { undoManager }),
    commentHighlights(typeof options.onSelection === "function" ? options.onSelection : null),
    suggesting.extension,
    baseTheme,
  ];
  if (readOnly) {
    extensions.push(EditorState.readOnly.of(true), EditorView.editable.of(false));
  }
  if (options.cspNonce) {
    extensions.push(EditorView.cspNonce.of(String(options.cspNonce)));
  }

  const view = new EditorView({
    state: EditorState.create({ doc: ytext.toString(), extensions }),
    parent: container,
  });

  sync.start();

  // ---- teardown -----------------------------------------------------------------------
  let destroyed = false;
  function destroy() {
    if (destroyed) return;
    destroyed = true;
    sync.leave(); // peers drop our cursor, the server our membership of the room
    ytext.unobserve(emitText);
    awareness.off("change", emitPeers);
    view.destroy();
    undoManager.destroy();
    awareness.destroy();
    ydoc.destroy();
  }

  return {
    ydoc,
    ytext,
    view,
    awareness,
    undoManager,
    socket,
    destroy,
    getText: () => ytext.toString(),
    // Suggested edits: setSuggestions, suggestionsAt, setSuggesting, isSuggesting, flushSuggestion
    ...suggesting.controls(view),
    // Comment threads' marks: setHighlights([{id, from, to}], activeId), UTF-16 offsets.
    setHighlights: (ranges, activeId) => showHighlights(view, ranges, activeId),
    highlightsAt: (from, to) => highlightsAt(view, from, to),
    reveal: (pos) => reveal(view, pos),
    // Toolbar: format('bold' | 'italic' | 'h1'..'h3' | 'paragraph' | 'bullets' | 'numbers' | 'code' | 'link' | 'table')
    format: (name) => runFormat(view, name, options.formatStrings),
  };
}

const JointLabEditor = { mount, io, Y, version: VERSION };

if (typeof window !== "undefined") window.JointLabEditor = JointLabEditor;

export { io, mount, VERSION as version, Y };
