import * as JL from "./app.js";
import * as events from "./event_words.js";
// The workspace's live activity: subscribe after the last event the server
// rendered, prepend what arrives, resume from the last seq after a drop.
export function start() {
  const list = document.getElementById("activity");
  if (!list || !window.io) return;
  const workspaceId = Number(list.dataset.workspaceId);
  let lastSeq = Number(list.dataset.lastSeq || 0);
  const templates = JSON.parse(document.getElementById("event-templates").textContent);
  const ui = JSON.parse(document.getElementById("ui-strings").textContent);
  const conn = document.querySelector('[data-testid="connection"]');
  // The line's markup is the server's (events/_items.html): a clone of it.
  const item = document.getElementById("activity-item").content.firstElementChild;

  function setState(state) {
    if (!conn) return;
    conn.dataset.state = state;
    conn.textContent = ui[state] || state;
  }

  function render(env) {
    if (env.workspace_id !== workspaceId || env.seq <= lastSeq) return; // never twice
    lastSeq = env.seq;
    list.dataset.lastSeq = String(lastSeq);
    const li = item.cloneNode(true);
    li.dataset.seq = env.seq;
    li.dataset.type = env.type;
    li.classList.add("fresh");
    const t = li.querySelector("time");
    t.setAttribute("datetime", env.occurred_at);
    t.nextSibling.data = " " + events.sentence(env, templates);
    JL.localiseTimes(li);
    list.insertBefore(li, list.firstChild);
    document.dispatchEvent(new CustomEvent("jl:event", { detail: env }));
  }

  const socket = io({ path: "/socket.io", transports: ["websocket", "polling"] });
  JL.watchAccess(socket);
  socket.on("connect", () => {
    socket.emit("feed:subscribe", { workspace_id: workspaceId, after: lastSeq }, (ack) => {
      setState(ack && ack.ok ? "connected" : "reconnecting");
    });
  });
  socket.on("event", render);
  socket.on("disconnect", () => setState("reconnecting"));
  socket.io.on("reconnect_attempt", () => setState("reconnecting"));
  socket.on("connect_error", () => setState("reconnecting"));
}
