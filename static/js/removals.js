import * as JL from "./app.js";
// Deleting milestones, indicators and planned trials (each asks first), and
// what the other open pages show when one goes: the lists redraw from the
// event (trials.js fragments); an open trial or milestone page says it is gone.
export function start() {
  const stringsEl = document.getElementById("trials-strings");
  const S = stringsEl ? JSON.parse(stringsEl.textContent) : {};
  const trialEl = document.getElementById("trial");

  // The API's refusals are in English; a known one is said in the reader's language.
  function refusal(err) {
    const e = err.body && err.body.error;
    const text = e && S[e.code];
    if (!text) return err.message;
    const which = e.fields && (e.fields.trials || e.fields.milestones);
    return text.replace("{which}", which ? [].concat(which).join(", ") : "");
  }

  async function deleteTrial(_button) {
    const out = trialEl.querySelector('[data-role="trial-error"]');
    if (out) out.hidden = true;
    if (!confirm(S.confirm_delete_trial)) return;
    try {
      // With the ETag the page shows: a trial someone changed meanwhile is not deleted unseen.
      const res = await fetch("/api/v1/trials/" + trialEl.dataset.trialId, {
        method: "DELETE",
        credentials: "same-origin",
        headers: { "X-CSRF-Token": JL.csrf || "", "If-Match": trialEl.dataset.etag },
      });
      if (!res.ok) {
        const body = await res.json();
        const err = new Error(res.status === 412 ? S.stale : body.error.message);
        if (res.status !== 412) err.body = body;
        throw err;
      }
      location.href = "/workspaces/" + trialEl.dataset.workspaceId + "/trials";
    } catch (err) {
      if (out) {
        out.textContent = refusal(err);
        out.hidden = false;
      }
    }
  }

  async function deleteMilestone(button) {
    if (!confirm(S.confirm_delete_milestone.replace("{title}", button.dataset.title))) return;
    try {
      await JL.api("DELETE", "/milestones/" + button.dataset.id);
    } catch (err) {
      // redrawn from the event
      alert(refusal(err));
    }
  }

  async function deleteIndicator(button) {
    const out = button.parentElement.querySelector('[data-role="indicator-error"]');
    out.hidden = true;
    if (!confirm(S.confirm_delete_indicator.replace("{title}", button.dataset.label))) return;
    try {
      await JL.api("DELETE", "/indicators/" + button.dataset.id);
    } catch (err) {
      out.textContent = refusal(err);
      out.hidden = false;
    }
  }

  const actions = { trial: deleteTrial, milestone: deleteMilestone, indicator: deleteIndicator };
  document.addEventListener("click", (e) => {
    const button = e.target.closest("[data-deletes]");
    if (!button || !actions[button.dataset.deletes]) return;
    e.preventDefault();
    actions[button.dataset.deletes](button);
  });

  // Deleted by someone else while open here: say so, and offer nothing that
  // would only meet a 404.
  document.addEventListener("jl:event", (e) => {
    const env = e.detail;
    const data = env.data || {};
    if (
      env.type === "trial.deleted" &&
      trialEl &&
      data.trial &&
      String(data.trial.id) === trialEl.dataset.trialId
    ) {
      document.querySelector('[data-testid="trial-deleted"]').hidden = false;
      trialEl.dataset.deleted = "1";
      trialEl
        .querySelectorAll("[data-trial-action], form, details, [data-trial-baseline]")
        .forEach((n) => {
          n.hidden = true;
        });
    }
    const banner = document.querySelector('[data-testid="milestone-deleted"]');
    if (
      env.type === "milestone.deleted" &&
      banner &&
      data.milestone &&
      banner.dataset.milestoneId === String(data.milestone.id)
    )
      banner.hidden = false;
  });
}
