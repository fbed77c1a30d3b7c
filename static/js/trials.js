// Trials, measurements and milestones, live: fragments re-render when the
// page's socket (activity.js, `jl:event`) reports a matching event; the trial
// page updates its gauges and measurements straight from the event.
(function () {
  "use strict";
  if (window.JL_TRIALS) return; // the panel and a page may both include us
  window.JL_TRIALS = true;
  const stringsEl = document.getElementById("trials-strings");
  const S = stringsEl ? JSON.parse(stringsEl.textContent) : {};
  const trialEl = document.getElementById("trial");

  function errorText(err) {
    const fields = err.body && err.body.error && err.body.error.fields;
    const detail = fields ? Object.entries(fields).map(([k, v]) => k + ": " + [].concat(v).join(" ")).join("; ") : "";
    return err.message + (detail && !err.message.includes(detail) ? " (" + detail + ")" : "");
  }

  // ------------------------------------------------------------ fragments
  const timers = new WeakMap();
  function refresh(el) {
    if (timers.get(el)) return;
    // Someone typing in an edit form inside the fragment keeps their text:
    // the fragment catches up once they save or close it.
    if (el.querySelector("details[open] form[data-dirty]")) { el.dataset.stale = "1"; return; }
    // Coalesce a burst of events (a line posting many batches) into one fetch.
    timers.set(el, setTimeout(async () => {
      timers.delete(el);
      try {
        const res = await fetch(el.dataset.src, { credentials: "same-origin" });
        if (!res.ok) return;
        const html = await res.text();
        const charts = window.JL && JL.detachCharts ? JL.detachCharts(el) : null;
        el.innerHTML = html;
        if (window.JL) {
          JL.localiseTimes(el); JL.applyWidths(el);
          if (JL.mountCharts) JL.mountCharts(el, charts); // the same charts, new numbers
        }
      } catch (e) { /* the next event tries again */ }
    }, 250));
  }
  function matches(el, env) {
    const types = (el.dataset.liveTypes || "").split(",").filter(Boolean);
    if (!types.some((t) => env.type === t || (t.endsWith(".") && env.type.startsWith(t)))) return false;
    const only = el.dataset.trialOnly;
    const trial = env.data && env.data.trial;
    return !only || (trial && String(trial.id) === only);
  }

  // ------------------------------------------------------------ trial page
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
      g.querySelector('[data-role="met"]').textContent = r.met === true ? S.met : r.met === false ? S.not_met : S.no_data;
      const target = Number(g.dataset.target);
      const pct = r.value === null || !target ? 0 : Math.max(0, Math.min(100, Math.round(50 * r.value / target)));
      g.querySelector('[data-role="bar"]').style.width = pct + "%";
    }
  }
  function prependMeasurements(items) {
    const body = trialEl.querySelector('[data-testid="measurements"]');
    if (!body) return;
    for (const m of items) {
      const tr = document.createElement("tr");
      tr.className = "fresh";
      const cells = [m.recorded_at ? JL.formatTime(m.recorded_at) : "", m.metric, fmt(m.value), m.source || ""];
      cells.forEach((c, i) => {
        const td = document.createElement("td");
        if (i === 1) { const code = document.createElement("code"); code.textContent = c; td.appendChild(code); } else td.textContent = c;
        tr.appendChild(td);
      });
      body.insertBefore(tr, body.firstChild);
    }
    while (body.rows.length > 100) body.deleteRow(body.rows.length - 1);
  }
  function showStatus(trial) {
    trialEl.dataset.status = trial.status;
    if (trial.etag) trialEl.dataset.etag = trial.etag;
    setBadge("status", trial.status);
    if (trial.outcome) setBadge("outcome", trial.outcome);
    const show = { running: trial.status === "planned", completed: trial.status === "running",
      aborted: trial.status === "running", delete: trial.status === "planned" };
    trialEl.querySelectorAll("[data-trial-action]").forEach((b) => {
      if (b.dataset.trialAction in show) b.hidden = !show[b.dataset.trialAction];
    });
    const form = trialEl.querySelector('form[data-trials-form="measurement"]');
    if (form) form.hidden = trial.status !== "running";
  }
  function formatParameters(params) {
    return Object.keys(params || {}).sort().map((k) => k + " = " + params[k]).join("\n");
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
    if (form && (intoForm || !form.dataset.baseEtag)) {
      form.elements.hypothesis.value = trial.hypothesis || "";
      form.elements.parameters.value = formatParameters(trial.parameters);
      delete form.dataset.baseEtag;
    }
  }
  // The ETag travels in a header (not in the JSON): keep the page's copy
  // current after every read and write, or the next change would get 412.
  function keepEtag(res) {
    const etag = res.headers.get("ETag");
    if (etag) trialEl.dataset.etag = etag;
  }
  async function reloadTrial(intoForm) {
    const res = await fetch("/api/v1/trials/" + trialEl.dataset.trialId, { credentials: "same-origin" });
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
      method: "PATCH", credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": JL.csrf || "", "If-Match": etag || trialEl.dataset.etag },
      body: JSON.stringify(changes),
    });
    const body = await res.json();
    if (res.status === 412) { await reloadTrial(true); throw new Error(S.stale); }
    if (!res.ok) { const err = new Error(body.error.message); err.body = body; throw err; }
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

  document.addEventListener("jl:event", (e) => {
    const env = e.detail;
    document.querySelectorAll("[data-live-fragment]").forEach((el) => { if (matches(el, env)) refresh(el); });
    onTrialEvent(env);
  });

  // ------------------------------------------------------------ actions
  async function trialAction(button) {
    const out = trialEl.querySelector('[data-role="trial-error"]');
    if (out) out.hidden = true;
    const id = trialEl.dataset.trialId;
    const action = button.dataset.trialAction;
    try {
      if (action === "aborted" && !confirm(S.confirm_abort)) return;
      if (action === "completed" && !confirm(S.confirm_complete)) return;
      await patchTrial({ status: action });
    } catch (err) {
      if (out) { out.textContent = errorText(err); out.hidden = false; }
    }
  }

  async function milestoneAction(button) {
    const id = button.dataset.id;
    try {
      if (button.dataset.milestoneAction === "reach") await JL.api("POST", "/milestones/" + id + "/reach");
      else if (confirm(S.confirm_missed)) await JL.api("PATCH", "/milestones/" + id, { status: "missed" });
    } catch (err) { alert(errorText(err)); }
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
      if (out) { out.textContent = errorText(err); out.hidden = false; }
      reloadTrial(false).catch(() => {}); // show what is stored
    } finally {
      box.disabled = false;
    }
  }
  // The next iteration is planned with exactly what its form shows (a
  // parameter deleted there is not carried over from the parent).
  async function planNext(form) {
    const out = form.querySelector(".error");
    out.hidden = true;
    if (!checkParameters(form)) return;
    const f = form.elements;
    try {
      const child = await JL.api("POST", "/workspaces/" + form.dataset.workspaceId + "/trials", {
        parent_id: Number(form.dataset.parentId), title: f.title.value, line: f.line.value,
        batch: f.batch.value, hypothesis: f.hypothesis.value, parameters: f.parameters.value });
      location.href = "/trials/" + child.id;
    } catch (err) {
      if (serverParameterProblems(form, err)) return;
      out.textContent = errorText(err);
      out.hidden = false;
    }
  }
  // Edit a milestone or an indicator in place (PATCH); the fragment then
  // re-renders from the event, for everyone.
  async function saveEdit(form, path, changes) {
    const out = form.querySelector(".error");
    out.hidden = true;
    try {
      await JL.api("PATCH", path, changes);
      delete form.dataset.dirty;
      form.closest("details").open = false;
    } catch (err) {
      out.textContent = errorText(err);
      out.hidden = false;
    }
  }
  document.addEventListener("submit", (e) => {
    const form = e.target.closest("form[data-milestone-edit], form[data-indicator-edit]");
    if (!form) return;
    e.preventDefault();
    const f = form.elements;
    if (form.matches("[data-milestone-edit]")) {
      const due = f.due_date.value || null;
      if (due && due !== form.dataset.due && isPast(due) &&
          !confirm(S.confirm_past_due.replace("{date}", due))) return;
      saveEdit(form, "/milestones/" + form.dataset.id,
               { title: f.title.value, description: f.description.value, due_date: due });
    } else {
      saveEdit(form, "/indicators/" + form.dataset.id, {
        label: f.label.value, unit: f.unit.value, comparator: f.comparator.value,
        target: Number(f.target.value), aggregate: f.aggregate.value,
        lower_spec: numberOrNull(f.lower_spec.value), upper_spec: numberOrNull(f.upper_spec.value) });
    }
  });
  document.addEventListener("submit", (e) => {
    const form = e.target.closest("form[data-trial-next]");
    if (!form) return;
    e.preventDefault();
    planNext(form);
  });
  document.addEventListener("input", (e) => {
    const edit = e.target.closest("form[data-milestone-edit], form[data-indicator-edit]");
    if (edit) edit.dataset.dirty = "1";
  });
  document.addEventListener("toggle", (e) => {
    const details = e.target;
    if (details.open || !details.querySelector) return;
    const form = details.querySelector("form[data-dirty]");
    if (form) delete form.dataset.dirty; // closed unsaved: the stored version wins
    const el = details.closest("[data-live-fragment][data-stale]");
    if (el) { delete el.dataset.stale; refresh(el); }
  }, true);
  document.addEventListener("input", (e) => {
    const form = e.target.closest("form[data-trial-edit]");
    if (form && trialEl && !form.dataset.baseEtag) form.dataset.baseEtag = trialEl.dataset.etag;
  });
  document.addEventListener("change", (e) => {
    const box = e.target.closest("[data-trial-baseline]");
    if (box && trialEl) toggleBaseline(box);
  });

  document.addEventListener("click", (e) => {
    if (e.target.closest("[data-deletes]")) return; // removals.js
    const t = e.target.closest("[data-trial-action]");
    if (t && trialEl) { e.preventDefault(); trialAction(t); return; }
    const m = e.target.closest("[data-milestone-action]");
    if (m) { e.preventDefault(); milestoneAction(m); }
  });

  // A due date before today (in the writer's own calendar) is most likely a typo
  // (1999 for 2029): ask before recording a milestone that is overdue at birth.
  function isPast(isoDate) {
    if (!isoDate) return false;
    const now = new Date();
    const today = [now.getFullYear(), String(now.getMonth() + 1).padStart(2, "0"),
      String(now.getDate()).padStart(2, "0")].join("-");
    return isoDate < today;
  }
  function numberOrNull(v) { return v === "" || v === undefined ? null : Number(v); }
  // The same rules as the server (workspace/trials/parameter_text.py): every line
  // that cannot be read is reported by number, nothing is silently dropped.
  function parameterProblems(text) {
    const problems = [];
    const seen = new Set();
    const say = (key, n, name) => (S[key] || key).replace("{line}", n).replace("{name}", name || "");
    (text || "").split(/\r\n|\r|\n/).forEach((line, i) => {
      const n = i + 1;
      if (!line.trim()) return;
      const at = line.indexOf("=");
      const name = at < 0 ? "" : line.slice(0, at).trim();
      const raw = at < 0 ? "" : line.slice(at + 1).trim();
      if (at < 0) problems.push(say("param_no_equals", n));
      else if (!name) problems.push(say("param_no_name", n));
      else if (name.length > 64) problems.push(say("param_long_name", n, name));
      else if (!raw) problems.push(say("param_no_value", n, name));
      else if (raw.length > 500) problems.push(say("param_long_value", n, name));
      else if (seen.has(name)) problems.push(say("param_twice", n, name));
      else seen.add(name);
    });
    return problems;
  }
  function parametersError(form) {
    const box = form.elements.parameters;
    let out = form.querySelector('[data-role="parameters-error"]');
    if (!out) {
      out = document.createElement("p");
      out.className = "error";
      out.setAttribute("role", "alert");
      out.dataset.role = "parameters-error";
      out.setAttribute("data-testid", "parameters-error");
      box.closest("label").insertAdjacentElement("afterend", out);
    }
    return out;
  }
  function showParameterProblems(form, problems) {
    const out = parametersError(form);
    out.textContent = problems.join(" ");
    out.hidden = problems.length === 0;
    form.elements.parameters.setAttribute("aria-invalid", problems.length ? "true" : "false");
    return problems.length === 0;
  }
  // Checked before sending; the server reads the same text and answers 422 naming
  // the lines if the two ever disagree.
  function checkParameters(form) {
    const box = form.elements.parameters;
    if (!box || box.disabled) return true;
    return showParameterProblems(form, parameterProblems(box.value));
  }
  function serverParameterProblems(form, err) {
    const fields = err.body && err.body.error && err.body.error.fields;
    if (!fields || !fields.parameters || !form.elements.parameters) return false;
    showParameterProblems(form, [].concat(fields.parameters));
    return true;
  }
  // Problems show when leaving the field and, once shown, follow the typing;
  // leaving a correct field changes nothing (no layout shift under the Save click).
  function recheckParameters(e, onlyIfShown) {
    if (e.target.name !== "parameters") return;
    const form = e.target.closest("form[data-trials-form], form[data-trial-edit], form[data-trial-next]");
    if (!form) return;
    const out = form.querySelector('[data-role="parameters-error"]');
    const shown = out && !out.hidden;
    if (onlyIfShown && !shown) return;
    const problems = parameterProblems(e.target.value);
    if (problems.length || shown) showParameterProblems(form, problems);
  }
  document.addEventListener("focusout", (e) => recheckParameters(e, false));
  document.addEventListener("input", (e) => recheckParameters(e, true));
  const builders = {
    indicator: (d) => ({ key: d.key, label: d.label, unit: d.unit || "", comparator: d.comparator,
      target: Number(d.target), aggregate: d.aggregate, lower_spec: numberOrNull(d.lower_spec), upper_spec: numberOrNull(d.upper_spec) }),
    trial: (d) => ({ title: d.title, line: d.line, batch: d.batch, hypothesis: d.hypothesis, parameters: d.parameters || "" }),
    milestone: (d) => ({ title: d.title, description: d.description || "", due_date: d.due_date || null,
      criteria: d.mode === "auto" ? { indicators: "all", consecutive_trials: Number(d.consecutive_trials || 1) } : null }),
    measurement: (d) => ({ metric: d.metric, value: Number(d.value), source: "web" }),
  };
  document.addEventListener("submit", (e) => {
    const form = e.target.closest("form[data-trial-edit]");
    if (!form || !trialEl) return;
    e.preventDefault();
    saveDetails(form);
  });
  document.addEventListener("submit", async (e) => {
    const form = e.target.closest("form[data-trials-form]");
    if (!form) return;
    e.preventDefault();
    const out = form.querySelector(".error");
    if (out) out.hidden = true;
    const data = Object.fromEntries(new FormData(form).entries());
    if (form.dataset.trialsForm === "trial" && !checkParameters(form)) return;
    if (form.dataset.trialsForm === "milestone" && isPast(data.due_date) &&
        !confirm(S.confirm_past_due.replace("{date}", data.due_date))) return;
    try {
      const created = await JL.api("POST", form.dataset.path, builders[form.dataset.trialsForm](data));
      if (form.dataset.trialsForm === "measurement") { form.elements.value.value = ""; form.elements.value.focus(); return; }
      form.reset();
      if (form.dataset.trialsForm === "trial" && created && created.id) location.href = "/trials/" + created.id;
    } catch (err) {
      if (serverParameterProblems(form, err)) return;
      if (out) { out.textContent = errorText(err); out.hidden = false; }
    }
  });
})();
