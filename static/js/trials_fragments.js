// Fragments of the trials and milestones lists re-render when the page's socket
// (activity.js, `jl:event`) reports a matching event.
import * as JL from "./app.js";
import { detachCharts, mountCharts } from "./charts.js";

const timers = new WeakMap();
function refresh(el) {
  if (timers.get(el)) return;
  // Someone typing in an edit form inside the fragment keeps their text:
  // the fragment catches up once they save or close it.
  if ([...el.querySelectorAll("details[open] form")].some(JL.formEdited)) {
    el.dataset.stale = "1";
    return;
  }
  // Coalesce a burst of events (a line posting many batches) into one fetch.
  timers.set(
    el,
    setTimeout(async () => {
      timers.delete(el);
      try {
        const res = await fetch(el.dataset.src, { credentials: "same-origin" });
        if (!res.ok) return;
        const html = await res.text();
        const charts = detachCharts(el);
        el.innerHTML = html;
        JL.localiseTimes(el);
        JL.applyWidths(el);
        mountCharts(el, charts); // the same charts, new numbers
      } catch (_e) {
        /* the next event tries again */
      }
    }, 250),
  );
}
function matches(el, env) {
  const types = (el.dataset.liveTypes || "").split(",").filter(Boolean);
  if (!types.some((t) => env.type === t || (t.endsWith(".") && env.type.startsWith(t))))
    return false;
  const only = el.dataset.trialOnly;
  const trial = env.data && env.data.trial;
  return !only || (trial && String(trial.id) === only);
}

export function start() {
  document.addEventListener("jl:event", (e) => {
    const env = e.detail;
    document.querySelectorAll("[data-live-fragment]").forEach((el) => {
      if (matches(el, env)) refresh(el);
    });
  });
  document.addEventListener(
    "toggle",
    (e) => {
      const details = e.target;
      if (details.open || !details.querySelector) return;
      // An edit closed unsaved: the stored version wins. (A new item's form
      // keeps what was typed, for when it is opened again.)
      const edits = details.querySelectorAll(
        "form[data-milestone-edit], form[data-indicator-edit]",
      );
      for (const form of edits) form.reset();
      const el = details.closest("[data-live-fragment][data-stale]");
      if (el) {
        delete el.dataset.stale;
        refresh(el);
      }
    },
    true,
  );
}
