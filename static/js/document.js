import * as JL from "./app.js";
import * as editing from "./doc_editing.js";
import { startVersions } from "./doc_versions.js";
import * as suggestionPanel from "./suggestions.js";
import * as threadPanel from "./threads.js";

// The document page: mounts the collaborative editor (static/dist/editor.js),
// shows save status and presence from it, keeps the sanitised preview, the
// versions with their diff and the comment threads (threads.js) up to date from the live feed.
export function start() {
  const cfg = JSON.parse(document.getElementById("doc-config").textContent);
  const S = cfg.strings;
  const docId = cfg.documentId;
  const $ = (sel) => document.querySelector(sel);
  const statusEl = $('[data-testid="save-status"]');
  const presenceEl = $('[data-testid="presence"]');
  const previewEl = $("#preview");
  const errorEl = $('[data-testid="doc-error"]');
  let currentText = null;
  let threads = null; // started below, once the editor exists
  let suggestions = null; // likewise (suggestions.js)
  let needMarks = true; // a freshly mounted editor gets the comment marks once its text is in

  function el(tag, attrs, text) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (k === "dataset") Object.assign(node.dataset, v);
      else if (k === "style")
        node.style.cssText = v; // the CSP refuses style attributes
      else node.setAttribute(k, v);
    }
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function showError(err) {
    errorEl.hidden = false;
    errorEl.textContent = S.failed + " " + (err && err.message ? err.message : String(err));
  }

  // ---------------------------------------------------------------- editor
  const socket = window.JointLabEditor.io({ path: "/socket.io", withCredentials: true });
  const noticeEl = $('[data-testid="editor-notice"]');
  let editor = null;
  const REFUSED_FOR_SIZE = ["document_too_large", "payload_too_large"];
  function mountEditor() {
    needMarks = true;
    editor = window.JointLabEditor.mount(document.getElementById("editor"), {
      documentId: docId,
      socket,
      user: cfg.user,
      readOnly: !cfg.canEdit,
      cspNonce: cfg.cspNonce,
      formatStrings: { column: S.table_column },
      onStatus(status) {
        if (statusEl.dataset.state === "signed-out") return; // final: see watchAccess below
        statusEl.dataset.state = status;
        statusEl.textContent = S[status] || status;
      },
      onText(text) {
        currentText = text;
        // The text is in: the comment marks can be placed. After a tick, because this
        // runs before y-codemirror has handed the same change to the CodeMirror view.
        if (needMarks && text && threads) {
          needMarks = false;
          setTimeout(() => {
            threads.redraw();
            if (suggestions) suggestions.redraw();
          }, 0);
        }
        schedulePreview();
        showMovedOn();
      },
      onPeers,
      onSelection(from, to) {
        if (threads) threads.onSelection(from, to);
        if (suggestions) suggestions.onSelection(from, to);
      },
      onSuggest: (s) => suggestions && suggestions.suggest(s),
      onSuggestionsTouched: () => suggestions && suggestions.touched(),
      onError(what, error) {
        if (what !== "doc:update") return;
        // A refused change can never be saved, and later local edits build on it, so
        // they would be refused too: say what happened, then start again from the
        // server's saved state (a fresh Yjs document) without reloading the page.
        noticeEl.textContent = REFUSED_FOR_SIZE.includes(error.code) ? S.too_large : S.refused;
        noticeEl.hidden = false;
        setTimeout(remountEditor, 0);
      },
    });
    window.JL.editor = editor; // for the browser tests and the console
  }
  function remountEditor() {
    const hadFocus = document.getElementById("editor").contains(document.activeElement);
    editor.destroy();
    mountEditor();
    if (suggestions) suggestions.remounted();
    if (hadFocus) editor.view.focus();
  }
  function onPeers(peers) {
    presenceEl.replaceChildren();
    const me = el(
      "li",
      { style: "background:" + cfg.user.color, dataset: { self: "1" } },
      cfg.user.name + " (" + S.you + ")",
    );
    presenceEl.appendChild(me);
    const seen = new Set();
    for (const p of peers) {
      const key = p.name + "|" + p.color;
      if (seen.has(key)) continue; // one person with two tabs shows once
      seen.add(key);
      presenceEl.appendChild(el("li", { style: "background:" + p.color }, p.name));
    }
  }
  mountEditor();
  presenceEl.appendChild(
    el(
      "li",
      { style: "background:" + cfg.user.color, dataset: { self: "1" } },
      cfg.user.name + " (" + S.you + ")",
    ),
  );

  // ---------------------------------------------------------------- preview
  let previewTimer = null;
  let previewInFlight = false;
  function schedulePreview() {
    clearTimeout(previewTimer);
    previewTimer = setTimeout(renderPreview, 400);
  }
  async function renderPreview() {
    if (previewInFlight) {
      schedulePreview();
      return;
    }
    previewInFlight = true;
    const text = currentText;
    try {
      const res = await JL.api("POST", "/documents/" + docId + "/preview", { text });
      // The server sanitised it (markdown-it without raw HTML, then nh3).
      previewEl.innerHTML = res.html;
    } catch (_err) {
      /* keep the last preview; the status badge tells about connectivity */
    } finally {
      previewInFlight = false;
    }
  }

  function showMovedOn() {
    const moved = $('[data-testid="moved-on"]');
    if (!cfg.agreed || currentText === null) {
      moved.hidden = true;
      return;
    }
    moved.hidden = currentText === cfg.agreed.text;
  }

  const { loadVersions } = startVersions({ cfg, el, showError, refreshAgreement });

  async function refreshAgreement() {
    const d = await JL.api("GET", "/documents/" + docId);
    if (d.agreed_version_id) {
      const v = await JL.api("GET", "/documents/" + docId + "/versions/" + d.agreed_version_id);
      cfg.agreed = { id: v.id, label: v.label, text: v.text };
      $('[data-testid="agreed"]').hidden = false;
      $('[data-role="agreed-label"]').textContent = v.label;
      showMovedOn();
    }
  }

  // ---------------------------------------------------------------- title
  // Renamed here or by anyone else: the heading, the form and the tab follow.
  const titleEl = $('[data-testid="doc-title"]');
  const suffix = document.title.slice(document.title.lastIndexOf(" · ")); // " · JointLab"
  const renameForm = $('[data-testid="rename-form"]');
  const titleInput = renameForm && renameForm.querySelector('input[name="title"]');
  const renameButton = $('[data-testid="rename"]');
  function showTitle(title) {
    titleEl.textContent = title;
    document.title = title + suffix;
    if (renameForm && renameForm.hidden) titleInput.value = title;
  }
  function closeRename() {
    renameForm.hidden = true;
    renameButton.hidden = false;
    titleEl.hidden = false;
    renameForm.querySelector(".error").hidden = true;
  }
  if (renameForm) {
    renameButton.addEventListener("click", () => {
      titleInput.value = titleEl.textContent;
      renameForm.hidden = false;
      renameButton.hidden = true;
      titleEl.hidden = true;
      titleInput.focus();
      titleInput.select();
    });
    renameForm
      .querySelector('[data-action="rename-cancel"]')
      .addEventListener("click", closeRename);
    renameForm.addEventListener("keydown", (e) => {
      if (e.key === "Escape") closeRename();
    });
    renameForm.addEventListener("submit", async (e) => {
      e.preventDefault();
      const out = renameForm.querySelector(".error");
      try {
        const d = await JL.api("PATCH", "/documents/" + docId, { title: titleInput.value });
        closeRename();
        showTitle(d.title);
      } catch (err) {
        const fields = err.body && err.body.error && err.body.error.fields;
        out.textContent =
          err.message + (fields && fields.title ? " " + [].concat(fields.title).join(" ") : "");
        out.hidden = false;
      }
    });
  }

  // ---------------------------------------------------------------- comments
  // Threads, replies, mentions and the editor's comment marks: static/js/threads.js.
  threads = threadPanel.start({ cfg, el, showError, getEditor: () => editor });
  // Formatting toolbar and the preview following the editor's scroll: doc_editing.js.
  editing.start({ getEditor: () => editor, preview: previewEl });

  // ---------------------------------------------------------------- access
  // Signed out elsewhere, or this document taken away: the server already
  // closed what we may no longer have; stop editing and say so.
  JL.watchAccess(socket, (msg) => {
    const mine = (msg.documents || []).find((d) => d.document_id === docId);
    if (mine && !mine.can_read) editor.destroy();
    return mine ? undefined : false;
  });
  socket.on("session:ended", () => {
    statusEl.dataset.state = "signed-out";
    statusEl.textContent = S.signed_out;
  });

  // ---------------------------------------------------------------- suggested edits
  // The list, the marks in the text and Suggesting mode: static/js/suggestions.js.
  suggestions = suggestionPanel.start({ cfg, el, showError, getEditor: () => editor });

  // ---------------------------------------------------------------- live lists
  // As on every workspace page, the page's one socket hands each event of the
  // workspace to the page's modules as `jl:event` (files.js refreshes its panel
  // from it); this page's own lists re-read what changed.
  socket.on("connect", () =>
    socket.emit("feed:subscribe", { workspace_id: cfg.workspaceId }, (ack) => {
      document.body.dataset.feed = ack && ack.ok ? "subscribed" : "refused";
    }),
  );
  socket.on("event", (env) => {
    if (env.workspace_id !== cfg.workspaceId) return;
    document.dispatchEvent(new CustomEvent("jl:event", { detail: env }));
  });
  document.addEventListener("jl:event", (e) => {
    const env = e.detail;
    const d = env.data && env.data.document;
    if (!d || d.id !== docId) return;
    if (env.type === "document.renamed") showTitle(d.title);
    if (env.type === "document.version_created" || env.type === "document.approved") loadVersions();
    if (env.type === "statement.agreed") refreshAgreement().then(loadVersions);
    // Anyone's new comment, reply, edit, delete, resolve or reopen shows at once.
    if (env.type.startsWith("comment.")) threads.reload();
    if (env.type.startsWith("suggestion.")) suggestions.reload();
  });

  loadVersions().catch(showError);
}
