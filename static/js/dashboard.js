import * as JL from "./app.js";
// The portfolio dashboard kept current: one feed subscription across every
// overseen workspace; rows whose workspace changed are re-read from the API.
// Events are resumed after a drop from the last global id seen, and each id
// is handled once (the feed panel, dashboard_feed.js, listens to the same).
export function start() {
  const cfgEl = document.getElementById("dashboard-config");
  if (!cfgEl || !window.io) return;
  const cfg = JSON.parse(cfgEl.textContent);
  const L = cfg.labels;
  const conn = document.querySelector('[data-testid="connection"]');
  const seen = new Set();
  let lastId = Number(cfg.lastEventId || 0);

  function setState(state) {
    if (!conn) return;
    conn.dataset.state = state;
    conn.textContent = L[state] || state;
  }

  // The filters of this page, without its sort or page: a row or the totals
  // are re-read under the same filters wherever the row sits.
  const FILTERS = ["organization_id", "status", "overdue", "q"];
  function filterParams(extra) {
    const p = new URLSearchParams();
    for (const k of FILTERS) if (cfg.query && cfg.query[k]) p.set(k, cfg.query[k]);
    for (const [k, v] of Object.entries(extra || {})) p.set(k, String(v));
    return p.toString();
  }

  function text(el, value) {
    if (el) el.textContent = value;
  }

  // The rows on this page that events touched, in one request, rendered by
  // the server with the page's own row template (dashboard/_row.html); a row
  // that no longer passes the page's filters leaves the table.
  async function refreshRows(workspaceIds) {
    const rows = new Map();
    for (const id of workspaceIds) {
      const tr = document.querySelector(`tr[data-workspace-id="${id}"]`);
      if (tr) rows.set(Number(id), tr);
    }
    if (!rows.size) return;
    const res = await fetch(
      "/dashboard/rows?" +
        filterParams({
          workspace_id: [...rows.keys()].join(","),
          limit: rows.size,
        }),
      { credentials: "same-origin" },
    );
    if (!res.ok) throw new Error(res.statusText);
    // A <template> parses the rows without running or loading anything; the
    // server escaped every value in them.
    const fresh = document.createElement("template");
    fresh.innerHTML = await res.text();
    for (const [id, tr] of rows) {
      const row = fresh.content.querySelector(`tr[data-workspace-id="${id}"]`);
      if (!row) {
        tr.remove();
        continue;
      }
      JL.localiseTimes(row);
      row.classList.add("updated");
      tr.replaceWith(row);
    }
  }

  async function refreshTotals() {
    const t = await JL.api("GET", "/dashboard/totals?" + filterParams({}));
    const set = (k, v) => text(document.querySelector(`[data-total="${k}"]`), String(v));
    set("workspaces", t.workspaces);
    set("with_overdue", t.with_overdue);
    set("reached", t.milestones.reached);
    set("agreed", t.agreed);
    const funds = document.querySelector("[data-total-funding]");
    if (funds) {
      funds.replaceChildren();
      t.funding.forEach((f, i) => {
        const b = document.createElement("b");
        b.textContent = f.released;
        funds.append(i ? "; " : "", b, ` / ${f.planned} ${f.currency}`);
      });
      if (!t.funding.length) funds.textContent = L.none;
    }
  }

  // A burst of events costs one refresh. Refreshes never overlap, and the
  // pause before the next one grows with how long the last one took (and
  // doubles after a failure), so when many dashboards are open and the server
  // is busy each page refreshes less often instead of queueing requests.
  const pending = new Set();
  let timer = null;
  let running = false;
  let gap = 250;
  function schedule(workspaceId) {
    if (workspaceId != null) pending.add(workspaceId);
    if (timer || running || !pending.size) return;
    timer = setTimeout(refresh, gap);
  }
  async function refresh() {
    timer = null;
    running = true;
    const ids = [...pending];
    pending.clear();
    const started = performance.now();
    try {
      await refreshRows(ids);
      await refreshTotals();
      gap = Math.min(5000, Math.max(250, 3 * (performance.now() - started)));
    } catch (_err) {
      for (const id of ids) pending.add(id); // retried once the connection is back
      gap = Math.min(5000, gap * 2);
    } finally {
      running = false;
      schedule();
    }
  }

  function onEvent(env) {
    if (seen.has(env.id)) return; // a replay after reconnecting may overlap
    seen.add(env.id);
    if (env.id > lastId) lastId = env.id;
    schedule(env.workspace_id);
    document.dispatchEvent(new CustomEvent("jl:dashboard-event", { detail: env }));
  }

  const socket = io({ path: "/socket.io", transports: ["websocket", "polling"] });
  JL.watchAccess(socket);
  socket.on("connect", () => {
    socket.emit("feed:subscribe", { after: lastId, types: cfg.liveTypes }, (ack) => {
      setState(ack && ack.ok ? "connected" : "reconnecting");
    });
  });
  socket.on("event", onEvent);
  socket.on("disconnect", () => setState("reconnecting"));
  socket.io.on("reconnect_attempt", () => setState("reconnecting"));
  socket.on("connect_error", () => setState("reconnecting"));
}
