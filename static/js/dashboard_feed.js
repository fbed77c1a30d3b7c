import * as JL from "./app.js";
import * as events from "./event_words.js";
// The live milestone feed: events grouped by day in the reader's time zone,
// newest first, each linking to the thing (words and links from
// event_words.js, as the server's are; a day and a line are clones of the
// server's markup, events/_items.html). dashboard.js hands over each event
// once; the id guard here also covers the server-rendered items.
export function start() {
  const cfgEl = document.getElementById("dashboard-config");
  const list = document.getElementById("milestone-feed");
  if (!cfgEl || !list) return;
  const cfg = JSON.parse(cfgEl.textContent);
  const L = cfg.labels;
  const dayItem = document.getElementById("feed-day").content.firstElementChild;
  const eventItem = document.getElementById("feed-item").content.firstElementChild;

  function wanted(type) {
    return cfg.feedTypes.some(
      (p) => p === type || (p.endsWith(".*") && type.startsWith(p.slice(0, -1))),
    );
  }

  function dayGroup(key) {
    let group = list.querySelector(`li.day[data-day="${key}"]`);
    if (group) return group.querySelector("ol");
    group = dayItem.cloneNode(true);
    group.dataset.day = key;
    group.querySelector("time").setAttribute("datetime", key);
    JL.localiseTimes(group);
    // Days are newest first; a late-arriving older day goes in its place.
    const after = [...list.children].find((el) => el.dataset.day < key);
    list.insertBefore(group, after || null);
    return group.querySelector("ol");
  }

  function render(env) {
    if (!wanted(env.type) || list.querySelector(`[data-event-id="${env.id}"]`)) return;
    const ol = dayGroup(JL.formatTime(env.occurred_at, "key"));
    const li = eventItem.cloneNode(true);
    li.dataset.eventId = env.id;
    li.dataset.type = env.type;
    li.classList.add("fresh");
    li.querySelector("time").setAttribute("datetime", env.occurred_at);
    JL.localiseTimes(li);
    const title = cfg.workspaceTitles && cfg.workspaceTitles[env.workspace_id];
    const ws = li.querySelector('[data-part="workspace"]');
    if (title) ws.textContent = title + " · ";
    else ws.remove();
    const a = li.querySelector('[data-part="event"]');
    a.href = events.link(env);
    a.textContent = events.sentence(env, L);
    const evidence = events.evidenceLink(env);
    const pdf = li.querySelector('[data-part="evidence"]');
    if (evidence) pdf.querySelector("a").href = evidence;
    else pdf.remove();
    // Newest first within the day, by id (the global order of events).
    const before = [...ol.children].find((el) => Number(el.dataset.eventId) < env.id);
    ol.insertBefore(li, before || null);
  }

  document.addEventListener("jl:dashboard-event", (e) => render(e.detail));
}
