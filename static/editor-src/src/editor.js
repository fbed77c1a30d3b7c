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
import {
  Awareness,
  applyAwarenessUpdate,
  encodeAwarenessUpdate,
  removeAwarenessStates,
} from "y-protocols/awareness";
import * as Y from "yjs";
import { formatKeymap, runFormat } from "./format.js";
import { commentHighlights, highlightsAt, reveal, showHighlights } from "./highlights.js";
import { suggestions } from "./suggestions.js";

const VERSION = "1.0.0";

// Origin used for every change that came from the server. Local Yjs changes (typing, undo)
// carry other origins, which is how the doc 'update' handler tells what to send.
const REMOTE = "remote";

// How long we wait for an ack before treating the emit as lost. A lost doc:update is
// re-sent (Yjs updates are idempotent, so a duplicate is harmless); a lost doc:join is retried.
const ACK_TIMEOUT_MS = 20000;

// After the server refused the connection (see onConnectError), wait this long before retrying.
const REFUSED_RETRY_MS = 30000;

// destroy() waits at most this long for the doc:leave ack before closing its own socket.
const LEAVE_WAIT_MS = 1000;

// An update with no structs and an empty delete set encodes to exactly two zero bytes.
const EMPTY_UPDATE_LENGTH = 2;

/**
 * Normalise whatever socket.io hands us for a binary field into a Uint8Array.
 * In browsers binary attachments arrive as ArrayBuffer; other servers/transports may give
 * a typed-array view (e.g. a Node Buffer) or, defensively, a plain array of byte values.
 * @param {any} data
 * @returns {Uint8Array | null}
 */
function toBytes(data) {
  if (data == null) return null;
  if (data instanceof Uint8Array) return data;
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  if (ArrayBuffer.isView(data))
    return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  if (Array.isArray(data)) return Uint8Array.from(data);
  return null;
}

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

/** True when a Yjs update carries at least one struct (inserted content). */
function hasStructs(update) {
  try {
    return Y.parseUpdateMeta(update).to.size > 0;
  } catch (_) {
    return update.length > EMPTY_UPDATE_LENGTH;
  }
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

  // ---- sync bookkeeping -------------------------------------------------------------
  // `epoch` increases on every (re)join and disconnect, so acks that belong to an older
  // connection are recognised and ignored instead of corrupting the current state.
  let epoch = 0;
  let joined = false; // doc:join acked on the current connection
  let serverError = null; // last {code, message} refusal from the server, cleared by a successful join
  let destroyed = false;
  let firstJoinDone = false;
  /** @type {Map<number, Uint8Array>} local updates sent but not yet acked */
  const inflight = new Map();
  let nextInflightId = 1;
  /** @type {Uint8Array | null} local updates not yet sent (offline / before join), merged */
  let unsent = null;
  let lastStatus = null;
  let refused = false; // the server refused the connection itself (e.g. expired session)
  let refusedRetry = null;

  function setStatus() {
    let status;
    if (refused) status = "error";
    else if (!socket.connected) status = "offline";
    else if (serverError) status = "error";
    else if (inflight.size > 0 || unsent !== null || !joined) status = "saving";
    else status = "saved";
    if (status !== lastStatus) {
      lastStatus = status;
      try {
        onStatus(status);
      } catch (e) {
        console.error("JointLabEditor onStatus handler failed", e);
      }
    }
  }

  function queueUnsent(update) {
    unsent = unsent === null ? update : Y.mergeUpdates([unsent, update]);
  }

  function reportError(what, error) {
    serverError = error || { code: "unknown", message: "unknown error" };
    console.error(
      `JointLabEditor: ${what} for document ${documentId} failed:`,
      serverError.code,
      serverError.message,
    );
    setStatus();
    try {
      onError(what, serverError);
    } catch (e) {
      console.error("JointLabEditor onError handler failed", e);
    }
  }

  /** Send one local update and track its ack. Only called while joined. */
  function sendUpdate(update) {
    const id = nextInflightId++;
    const myEpoch = epoch;
    inflight.set(id, update);
    setStatus();
    socket
      .timeout(ACK_TIMEOUT_MS)
      .emit("doc:update", { document_id: documentId, update }, (err, ack) => {
        if (destroyed || myEpoch !== epoch) return; // disconnect already moved it to `unsent`
        if (!inflight.has(id)) return;
        inflight.delete(id);
        if (err) {
          // No answer in time: keep the change and send it again (duplicates are harmless).
          console.warn("JointLabEditor: doc:update not acknowledged, re-sending", err.message);
          queueUnsent(update);
          flushUnsent();
        } else if (ack && ack.error) {
          // The server refused it (e.g. no write permission). Re-sending would loop, so we
          // surface the error; the text stays locally until the page is reloaded.
          reportError("doc:update", ack.error);
        }
        setStatus();
      });
  }

  function flushUnsent() {
    if (!joined || !socket.connected || unsent === null) return;
    const update = unsent;
    unsent = null;
    sendUpdate(update);
  }

  // Local changes -> server. Remote ones (origin 'remote') came from the server already.
  function onDocUpdate(update, origin) {
    if (origin === REMOTE) return;
    if (joined && socket.connected) sendUpdate(update);
    else {
      queueUnsent(update);
      setStatus();
    }
  }
  ydoc.on("update", onDocUpdate);

  function join() {
    if (destroyed || !socket.connected) return;
    const myEpoch = ++epoch;
    joined = false;
    setStatus();
    const payload = { document_id: documentId, state_vector: Y.encodeStateVector(ydoc) };
    socket.timeout(ACK_TIMEOUT_MS).emit("doc:join", payload, (err, ack) => {
      if (destroyed || myEpoch !== epoch) return;
      if (err) {
        if (socket.connected) {
          console.warn("JointLabEditor: doc:join timed out, retrying");
          join();
        }
        return;
      }
      if (!ack || ack.error) {
        reportError("doc:join", ack ? ack.error : { code: "no_ack", message: "empty join answer" });
        return;
      }
      serverError = null;
      const update = toBytes(ack.update);
      if (update && update.length > 0) Y.applyUpdate(ydoc, update, REMOTE);
      joined = true;

      // Everything the server lacks: offline edits, and in-flight edits whose ack was lost
      // with the previous connection (they were moved to `unsent`). Computing it from the
      // server's state vector instead of replaying `unsent` also covers anything we cannot
      // know the fate of. encodeStateAsUpdate always includes the whole delete set, so it is
      // only worth sending when it has new structs or we know of unsent local changes
      // (an unsent deletion of server content shows up in the delete set only).
      const serverSv = toBytes(ack.state_vector);
      if (serverSv) {
        const diff = Y.encodeStateAsUpdate(ydoc, serverSv);
        if (diff.length > EMPTY_UPDATE_LENGTH && (unsent !== null || hasStructs(diff))) {
          unsent = null;
          sendUpdate(diff);
        } else {
          unsent = null;
        }
      } else {
        flushUnsent(); // server gave no state vector: fall back to replaying what we kept
      }

      // Announce ourselves to the peers already in the document.
      sendLocalAwareness();
      if (!firstJoinDone) {
        firstJoinDone = true;
        emitText(); // the document may be empty, in which case ytext never fires
      }
      setStatus();
    });
  }

  // ---- incoming server events ---------------------------------------------------------
  function onRemoteUpdate(msg) {
    if (!msg || String(msg.document_id) !== String(documentId)) return;
    const update = toBytes(msg.update);
    if (update) Y.applyUpdate(ydoc, update, REMOTE);
  }

  function onRemoteAwareness(msg) {
    if (!msg || String(msg.document_id) !== String(documentId)) return;
    const update = toBytes(msg.update);
    if (update) applyAwarenessUpdate(awareness, update, REMOTE);
  }

  function onConnect() {
    refused = false;
    join(); // re-join on every (re)connect so the server re-adds us to the document room
  }

  // A refusal by the server at connect (bad or expired credentials) is the one case where
  // socket.io does not reconnect by itself (socket.active becomes false). Network errors
  // keep the built-in reconnection loop going and just show as 'offline'. After a refusal
  // we report 'error' and try again slowly, in case the refusal was transient.
  function onConnectError(err) {
    if (socket.active) {
      setStatus();
      return;
    }
    refused = true;
    console.error(
      `JointLabEditor: connection refused for document ${documentId}:`,
      err && err.message,
    );
    setStatus();
    clearTimeout(refusedRetry);
    refusedRetry = setTimeout(() => {
      if (!destroyed && !socket.connected) socket.connect();
    }, REFUSED_RETRY_MS);
  }

  function onDisconnect() {
    epoch++; // outstanding acks of this connection are void
    joined = false;
    // Unacked updates may or may not have been persisted: keep them, the re-join will
    // send whatever the server's state vector says it lacks.
    for (const update of inflight.values()) queueUnsent(update);
    inflight.clear();
    // Peers' cursors would otherwise linger until the 30 s awareness timeout.
    const others = Array.from(awareness.getStates().keys()).filter((c) => c !== awareness.clientID);
    if (others.length) removeAwarenessStates(awareness, others, "disconnect");
    setStatus();
  }

  socket.on("connect", onConnect);
  socket.on("disconnect", onDisconnect);
  socket.on("connect_error", onConnectError);
  socket.on("doc:update", onRemoteUpdate);
  socket.on("doc:awareness", onRemoteAwareness);

  // ---- awareness (cursors, selections, presence) -------------------------------------
  function sendLocalAwareness() {
    if (!joined || !socket.connected) return;
    socket.emit("doc:awareness", {
      document_id: documentId,
      update: encodeAwarenessUpdate(awareness, [awareness.clientID]),
    });
  }

  // 'update' (not 'change') also fires for the 15 s keep-alive renewals, which keep our
  // state from timing out at the peers. Every client publishes only its own state.
  function onAwarenessUpdate({ added, updated, removed }, origin) {
    if (origin === REMOTE) {
      // A peer we did not know: send ours right away instead of letting it wait up to 15 s
      // for our next renewal. Bounded: the reply reaches peers that already know us.
      if (added.some((c) => c !== awareness.clientID)) sendLocalAwareness();
      return;
    }
    const changed = added.concat(updated, removed);
    if (changed.includes(awareness.clientID)) sendLocalAwareness();
  }
  awareness.on("update", onAwarenessUpdate);

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

  setStatus();
  if (socket.connected) join(); // a shared socket may already be connected: no 'connect' event

  // ---- teardown -----------------------------------------------------------------------
  function destroy() {
    if (destroyed) return;
    // Clearing our state makes onAwarenessUpdate send a null state, so peers drop our
    // cursor at once; then leave the document room.
    awareness.setLocalState(null);
    let left = false;
    const closeOwnSocket = () => {
      if (left) return;
      left = true;
      if (ownSocket) socket.disconnect();
    };
    if (joined && socket.connected) {
      // Disconnect only after the server answered doc:leave (or after a short wait): a
      // server may drop events that were still queued when the disconnect packet arrived,
      // and then peers would keep seeing our cursor until the awareness timeout.
      socket.timeout(LEAVE_WAIT_MS).emit("doc:leave", { document_id: documentId }, closeOwnSocket);
    } else {
      closeOwnSocket();
    }
    destroyed = true;
    epoch++;
    socket.off("connect", onConnect);
    socket.off("disconnect", onDisconnect);
    socket.off("connect_error", onConnectError);
    clearTimeout(refusedRetry);
    socket.off("doc:update", onRemoteUpdate);
    socket.off("doc:awareness", onRemoteAwareness);
    ydoc.off("update", onDocUpdate);
    ytext.unobserve(emitText);
    awareness.off("update", onAwarenessUpdate);
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
