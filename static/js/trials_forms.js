// Creating and editing trials, milestones, indicators and measurements from their forms;
// lists then redraw from the event (trials_fragments.js), for everyone.
import * as JL from "./app.js";
import { checkParameters, serverParameterProblems } from "./trials_parameters.js";
import { errorText, isPast, numberOrNull, S } from "./trials_shared.js";

async function milestoneAction(button) {
  const id = button.dataset.id;
  try {
    if (button.dataset.milestoneAction === "reach")
      await JL.api("POST", "/milestones/" + id + "/reach");
    else if (confirm(S.confirm_missed))
      await JL.api("PATCH", "/milestones/" + id, { status: "missed" });
  } catch (err) {
    alert(errorText(err));
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
      parent_id: Number(form.dataset.parentId),
      title: f.title.value,
      line: f.line.value,
      batch: f.batch.value,
      hypothesis: f.hypothesis.value,
      parameters: f.parameters.value,
    });
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
    form.closest("details").open = false;
  } catch (err) {
    out.textContent = errorText(err);
    out.hidden = false;
  }
}
const builders = {
  indicator: (d) => ({
    key: d.key,
    label: d.label,
    unit: d.unit || "",
    comparator: d.comparator,
    target: Number(d.target),
    aggregate: d.aggregate,
    lower_spec: numberOrNull(d.lower_spec),
    upper_spec: numberOrNull(d.upper_spec),
  }),
  trial: (d) => ({
    title: d.title,
    line: d.line,
    batch: d.batch,
    hypothesis: d.hypothesis,
    parameters: d.parameters || "",
  }),
  milestone: (d) => ({
    title: d.title,
    description: d.description || "",
    due_date: d.due_date || null,
    criteria:
      d.mode === "auto"
        ? { indicators: "all", consecutive_trials: Number(d.consecutive_trials || 1) }
        : null,
  }),
  measurement: (d) => ({ metric: d.metric, value: Number(d.value), source: "web" }),
};

export function start() {
  document.addEventListener("submit", (e) => {
    const form = e.target.closest("form[data-milestone-edit], form[data-indicator-edit]");
    if (!form) return;
    e.preventDefault();
    const f = form.elements;
    if (form.matches("[data-milestone-edit]")) {
      const due = f.due_date.value || null;
      if (
        due &&
        due !== form.dataset.due &&
        isPast(due) &&
        !confirm(S.confirm_past_due.replace("{date}", due))
      )
        return;
      saveEdit(form, "/milestones/" + form.dataset.id, {
        title: f.title.value,
        description: f.description.value,
        due_date: due,
      });
    } else {
      saveEdit(form, "/indicators/" + form.dataset.id, {
        label: f.label.value,
        unit: f.unit.value,
        comparator: f.comparator.value,
        target: Number(f.target.value),
        aggregate: f.aggregate.value,
        lower_spec: numberOrNull(f.lower_spec.value),
        upper_spec: numberOrNull(f.upper_spec.value),
      });
    }
  });
  document.addEventListener("submit", (e) => {
    const form = e.target.closest("form[data-trial-next]");
    if (!form) return;
    e.preventDefault();
    planNext(form);
  });
  document.addEventListener("submit", async (e) => {
    const form = e.target.closest("form[data-trials-form]");
    if (!form) return;
    e.preventDefault();
    const out = form.querySelector(".error");
    if (out) out.hidden = true;
    const data = Object.fromEntries(new FormData(form).entries());
    if (form.dataset.trialsForm === "trial" && !checkParameters(form)) return;
    if (
      form.dataset.trialsForm === "milestone" &&
      isPast(data.due_date) &&
      !confirm(S.confirm_past_due.replace("{date}", data.due_date))
    )
      return;
    try {
      const created = await JL.api(
        "POST",
        form.dataset.path,
        builders[form.dataset.trialsForm](data),
      );
      if (form.dataset.trialsForm === "measurement") {
        form.elements.value.value = "";
        form.elements.value.focus();
        return;
      }
      form.reset();
      if (form.dataset.trialsForm === "trial" && created && created.id)
        location.href = "/trials/" + created.id;
    } catch (err) {
      if (serverParameterProblems(form, err)) return;
      if (out) {
        out.textContent = errorText(err);
        out.hidden = false;
      }
    }
  });
  document.addEventListener("click", (e) => {
    if (e.target.closest("[data-deletes]")) return; // removals.js
    const m = e.target.closest("[data-milestone-action]");
    if (m) {
      e.preventDefault();
      milestoneAction(m);
    }
  });
}
