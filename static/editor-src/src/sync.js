// The editor's side of the `doc:*` Socket.IO contract (SPEC.md): join and re-join, send local
// Yjs updates with acks and re-send what was lost, apply remote updates and awareness, and
// report the save status. mount() (editor.js) owns the document, the view and the callbacks.
import {
  applyAwarenessUpdate,
  encodeAwarenessUpdate,
  removeAwarenessStates,
} from "y-protocols/awareness";
import * as Y from "yjs";

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

/** True when a Yjs update carries at least one struct (inserted content). */
function hasStructs(update) {
  try {
    return Y.parseUpdateMeta(update).to.size > 0;
  } catch (_) {
    return update.length > EMPTY_UPDATE_LENGTH;
  }
}

/**
 * Connects a mounted document to its room. `emitText` tells the page the text after the first
 * join; start() joins when the socket is already up; leave() is the sync half of destroy().
 */
export function connectDoc({
  socket,
  ownSocket,
  ydoc,
  awareness,
  documentId,
  onStatus,
  onError,
  emitText,
}) {
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

  function leave() {
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
    awareness.off("update", onAwarenessUpdate);
  }

  function start() {
    setStatus();
    if (socket.connected) join(); // a shared socket may already be connected: no 'connect' event
  }

  return { start, leave };
}
