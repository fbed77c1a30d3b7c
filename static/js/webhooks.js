import * as JL from "./app.js";
// Webhook management: create (secret shown once), list, ping, delete,
// rotate, and the delivery log with attempts and redeliver.
export function start() {
  const root = document.getElementById("webhooks-app");
  if (!root) return;
  const T = JSON.parse(document.getElementById("webhook-strings").textContent);
  const wsId = root.dataset.workspaceId;
  const form = root.querySelector('[data-testid="webhook-form"]');
  const list = root.querySelector('[data-testid="webhook-list"] tbody');
  const status = root.querySelector('[data-testid="webhook-status"]');
  const log = root.querySelector('[data-testid="delivery-log"]');
  const secretBox = root.querySelector('[data-testid="secret-once"]');
  let shown = null;
  let timer = null;

  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    Object.entries(attrs || {}).forEach(([k, v]) => {
      if (k === "onclick") node.addEventListener("click", v);
      else node.setAttribute(k, v);
    });
    for (const c of children) {
      node.append(c instanceof Node ? c : document.createTextNode(c == null ? "" : String(c)));
    }
    return node;
  }
  function say(text, isError) {
    status.textContent = text;
    status.className = "status " + (isError ? "error" : "muted");
  }

  // A table's rows, or one muted row saying there are none.
  function fillRows(tbody, items, none, row) {
    tbody.replaceChildren();
    if (!items.length) tbody.append(el("tr", {}, el("td", { colspan: 5, class: "muted" }, none)));
    tbody.append(...items.map(row));
  }

  async function refresh() {
    const page = await JL.api("GET", `/workspaces/${wsId}/webhooks?limit=200`);
    fillRows(list, page.items, T.no_webhooks, (w) => {
      const actions = el(
        "td",
        {},
        el("button", { "data-action": "ping", onclick: () => ping(w.id) }, T.ping),
        " ",
        el("button", { "data-action": "deliveries", onclick: () => showLog(w) }, T.deliveries),
        " ",
        w.format === "standard"
          ? el("button", { "data-action": "rotate", onclick: () => rotate(w.id) }, T.rotate)
          : "",
        " ",
        el("button", { "data-action": "delete", onclick: () => remove(w.id) }, T.delete),
      );
      return el(
        "tr",
        { "data-webhook-id": w.id },
        el("td", {}, w.url),
        el("td", {}, w.format),
        el("td", {}, w.events.join(", ")),
        el("td", {}, w.active ? T.active : `${T.disabled}: ${w.disabled_reason || ""}`),
        actions,
      );
    });
  }

  function showSecret(secret) {
    secretBox.hidden = false;
    secretBox.querySelector("p").textContent = T.secret_once;
    secretBox.querySelector("code").textContent = secret;
  }

  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const err = form.querySelector(".error");
    err.hidden = true;
    const data = new FormData(form);
    const body = {
      url: data.get("url"),
      format: data.get("format"),
      events: String(data.get("events"))
        .split(",")
        .map((s) => s.trim())
        .filter(Boolean),
    };
    if (data.get("secret")) body.secret = data.get("secret");
    try {
      const hook = await JL.api("POST", `/workspaces/${wsId}/webhooks`, body);
      form.reset();
      if (hook.secret) showSecret(hook.secret);
      else secretBox.hidden = true;
      await refresh();
    } catch (ex) {
      const fields = ex.body && ex.body.error && ex.body.error.fields;
      err.textContent = ex.message + (fields ? " " + Object.values(fields).flat().join(" ") : "");
      err.hidden = false;
    }
  });

  // A button's API calls; a refusal is said in the status line (the API's words).
  async function act(calls) {
    try {
      await calls();
    } catch (ex) {
      say(ex.message, true);
    }
  }
  async function ping(id) {
    await act(async () => {
      await JL.api("POST", `/webhooks/${id}/ping`);
      say(T.ping_sent);
    });
    const hook = await JL.api("GET", `/webhooks/${id}`);
    showLog(hook);
  }
  async function rotate(id) {
    await act(async () => {
      const hook = await JL.api("POST", `/webhooks/${id}/rotate-secret`);
      showSecret(hook.secret);
    });
  }
  async function remove(id) {
    if (!window.confirm(T.confirm_delete)) return;
    await act(async () => {
      await JL.api("DELETE", `/webhooks/${id}`);
      if (shown && shown.id === id) {
        log.hidden = true;
        shown = null;
      }
      await refresh();
    });
  }
  async function redeliver(id) {
    await act(async () => {
      await JL.api("POST", `/deliveries/${id}/redeliver`);
      say(T.redelivered);
    });
    loadLog();
  }

  function attemptText(a) {
    const what = a.response_status ? `HTTP ${a.response_status}` : a.error || "";
    return `${JL.formatTime(a.at)} · ${what} · ${a.duration_ms} ms${a.error && a.response_status ? " · " + a.error : ""}`;
  }

  async function loadLog() {
    if (!shown) return;
    const page = await JL.api("GET", `/webhooks/${shown.id}/deliveries?limit=50`);
    const body = log.querySelector("tbody");
    fillRows(body, page.items, T.no_deliveries, (d) => {
      const attempts = el(
        "ol",
        { class: "attempts" },
        ...d.attempts.map((a) => el("li", { "data-ok": a.succeeded }, attemptText(a))),
      );
      return el(
        "tr",
        { "data-delivery-id": d.id, "data-status": d.status },
        el("td", {}, d.event_type),
        el("td", {}, el("code", {}, d.message_id)),
        el("td", { class: "delivery-status" }, T[d.status] || d.status),
        el("td", {}, `${d.attempts.length} ${T.attempts}`, attempts),
        el(
          "td",
          {},
          d.status === "pending"
            ? ""
            : el(
                "button",
                { "data-action": "redeliver", onclick: () => redeliver(d.id) },
                T.redeliver,
              ),
        ),
      );
    });
    // Pending deliveries change soon: keep the log fresh while it is open.
    clearTimeout(timer);
    if (page.items.some((d) => d.status === "pending")) timer = setTimeout(loadLog, 1000);
  }
  function showLog(hook) {
    shown = hook;
    log.hidden = false;
    log.querySelector(".which").textContent = hook.url;
    loadLog();
  }

  refresh().catch((ex) => say(ex.message, true));
}
