// The document page's versions: the list with restore and approve, and the diff between
// any two (side by side or unified, the reader's choice kept in localStorage).
import * as JL from "./app.js";
import * as diff from "./diff.js";

/** Wires the versions card and the diff card; `refreshAgreement` re-reads the agreed version. */
export function startVersions({ cfg, el, showError, refreshAgreement }) {
  const S = cfg.strings;
  const docId = cfg.documentId;
  const $ = (sel) => document.querySelector(sel);
  let versions = [];

  async function loadVersions() {
    const page = await JL.api("GET", "/documents/" + docId + "/versions?limit=100");
    versions = page.items;
    const list = $("#versions");
    list.replaceChildren();
    if (!versions.length) list.appendChild(el("li", { class: "muted" }, S.no_versions));
    for (const v of versions) list.appendChild(versionItem(v));
    fillDiffSelects();
  }

  function versionItem(v) {
    const li = el("li", { dataset: { versionId: v.id } });
    const head = el("div");
    head.appendChild(el("strong", { "data-testid": "version-label" }, v.label));
    const who = v.author ? v.author.name : S.auto;
    head.appendChild(document.createTextNode(" · " + who + " · "));
    head.appendChild(el("time", { datetime: v.created_at }, JL.formatTime(v.created_at)));
    li.appendChild(head);
    if (v.approvals.length) {
      const a = el("div", { class: "muted", "data-testid": "approvals" });
      a.textContent =
        S.approved_by +
        ": " +
        v.approvals.map((x) => x.name + " (" + (S[x.side] || x.side) + ")").join(", ");
      li.appendChild(a);
    }
    if (cfg.agreed && cfg.agreed.id === v.id) {
      li.appendChild(el("span", { class: "badge university" }, S.agreed));
    }
    const actions = el("div", { class: "actions" });
    const cmp = el("button", { type: "button", "data-testid": "compare" }, S.compare);
    cmp.addEventListener("click", () => showDiff(String(v.id), "current"));
    actions.appendChild(cmp);
    if (cfg.canEdit) {
      const restore = el("button", { type: "button", "data-testid": "restore" }, S.restore);
      restore.addEventListener("click", async () => {
        if (!window.confirm(S.confirm_restore)) return;
        try {
          await JL.api("POST", "/documents/" + docId + "/versions/" + v.id + "/restore");
        } catch (err) {
          showError(err);
        }
      });
      actions.appendChild(restore);
    }
    if (cfg.canApprove && !v.approvals.some((x) => x.user_id === cfg.user.id)) {
      const approve = el("button", { type: "button", "data-testid": "approve" }, S.approve);
      approve.addEventListener("click", async () => {
        try {
          await JL.api("POST", "/documents/" + docId + "/versions/" + v.id + "/approve");
          await refreshAgreement();
          await loadVersions();
        } catch (err) {
          showError(err);
        }
      });
      actions.appendChild(approve);
    }
    li.appendChild(actions);
    return li;
  }

  function fillDiffSelects() {
    for (const sel of [$("#diff-from"), $("#diff-to")]) {
      const keep = sel.value;
      sel.replaceChildren(el("option", { value: "current" }, S.current));
      for (const v of versions) sel.appendChild(el("option", { value: String(v.id) }, v.label));
      if (keep) sel.value = keep;
    }
    if (!$("#diff-from").value || $("#diff-from").value === "current") {
      if (versions.length) $("#diff-from").value = String(versions[0].id);
    }
  }

  // Side by side unless the reader chose unified; the choice is kept for next time.
  const LAYOUT_KEY = "jointlab.diffLayout";
  function layout() {
    try {
      return localStorage.getItem(LAYOUT_KEY) === "unified" ? "unified" : "split";
    } catch (_) {
      return "split";
    }
  }
  let lastDiff = null;
  async function showDiff(from, to) {
    $("#diff-from").value = from;
    $("#diff-to").value = to;
    try {
      const d = await JL.api(
        "GET",
        "/documents/" +
          docId +
          "/diff?layout=split&from=" +
          encodeURIComponent(from) +
          "&to=" +
          encodeURIComponent(to),
      );
      lastDiff = d;
      drawDiff();
      const card = $('[data-testid="diff-card"]');
      const opening = card.hidden;
      card.hidden = false;
      if (opening) card.scrollIntoView({ block: "nearest" });
    } catch (err) {
      showError(err);
    }
  }
  function drawDiff() {
    if (!lastDiff) return;
    const chosen = layout();
    $('[data-role="diff-labels"]').textContent = lastDiff.from_label + " → " + lastDiff.to_label;
    document.querySelectorAll(".diff-card [data-layout]").forEach((b) => {
      b.setAttribute("aria-pressed", String(b.dataset.layout === chosen));
    });
    diff.render($("#diff"), lastDiff, chosen, S);
  }
  document.querySelectorAll(".diff-card [data-layout]").forEach((b) => {
    b.addEventListener("click", () => {
      try {
        localStorage.setItem(LAYOUT_KEY, b.dataset.layout);
      } catch (_) {
        /* private mode */
      }
      drawDiff();
    });
  });
  $('.diff-card [data-action="close-diff"]').addEventListener("click", () => {
    $('[data-testid="diff-card"]').hidden = true;
  });
  $("#diff-run").addEventListener("click", () =>
    showDiff($("#diff-from").value, $("#diff-to").value),
  );

  const versionForm = document.querySelector('form[data-action="create-version"]');
  if (versionForm) {
    versionForm.addEventListener("submit", async (e) => {
      e.preventDefault();
      try {
        await JL.api("POST", "/documents/" + docId + "/versions", {
          label: versionForm.label.value.trim() || null,
        });
        versionForm.label.value = "";
        await loadVersions();
      } catch (err) {
        showError(err);
      }
    });
  }

  return { loadVersions };
}
