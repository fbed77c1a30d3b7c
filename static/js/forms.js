import * as JL from "./app.js";
// Progressive forms: each <form data-action> posts its fields as JSON to the
// API and shows the API's own error message next to the form.
export function start() {
  const actions = {
    "create-workspace": async (data) => {
      data.enterprise_id = Number(data.enterprise_id);
      data.university_id = Number(data.university_id);
      const ws = await JL.api("POST", "/workspaces", data);
      location.href = "/workspaces/" + ws.id;
    },
    "create-organization": async (data) => {
      await JL.api("POST", "/organizations", data);
      location.reload();
    },
    "add-member": async (data, form) => {
      try {
        await JL.api("POST", form.dataset.path, data);
      } catch (err) {
        // The API's message is English; the page speaks the reader's language.
        if (err.body && err.body.error && err.body.error.code === "already_member") {
          const e = new Error(form.dataset.msgAlreadyMember);
          e.body = null;
          throw e;
        }
        throw err;
      }
      location.reload();
    },
    "create-answer": async (data, form) => {
      const doc = await JL.api("POST", "/workspaces/" + form.dataset.workspaceId + "/documents", {
        title: data.title,
        kind: "answer",
      });
      location.href = "/documents/" + doc.id;
    },
  };
  function errorText(err) {
    const fields = err.body && err.body.error && err.body.error.fields;
    const detail = fields ? Object.values(fields).flat().join(" ") : "";
    return err.message + (detail && detail !== err.message ? " " + detail : "");
  }
  document.addEventListener("submit", async (e) => {
    const form = e.target.closest("form[data-action]");
    if (!form || !actions[form.dataset.action]) return;
    e.preventDefault();
    const out = form.querySelector(".error");
    const data = Object.fromEntries(new FormData(form).entries());
    try {
      if (out) out.hidden = true;
      await actions[form.dataset.action](data, form);
    } catch (err) {
      if (out) {
        out.textContent = errorText(err);
        out.hidden = false;
      }
    }
  });
  // A role change is its own, confirmed action; cancelling puts the selector back.
  document.addEventListener("change", async (e) => {
    const select = e.target.closest('select[data-action="change-role"]');
    if (!select) return;
    const label = select.options[select.selectedIndex].textContent;
    if (!window.confirm(select.dataset.confirm.replace("{role}", label))) {
      select.value = select.dataset.current;
      return;
    }
    try {
      await JL.api("PATCH", select.dataset.path, { role: select.value });
      location.reload();
    } catch (err) {
      select.value = select.dataset.current;
      alert(errorText(err));
    }
  });
  document.addEventListener("click", async (e) => {
    const button = e.target.closest('button[data-action="remove-member"]');
    if (!button) return;
    try {
      await JL.api("DELETE", button.dataset.path);
      location.reload();
    } catch (err) {
      alert(errorText(err));
    }
  });
}
