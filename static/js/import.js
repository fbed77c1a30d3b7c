import * as JL from "./app.js";
// Measurement import on the trial page: choose or drop an export, see the
// first rows, how each column maps to an indicator and every bad row (a
// dry run stores nothing), then import it.
export function start() {
  const panel = document.querySelector("[data-import-panel]");
  if (!panel) return;
  const t = JSON.parse(document.getElementById("import-strings").textContent);
  const input = panel.querySelector("[data-import-input]");
  const zone = panel.querySelector("[data-import-drop]");
  const box = panel.querySelector("[data-import-preview]");
  const go = panel.querySelector("[data-import-go]");
  const done = panel.querySelector("[data-import-done]");
  const errorEl = panel.querySelector("[data-import-error]");
  let chosen = null;

  function send(file, dryRun) {
    const form = new FormData();
    form.append("file", file, file.name);
    const path =
      "/api/v1/trials/" +
      panel.dataset.trialId +
      "/measurements/import" +
      (dryRun ? "?dry_run=1" : "");
    return fetch(path, {
      method: "POST",
      body: form,
      credentials: "same-origin",
      headers: { "X-CSRF-Token": JL.csrf || "" },
    }).then((res) => res.json().then((body) => ({ res, body })));
  }

  function cell(tag, text) {
    const el = document.createElement(tag);
    el.textContent = text;
    return el;
  }

  function showError(message) {
    errorEl.textContent = message || "";
    errorEl.hidden = !message;
  }

  function showErrors(errors) {
    const list = panel.querySelector("[data-import-errors]");
    list.textContent = "";
    Object.entries(errors || {}).forEach(([row, problem]) => {
      const li = cell("li", row + ": " + (Array.isArray(problem) ? problem.join(" ") : problem));
      li.dataset.row = row;
      list.appendChild(li);
    });
    if (Object.keys(errors || {}).length) list.appendChild(cell("li", t.fix_first));
  }

  function preview(p) {
    const head = panel.querySelector("[data-import-head]");
    const rows = panel.querySelector("[data-import-rows]");
    head.textContent = "";
    rows.textContent = "";
    const names = document.createElement("tr");
    const maps = document.createElement("tr");
    p.columns.forEach((c) => {
      names.appendChild(cell("th", c));
      const key = p.mapping[c];
      maps.appendChild(cell("td", p.layout === "long" ? "" : key ? "→ " + key : t.not_a_reading));
    });
    head.appendChild(names);
    if (p.layout === "wide") head.appendChild(maps);
    p.preview.forEach((r) => {
      const tr = document.createElement("tr");
      for (const v of r) tr.appendChild(cell("td", v));
      rows.appendChild(tr);
    });
    panel.querySelector("[data-import-summary]").textContent = JL.plural(t, "summary", p.count, {
      count: p.count,
      layout: t[p.layout] || p.layout,
      bad: p.bad_rows,
    });
    showErrors(p.errors);
    go.hidden = p.bad_rows > 0 || p.count === 0;
    if (p.trial_status !== "running") {
      go.hidden = true;
      showError(t.not_running);
    }
    box.hidden = false;
  }

  function choose(file) {
    chosen = file;
    done.hidden = true;
    box.hidden = true;
    showError("");
    send(file, true)
      .then(({ res, body }) => {
        if (res.ok) return preview(body);
        box.hidden = true;
        showError(body.error ? body.error.message : res.statusText);
      })
      .catch((err) => showError(err.message));
  }

  JL.takeFiles(panel, input, zone, (files) => choose(files[0]));
  go.addEventListener("click", () => {
    if (!chosen) return;
    go.disabled = true;
    send(chosen, false)
      .then(({ res, body }) => {
        go.disabled = false;
        if (!res.ok) {
          showError(body.error ? body.error.message : res.statusText);
          if (body.error && body.error.code === "bad_rows") showErrors(body.error.fields);
          return;
        }
        box.hidden = true;
        const replayed = res.headers.get("Idempotent-Replayed") === "true";
        done.textContent = replayed
          ? t.replayed
          : JL.plural(t, "done", body.count, { count: body.count });
        done.hidden = false;
      })
      .catch((err) => {
        go.disabled = false;
        showError(err.message);
      });
  });
}
