// What the trial modules share: the page's words, the trial shown (if any), and how an
// API refusal is said.
const stringsEl = document.getElementById("trials-strings");
export const S = stringsEl ? JSON.parse(stringsEl.textContent) : {};
export const trialEl = document.getElementById("trial");

export function errorText(err) {
  const fields = err.body && err.body.error && err.body.error.fields;
  const detail = fields
    ? Object.entries(fields)
        .map(([k, v]) => k + ": " + [].concat(v).join(" "))
        .join("; ")
    : "";
  return err.message + (detail && !err.message.includes(detail) ? " (" + detail + ")" : "");
}

// A due date before today (in the writer's own calendar) is most likely a typo
// (1999 for 2029): ask before recording a milestone that is overdue at birth.
export function isPast(isoDate) {
  if (!isoDate) return false;
  const now = new Date();
  const today = [
    now.getFullYear(),
    String(now.getMonth() + 1).padStart(2, "0"),
    String(now.getDate()).padStart(2, "0"),
  ].join("-");
  return isoDate < today;
}
export function numberOrNull(v) {
  return v === "" || v === undefined ? null : Number(v);
}
