// The trial page: gauges and measurements straight from the live event, the status
// actions, the baseline box and the edit of hypothesis and parameters (If-Match).
import * as JL from "./app.js";
import { checkParameters, serverParameterProblems } from "./trials_parameters.js";
import { errorText, S, trialEl } from "./trials_shared.js";

function fmt(v) {
  if (v === null || v === undefined) return "—";
  return typeof v === "number" ? String(Number(v.toPrecision(4))) : String(v);
}
function setBadge(role, value) {
  if (!trialEl) return;
  trialEl.querySelectorAll('[data-role="' + role + '"]').forEach((b) => {
    b.dataset[role] = value;
    b.className = "badge " + role + "-" + value;
    b.textContent = S[value] || value;
  });
}
function showResults(results) {
  for (const [key, r] of Object.entries(results || {})) {
    const g = trialEl.querySelector('[data-gauge="' + key + '"]');
    if (!g) continue;
    g.classList.toggle("met", r.met === true);
    g.classList.toggle("unmet", r.met === false);
    g.querySelector('[data-role="value"]').textContent = fmt(r.value);
    g.querySelector('[data-role="met"]').textContent =
      r.met === true ? S.met : r.met === false ? S.not_met : S.no_data;
    const target = Number(g.dataset.target);
    const pct =
      r.value === null || !target
        ? 0
        : Math.max(0, Math.min(100, Math.round((50 * r.value) / target)));
    g.querySelector('[data-role="bar"]').style.width = pct + "%";
  }
}
// A reading's row is a clone of the server's (trials/_macros.html, measurement_row).
function prependMeasurements(items) {
  const body = trialEl.querySelector('[data-testid="measurements"]');
  const row = document.getElementById("measurement-row");
  if (!body || !row) return;
  for (const m of items) {
    const tr = row.content.firstElementChild.cloneNode(true);
    tr.className = "fresh";
    tr.querySelector("time").setAttribute("datetime", m.recorded_at || "");
    tr.querySelector("code").textContent = m.metric;
    tr.cells[2].textContent = fmt(m.value);
    tr.cells[3].textContent = m.source || "";
    JL.localiseTimes(tr);
    body.insertBefore(tr, body.firstChild);
  }
  while (body.rows.length > 100) body.deleteRow(body.rows.length - 1);
}
function showStatus(trial) {
  trialEl.dataset.status = trial.status;
  if (trial.etag) trialEl.dataset.etag = trial.etag;
  setBadge("status", trial.status);
  if (trial.outcome) setBadge("outcome", trial.outcome);
  const show = {
    running: trial.status === "planned",
    completed: trial.status === "running",
    aborted: trial.status === "running",
    delete: trial.status === "planned",
  };
  trialEl.querySelectorAll("[data-trial-action]").forEach((b) => {
    if (b.dataset.trialAction in show) b.hidden = !show[b.dataset.trialAction];
  });
  const form = trialEl.querySelector('form[data-trials-form="measurement"]');
  if (form) form.hidden = trial.status !== "running";
}
function formatParameters(params) {
  return Object.keys(params || {})
    .sort()
    .map((k) => k + " = " + params[k])
    .join("\n");
}
function showDetails(trial, intoForm) {
  const p = trialEl.querySelector('[data-role="hypothesis"]');
  if (p) {
    p.hidden = !trial.hypothesis;
    p.querySelector('[data-role="hypothesis-text"]').textContent = trial.hypothesis || "";
  }
  const box = trialEl.querySelector("[data-trial-baseline]");
  if (box) box.checked = !!trial.baseline;
  const form = trialEl.querySelector("form[data-trial-edit]");
  // Someone's half-typed edit is left alone (its save then meets the 412).
  if (form && (intoForm || !JL.formEdited(form))) {
    for (const [name, text] of [
      ["hypothesis", trial.hypothesis || ""],
      ["parameters", formatParameters(trial.parameters)],
    ]) {
      form.elements[name].value = text;
      form.elements[name].defaultValue = text;
    }
    form.dataset.baseEtag = trialEl.dataset.etag;
  }
}
// The ETag travels in a header (not in the JSON): keep the page's copy
// current after every read and write, or the next change would get 412.
function keepEtag(res) {
  const etag = res.headers.get("ETag");
  if (etag) trialEl.dataset.etag = etag;
}
async function reloadTrial(intoForm) {
  const res = await fetch("/api/v1/trials/" + trialEl.dataset.trialId, {
    credentials: "same-origin",
  });
  if (!res.ok) return;
  keepEtag(res);
  const t = await res.json();
  showStatus(t);
  showResults(t.results);
  showDetails(t, intoForm);
  const count = trialEl.querySelector('[data-role="count"]');
  if (count) count.textContent = t.measurement_count;
}
// PATCH with the ETag the page was drawn from: a change someone else made
// in between gets 412, and the page then shows their version.
async function patchTrial(changes, etag) {
  const res = await fetch("/api/v1/trials/" + trialEl.dataset.trialId, {
    method: "PATCH",
    credentials: "same-origin",
    headers: {
      "Content-Type": "application/json",
      "X-CSRF-Token": JL.csrf || "",
      "If-Match": etag || trialEl.dataset.etag,
    },
    body: JSON.stringify(changes),
  });
  const body = await res.json();
  if (res.status === 412) {
    await reloadTrial(true);
    throw new Error(S.stale);
  }
  if (!res.ok) {
    const err = new Error(body.error.message);
    err.body = body;
    throw err;
  }
  keepEtag(res);
  showStatus(body);
  showResults(body.results);
  showDetails(body, false);
  return body;
}
function onTrialEvent(env) {
  const trial = env.data && env.data.trial;
  if (!trialEl || !trial || String(trial.id) !== trialEl.dataset.trialId) return;
  if (env.type === "trial.measurements_recorded") {
    showResults(env.data.results);
    setBadge("outcome", env.data.outcome);
    const count = trialEl.querySelector('[data-role="count"]');
    if (count) count.textContent = Number(count.textContent) + env.data.count;
    prependMeasurements(env.data.latest || []);
  } else if (["trial.status_changed", "trial.completed", "trial.updated"].includes(env.type)) {
    reloadTrial().catch(() => {});
  }
}

async function trialAction(button) {
  const out = trialEl.querySelector('[data-role="trial-error"]');
  if (out) out.hidden = true;
  const action = button.dataset.trialAction;
  try {
    if (action === "aborted" && !confirm(S.confirm_abort)) return;
    if (action === "completed" && !confirm(S.confirm_complete)) return;
    await patchTrial({ status: action });
  } catch (err) {
    if (out) {
      out.textContent = errorText(err);
      out.hidden = false;
    }
  }
}

async function saveDetails(form) {
  const out = form.querySelector(".error");
  out.hidden = true;
  const changes = { hypothesis: form.elements.hypothesis.value };
  if (!checkParameters(form)) return;
  if (!form.elements.parameters.disabled) changes.parameters = form.elements.parameters.value;
  try {
    // The edit is based on the version shown when typing began.
    const t = await patchTrial(changes, form.dataset.baseEtag);
    form.elements.parameters.value = formatParameters(t.parameters);
    // The parameter table and the changes against the parent are drawn by
    // the server; redraw them.
    location.reload();
  } catch (err) {
    if (serverParameterProblems(form, err)) return;
    out.textContent = errorText(err);
    out.hidden = false;
  }
}
async function toggleBaseline(box) {
  const out = trialEl.querySelector('[data-role="trial-error"]');
  if (out) out.hidden = true;
  const wanted = box.checked;
  box.disabled = true;
  try {
    await patchTrial({ baseline: wanted });
  } catch (err) {
    if (out) {
      out.textContent = errorText(err);
      out.hidden = false;
    }
    reloadTrial(false).catch(() => {}); // show what is stored
  } finally {
    box.disabled = false;
  }
}

export function start() {
  if (!trialEl) return;
  document.addEventListener("jl:event", (e) => onTrialEvent(e.detail));
  document.addEventListener("change", (e) => {
    const box = e.target.closest("[data-trial-baseline]");
    if (box && trialEl) toggleBaseline(box);
  });
  document.addEventListener("submit", (e) => {
    const form = e.target.closest("form[data-trial-edit]");
    if (!form || !trialEl) return;
    e.preventDefault();
    saveDetails(form);
  });
  document.addEventListener("click", (e) => {
    if (e.target.closest("[data-deletes]")) return; // removals.js
    const t = e.target.closest("[data-trial-action]");
    if (t) {
      e.preventDefault();
      trialAction(t);
    }
  });
}
