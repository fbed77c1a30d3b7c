// Trial parameters as text (`name = value` a line), checked as the server checks them.
import { S } from "./trials_shared.js";

// The same rules as the server (workspace/trials/parameter_text.py): every line
// that cannot be read is reported by number, nothing is silently dropped.
export function parameterProblems(text) {
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
export function checkParameters(form) {
  const box = form.elements.parameters;
  if (!box || box.disabled) return true;
  return showParameterProblems(form, parameterProblems(box.value));
}
export function serverParameterProblems(form, err) {
  const fields = err.body && err.body.error && err.body.error.fields;
  if (!fields || !fields.parameters || !form.elements.parameters) return false;
  showParameterProblems(form, [].concat(fields.parameters));
  return true;
}
// Problems show when leaving the field and, once shown, follow the typing;
// leaving a correct field changes nothing (no layout shift under the Save click).
function recheckParameters(e, onlyIfShown) {
  if (e.target.name !== "parameters") return;
  const form = e.target.closest(
    "form[data-trials-form], form[data-trial-edit], form[data-trial-next]",
  );
  if (!form) return;
  const out = form.querySelector('[data-role="parameters-error"]');
  const shown = out && !out.hidden;
  if (onlyIfShown && !shown) return;
  const problems = parameterProblems(e.target.value);
  if (problems.length || shown) showParameterProblems(form, problems);
}

export function start() {
  document.addEventListener("focusout", (e) => recheckParameters(e, false));
  document.addEventListener("input", (e) => recheckParameters(e, true));
}
