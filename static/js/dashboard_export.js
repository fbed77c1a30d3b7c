import * as JL from "./app.js";
// Export the dashboard (with its filters) as CSV or XLSX: a background job
// makes the file while this shows its progress, then offers the download.
export function start() {
  const cfgEl = document.getElementById("dashboard-config");
  const box = document.querySelector('[data-testid="export"]');
  if (!cfgEl || !box) return;
  const cfg = JSON.parse(cfgEl.textContent);
  const L = cfg.labels;
  const bar = box.querySelector("progress");
  const status = box.querySelector(".export-status");

  function show(task) {
    bar.hidden = task.status === "done" || task.status === "failed";
    bar.value = task.total ? Math.round((100 * task.done) / task.total) : 0;
    status.textContent = "";
    if (task.status === "done") {
      const a = document.createElement("a");
      a.href = task.download_url;
      a.dataset.testid = "export-download";
      a.textContent = JL.fill(L.export_done, task);
      status.append(a);
    } else if (task.status === "failed") {
      status.textContent = JL.fill(L.export_failed, task);
    } else {
      status.textContent = task.status === "queued" ? L.queued : JL.fill(L.export_running, task);
    }
  }

  async function poll(id) {
    const task = await JL.api("GET", `/exports/${id}`);
    show(task);
    if (task.status === "queued" || task.status === "running") setTimeout(() => poll(id), 400);
  }

  box.addEventListener("click", async (e) => {
    const format = e.target && e.target.dataset && e.target.dataset.export;
    if (!format) return;
    try {
      const q = cfg.query || {};
      const body = { format };
      for (const k of ["organization_id", "q", "status", "sort", "order"]) if (q[k]) body[k] = q[k];
      if (body.organization_id) body.organization_id = Number(body.organization_id);
      if (q.overdue) body.overdue = q.overdue === "true";
      const task = await JL.api("POST", "/exports", body);
      show(task);
      poll(task.id);
    } catch (err) {
      status.textContent = err.message;
    }
  });
}
