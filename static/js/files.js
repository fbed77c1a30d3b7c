import * as JL from "./app.js";
// Files panels: drop or choose files, upload each with a progress bar
// (XMLHttpRequest reports upload progress; fetch does not), then refresh the
// server-rendered list; other people's uploads arrive as file.* events from
// the page's socket (`jl:event`: activity.js, or document.js on the document
// page) and refresh it too.
export function start() {
  const stringsEl = document.getElementById("files-strings");
  const t = stringsEl ? JSON.parse(stringsEl.textContent) : {};

  function refresh(panel) {
    return fetch(panel.dataset.listSrc, { credentials: "same-origin" })
      .then((res) => (res.ok ? res.text() : Promise.reject(new Error(res.statusText))))
      .then((html) => {
        const list = panel.querySelector("[data-files-list]");
        list.innerHTML = html;
        JL.localiseTimes(list);
        document.dispatchEvent(new CustomEvent("jl:files-refreshed", { detail: panel }));
      })
      .catch(() => {});
  }

  function showError(panel, message) {
    const el = panel.querySelector("[data-files-error]");
    if (!el) return;
    el.textContent = message;
    el.hidden = !message;
  }

  function uploadOne(panel, file) {
    const row = document.createElement("li");
    row.className = "upload";
    const name = document.createElement("span");
    name.className = "name";
    name.textContent = file.name;
    const bar = document.createElement("progress");
    bar.max = 100;
    bar.value = 0;
    bar.setAttribute("data-testid", "upload-progress");
    const state = document.createElement("span");
    state.className = "state small muted";
    state.textContent = t.uploading || "…";
    row.append(name, " ", bar, " ", state);
    panel.querySelector("[data-uploads]").appendChild(row);

    const form = new FormData();
    form.append("file", file, file.name);
    if (panel.dataset.attachKind)
      form.append(panel.dataset.attachKind + "_id", panel.dataset.attachId);
    const xhr = new XMLHttpRequest();
    xhr.open("POST", "/api/v1/workspaces/" + panel.dataset.workspaceId + "/files");
    xhr.setRequestHeader("X-CSRF-Token", JL.csrf || "");
    xhr.upload.addEventListener("progress", (e) => {
      if (e.lengthComputable) bar.value = Math.round((100 * e.loaded) / e.total);
    });
    return new Promise((resolve) => {
      xhr.addEventListener("load", () => {
        if (xhr.status === 201) {
          bar.value = 100;
          row.dataset.state = "done";
          state.textContent = t.done || "✓";
        } else {
          let message = xhr.statusText;
          try {
            message = JSON.parse(xhr.responseText).error.message;
          } catch (_e) {
            /* not JSON */
          }
          row.dataset.state = "failed";
          state.textContent = (t.failed || "") + " " + message;
          state.className = "state small error";
        }
        resolve();
      });
      xhr.addEventListener("error", () => {
        row.dataset.state = "failed";
        state.textContent = t.failed || "failed";
        resolve();
      });
      xhr.send(form);
    });
  }

  function uploadAll(panel, files) {
    showError(panel, "");
    // Thumbnails are made in the background: look again shortly after.
    Promise.all(Array.from(files).map((f) => uploadOne(panel, f)))
      .then(() => refresh(panel))
      .then(() => {
        for (const ms of [1500, 4000, 9000]) setTimeout(() => refresh(panel), ms);
      });
  }

  document.querySelectorAll("[data-files-panel]").forEach((panel) => {
    const input = panel.querySelector("[data-file-input]");
    const zone = panel.querySelector("[data-dropzone]");
    JL.takeFiles(panel, input, zone, (files) => uploadAll(panel, files));
    panel.addEventListener("click", (e) => {
      const button = e.target.closest("[data-file-delete]");
      if (!button) return;
      if (!window.confirm(t.confirm_delete || "?")) return;
      JL.api("DELETE", "/files/" + button.dataset.fileDelete)
        .then(() => refresh(panel))
        .catch((err) => showError(panel, err.message));
    });
  });

  document.addEventListener("jl:event", (e) => {
    const type = e.detail && e.detail.type;
    if (type === "file.added" || type === "file.deleted") {
      document.querySelectorAll("[data-files-panel]").forEach(refresh);
    }
  });
}
