// Shared page helpers: API calls with the CSRF token, time formatting.
export const csrf = document.querySelector('meta[name="csrf-token"]')?.content;
export async function api(method, path, body) {
  const res = await fetch("/api/v1" + path, {
    method,
    headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf || "" },
    body: body === undefined ? undefined : JSON.stringify(body),
    credentials: "same-origin",
  });
  const text = await res.text();
  const data = text ? JSON.parse(text) : null;
  if (!res.ok) {
    const err = new Error((data && data.error && data.error.message) || res.statusText);
    err.status = res.status;
    err.body = data;
    throw err;
  }
  return data;
}

// Every item of a paged list (`?limit=200`, `next_cursor`), or null when `stillWanted()`
// turned false meanwhile (a newer load of the same list started: only the latest renders).
export async function everyPage(path, stillWanted) {
  const items = [];
  const join = path.includes("?") ? "&" : "?";
  let cursor = null;
  do {
    const page = await api(
      "GET",
      path + (cursor ? join + "cursor=" + encodeURIComponent(cursor) : ""),
    );
    items.push(...page.items);
    cursor = page.next_cursor;
  } while (cursor && stillWanted());
  return stillWanted() ? items : null;
}
// The one formatter of times for every page, server-rendered or live: the
// reader's language and the reader's time zone (the server's setting for
// them, on <html data-timezone>, not the browser's), so a heading, an item
// and a live item never disagree. A date without a time (a due date) is a
// calendar day: shown as that day wherever the reader is.
const LANG = document.documentElement.lang || undefined;
const ZONE = document.documentElement.dataset.timezone || undefined;
const DATE_ONLY = /^\d{4}-\d{2}-\d{2}$/;
const STYLES = {
  datetime: { dateStyle: "medium", timeStyle: "short" },
  date: { dateStyle: "medium" },
  day: { dateStyle: "full" },
  time: { hour: "2-digit", minute: "2-digit", hourCycle: "h23" },
  key: { year: "numeric", month: "2-digit", day: "2-digit" }, // YYYY-MM-DD, for grouping
};
const formatters = {};
function formatter(style, zone) {
  const id = style + "|" + zone;
  if (!formatters[id]) {
    const lang = style === "key" ? "en-CA" : LANG;
    try {
      formatters[id] = new Intl.DateTimeFormat(lang, { ...STYLES[style], timeZone: zone });
    } catch (_) {
      formatters[id] = new Intl.DateTimeFormat(lang, STYLES[style]);
    } // unknown zone
  }
  return formatters[id];
}
export function formatTime(iso, style) {
  if (!iso) return "";
  const dateOnly = DATE_ONLY.test(iso);
  const d = new Date(dateOnly ? iso + "T00:00:00Z" : iso);
  if (Number.isNaN(d.getTime())) return iso;
  return formatter(style || (dateOnly ? "date" : "datetime"), dateOnly ? "UTC" : ZONE).format(d);
}
// A file picker and a drop zone feeding one handler. Drops count anywhere on
// `panel`, not only on the small zone, which is lit while something is over
// it; the picker is cleared so that choosing the same file again works.
export function takeFiles(panel, input, zone, onFiles) {
  if (input) {
    input.addEventListener("change", () => {
      if (input.files.length) onFiles(input.files);
      input.value = "";
    });
  }
  if (!zone) return;
  panel.addEventListener("dragover", (e) => {
    e.preventDefault();
    zone.classList.add("over");
  });
  panel.addEventListener("dragleave", () => zone.classList.remove("over"));
  panel.addEventListener("drop", (e) => {
    e.preventDefault();
    zone.classList.remove("over");
    if (e.dataTransfer && e.dataTransfer.files.length) onFiles(e.dataTransfer.files);
  });
}
export function localiseTimes(root) {
  (root || document).querySelectorAll("time[datetime]").forEach((t) => {
    t.textContent = formatTime(t.getAttribute("datetime"), t.dataset.format);
  });
}
// Whether someone changed a form since it was last drawn: its fields differ
// from their defaults. Unlike an "input" listener this also sees typing done
// before the page's modules ran (they run only after the HTML is shown).
export function formEdited(form) {
  return [...form.elements].some((el) => {
    if (el.type === "checkbox" || el.type === "radio") return el.checked !== el.defaultChecked;
    if (el.tagName === "SELECT")
      return [...el.options].some((o) => o.selected !== o.defaultSelected);
    return "defaultValue" in el && el.value !== el.defaultValue;
  });
}
export function fill(template, values) {
  return template.replace(/\{(\w+)\}/g, (_, k) =>
    values[k] === undefined || values[k] === null ? "…" : String(values[k]),
  );
}
// Bars carry their width as data-width (percent): the CSP refuses style
// attributes, and a width set from script is allowed.
export function applyWidths(root) {
  (root || document).querySelectorAll("[data-width]").forEach((el) => {
    el.style.width = Math.max(0, Math.min(100, Number(el.dataset.width) || 0)) + "%";
  });
}
// Live connections are told when the server takes access away
// (realtime/guard.py): `session:ended` (then the server disconnects; no
// reconnect can succeed) and `access:changed` (rooms or feeds taken away).
function show(testid) {
  const banner = document.querySelector('[data-testid="' + testid + '"]');
  if (banner) banner.hidden = false;
}
export function watchAccess(socket, onChange) {
  socket.on("session:ended", (msg) => {
    document.documentElement.dataset.signedOut = (msg && msg.reason) || "ended";
    show("signed-out");
  });
  socket.on("access:changed", (msg) => {
    if (onChange && onChange(msg) === false) return; // the page dealt with it
    show("access-changed");
  });
}
// A sentence with a count, in the form the reader's language wants for it:
// pages hand over "key.one" and "key.other" (gettext's plural forms for 1 and 2;
// Chinese has one form, which both carry).
const plurals = new Intl.PluralRules(LANG);
export function plural(table, key, n, values) {
  const text = table[key + "." + plurals.select(n)] || table[key + ".other"];
  return fill(text, values);
}
// What every page does: ask before a destructive form, copy buttons, local times.
export function startPage() {
  // A form that destroys something asks first (`data-confirm` holds the
  // question in the reader's language); without script it simply submits.
  document.addEventListener(
    "submit",
    (e) => {
      const form = e.target.closest("form[data-confirm]");
      if (form && !window.confirm(form.dataset.confirm)) e.preventDefault();
    },
    true,
  );
  // "Copy" next to a value shown once (a new API token).
  document.addEventListener("click", async (e) => {
    const button = e.target.closest('button[data-action="copy"]');
    if (!button) return;
    const field = document.querySelector(button.dataset.copyFrom);
    if (!field) return;
    field.select();
    try {
      await navigator.clipboard.writeText(field.value);
    } catch (_) {
      document.execCommand("copy");
    } // clipboard API needs https or localhost
    button.textContent = button.dataset.done || button.textContent;
  });
  document.addEventListener("DOMContentLoaded", () => {
    localiseTimes();
    applyWidths();
  });
}
