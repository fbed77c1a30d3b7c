// A stand-in for the JointLab Socket.IO server, just enough of the SPEC.md doc:* protocol
// to drive dist/editor.js in a real browser: binary join/update/awareness, rooms per
// document, refusals. Used only by e2e.mjs.

import fs from "node:fs";
import http from "node:http";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { Server } from "socket.io";
import * as Y from "yjs"; // resolved from ../node_modules (npm ci in editor-src first)

const here = dirname(fileURLToPath(import.meta.url));
const bundle = join(here, "..", "..", "dist", "editor.js");

const docs = new Map();
const getDoc = (id) => {
  if (!docs.has(id)) docs.set(id, new Y.Doc());
  return docs.get(id);
};
// reject: the server is unreachable (engine handshake fails, the client keeps retrying)
// refuse: the server refuses the connection at connect (like bad credentials)
export const state = { reject: false, refuse: false, log: [] };

const server = http.createServer((req, res) => {
  if (req.url.startsWith("/dist/editor.js")) {
    res.setHeader("content-type", "text/javascript");
    return res.end(fs.readFileSync(bundle));
  }
  if (req.url.startsWith("/page")) {
    res.setHeader("content-type", "text/html");
    return res.end(fs.readFileSync(join(here, "page.html")));
  }
  if (req.url.startsWith("/text/")) {
    return res.end(
      getDoc(decodeURIComponent(req.url.slice(6)))
        .getText("content")
        .toString(),
    );
  }
  res.statusCode = 404;
  res.end();
});
const io = new Server(server, {
  path: "/socket.io",
  allowRequest: (_req, cb) => cb(state.reject ? "offline" : null, !state.reject),
});
io.use((_socket, next) => (state.refuse ? next(new Error("not authenticated")) : next()));
io.on("connection", (socket) => {
  socket.on("doc:join", (msg, ack) => {
    state.log.push([
      "join",
      msg.document_id,
      msg.state_vector && msg.state_vector.constructor.name,
    ]);
    if (msg.document_id === "forbidden")
      return ack({ error: { code: "forbidden", message: "no access" } });
    const d = getDoc(msg.document_id);
    socket.join("doc:" + msg.document_id);
    ack({
      update: Y.encodeStateAsUpdate(d, new Uint8Array(msg.state_vector)),
      state_vector: Y.encodeStateVector(d),
    });
  });
  socket.on("doc:update", (msg, ack) => {
    state.log.push(["update", msg.document_id, msg.update.length]);
    if (msg.document_id === "ro")
      return ack({ error: { code: "forbidden", message: "read only" } });
    Y.applyUpdate(getDoc(msg.document_id), new Uint8Array(msg.update));
    socket.to("doc:" + msg.document_id).emit("doc:update", msg);
    ack({ ok: true });
  });
  socket.on("doc:awareness", (msg) => {
    state.log.push(["awareness", msg.document_id]);
    socket.to("doc:" + msg.document_id).emit("doc:awareness", msg);
  });
  socket.on("doc:leave", (msg, ack) => {
    socket.leave("doc:" + msg.document_id);
    state.log.push(["leave", msg.document_id]);
    if (ack) ack({ ok: true });
  });
});
// Close every transport without telling the client it was deliberate, as a network drop would.
export function dropAll() {
  for (const s of io.of("/").sockets.values()) s.conn.close();
}
export function start() {
  return new Promise((resolve) =>
    server.listen(0, "127.0.0.1", () => resolve(server.address().port)),
  );
}
export function stop() {
  io.close();
  server.close();
}
