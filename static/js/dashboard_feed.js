import * as JL from "./app.js";
import * as events from "./event_words.js";
// The live milestone feed: events grouped by day in the reader's time zone,
// newest first, each linking to the thing (words and links from
// event_words.js, as the server's are). dashboard.js hands over each event
// once; the id guard here also covers the server-rendered items.
export function start() {
  const cfgEl = document.getElementById("dashboard-config");
  const list = document.getElementById("milestone-feed");
  if (!cfgEl || !list) return;
  const cfg = JSON.parse(cfgEl.textContent);
  const L = cfg.labels;

  function wanted(type) {
    return cfg.feedTypes.some(
      (p) => p === type || (p.endsWith(".*") && type.startsWith(p.slice(0, -1))),
    );
  }

  function dayGroup(key) {
    let group = list.querySelector(`li.day[data-day="${key}"]`);
    if (group) return group.querySelector("ol");
    group = document.createElement("li");
    group.className = "day";
    group.dataset.day = key;
    const h = document.createElement("h3");
    const day = document.createElement("time");
    day.setAttribute("datetime", key);
    day.dataset.format = "day";
    day.textContent = JL.formatTime(key, "day");
    h.append(day);
    group.append(h, document.createElement("ol"));
    // Days are newest first; a late-arriving older day goes in its place.
    const after = [...list.children].find((el) => el.dataset.day < key);
    list.insertBefore(group, after || null);
    return group.querySelector("ol");
  }

  function render(env) {
    if (!wanted(env.type) || list.querySelector(`[data-event-id="${env.id}"]`)) return;
    const ol = dayGroup(JL.formatTime(env.occurred_at, "key"));
    const li = document.createElement("li");
    li.dataset.eventId = env.id;
    li.dataset.type = env.type;
    li.className = "fresh";
    const t = document.createElement("time");
    t.setAttribute("datetime", env.occurred_at);
    t.dataset.format = "time";
    t.textContent = JL.formatTime(env.occurred_at, "time");
    const a = document.createElement("a");
    a.href = events.link(env);
    a.textContent = events.sentence(env, L);
    const title = cfg.workspaceTitles && cfg.workspaceTitles[env.workspace_id];
    li.append(t, " ");
    if (title) {
      const ws = document.createElement("span");
      ws.className = "muted";
      ws.textContent = title + " · ";
      li.append(ws);
    }
    li.append(a);
    const evidence = events.evidenceLink(env);
    if (evidence) {
      const pdf = document.createElement("a");
      pdf.href = evidence;
      pdf.textContent = L.evidence;
      li.append(" · ", pdf);
    }
    // Newest first within the day, by id (the global order of events).
    const before = [...ol.children].find((el) => Number(el.dataset.eventId) < env.id);
    ol.insertBefore(li, before || null);
  }

  document.addEventListener("jl:dashboard-event", (e) => render(e.detail));
}
