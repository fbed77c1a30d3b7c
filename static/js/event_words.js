// What an event says and where it links, for events that arrive live: a line
// for line port of `describe`, `sentence`, `link` and `evidence_link` in
// workspace/events/presentation.py, worded with the table the server rendered
// the page with (`words()`), so a live item reads and links like a loaded one.
// tests/events/test_same_words_browser.py holds the two to the same answers.
import { fill } from "./app.js";

const LANG = document.documentElement.lang || undefined;
const plurals = new Intl.PluralRules(LANG);
const ANCHORED = ["milestone", "trial", "document"];

function isObject(v) {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}

export function describe(env, table) {
  const v = { type: env.type };
  const data = env.data || {};
  for (const val of Object.values(data)) {
    if (isObject(val)) for (const [k, inner] of Object.entries(val)) if (!(k in v)) v[k] = inner;
  }
  for (const [k, val] of Object.entries(data)) {
    if (Array.isArray(val)) v[k] = val.map((x) => (isObject(x) ? x.name : x)).join(", ");
    else if (val === null || typeof val !== "object") v[k] = val;
  }
  if (!("actor" in v)) v.actor = (env.actor && env.actor.name) || table._someone;
  for (const key of ["status", "outcome", "role"]) {
    const word = table["_value." + v[key]];
    if (typeof v[key] === "string" && word) v[key] = word;
  }
  const rule = table["_rule." + v.rule];
  if (typeof v.rule === "string" && rule) v.rule = rule;
  const counted = Number.isInteger(v.count) && table[env.type + ".other"];
  const text = counted
    ? table[env.type + "." + plurals.select(v.count)] || counted
    : table[env.type] || table._default;
  return fill(text, v);
}

// One line, as safe_text.one_line makes it: control characters out, every
// run of whitespace one space.
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it removes
const CONTROL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/g;
export function sentence(env, table) {
  return describe(env, table).replace(CONTROL, "").replace(/\s+/g, " ").trim();
}

export function link(env) {
  const base = `/workspaces/${env.workspace_id}`;
  const data = env.data || {};
  const { suggestion, document: doc, comment } = data;
  if (isObject(suggestion) && isObject(doc) && suggestion.id != null && doc.id != null) {
    return `/documents/${doc.id}#suggestion-${suggestion.id}`;
  }
  if (isObject(comment) && isObject(doc) && comment.id != null && doc.id != null) {
    return `/documents/${doc.id}#comment-${data.parent_id || comment.parent_id || comment.id}`;
  }
  if (String(env.type || "").endsWith(".deleted")) return base;
  for (const key of ANCHORED) {
    if (isObject(data[key]) && data[key].id != null) return `${base}#${key}-${data[key].id}`;
  }
  return base;
}

export function evidenceLink(env) {
  const m = (env.data || {}).milestone;
  if (env.type !== "milestone.evidence_ready" || !isObject(m) || m.id == null) return null;
  return `/api/v1/milestones/${m.id}/evidence.pdf`;
}
