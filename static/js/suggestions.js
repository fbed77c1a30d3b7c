// Suggested edits on the document page (SPEC v1.1), as in Google Docs:
// - any member selects text and proposes new words for it ("Suggest an edit"); viewers too,
//   whose editor is read-only: this is how reviewers take part without edit rights;
// - owners and editors may switch the editor to "Suggesting": what they type then becomes
//   suggestions (the editor's suggestions.js holds it back from the shared text and hands it
//   here after a pause);
// - open suggestions are drawn in the text (old words struck through, new words after them)
//   and listed in the side panel with Accept (owners, editors) and Reject (they and the
//   author); the count of open ones is in the heading. Every suggestion.* event reloads the
//   list, and an edit touching a suggestion's words asks the server whether it still applies.
// document.js mounts the editor and forwards events and selections here.
import * as JL from "./app.js";
import * as units from "./text_units.js";

export function start(ctx) {
  const { cfg, el, showError } = ctx;
  const S = cfg.strings;
  const docId = cfg.documentId;
  const $ = (sel) => document.querySelector(sel);
  const listEl = $("#suggestions");
  const countEl = $('[data-testid="suggestion-count"]');
  let items = [];
  let activeId = null;
  let loadSeq = 0;
  let lastSelection = null; // {from, to} UTF-16, the editor's last non-empty selection

  // ------------------------------------------------------------ list
  async function load() {
    const seq = ++loadSeq;
    const got = await JL.everyPage(
      "/documents/" + docId + "/suggestions?status=open,outdated&limit=200",
      () => seq === loadSeq,
    );
    if (got === null) return;
    items = got;
    render();
  }

  // Open, or found outdated once and whose words are back in their place: it applies.
  const applies = (s) => s.anchor.found;

  function render() {
    listEl.replaceChildren();
    if (!items.length) listEl.appendChild(el("li", { class: "muted" }, S.no_suggestions));
    for (const s of items) listEl.appendChild(item(s));
    const open = items.filter((s) => s.status === "open").length;
    countEl.textContent = JL.fill(S.suggestion_count, { n: open });
    countEl.dataset.count = String(open);
    draw();
  }

  function item(s) {
    const li = el("li", {
      class: "suggestion" + (s.id === activeId ? " active" : ""),
      id: "suggestion-" + s.id,
      "data-testid": "suggestion",
      "data-suggestion-id": String(s.id),
      "data-status": applies(s) ? "open" : "outdated",
    });
    const head = el("div", { class: "comment-head" });
    head.appendChild(el("strong", {}, s.author ? s.author.name : "—"));
    head.appendChild(document.createTextNode(" · "));
    head.appendChild(el("time", { datetime: s.created_at }, JL.formatTime(s.created_at)));
    li.appendChild(head);
    const change = el("div", { class: "suggested-change" });
    if (s.anchor.quote)
      change.appendChild(el("del", { "data-testid": "suggestion-old" }, s.anchor.quote));
    if (s.text) change.appendChild(el("ins", { "data-testid": "suggestion-new" }, s.text));
    li.appendChild(change);
    if (s.note)
      li.appendChild(
        el("div", { class: "comment-body", "data-testid": "suggestion-note" }, s.note),
      );
    if (!applies(s))
      li.appendChild(
        el(
          "div",
          { class: "suggestion-outdated", "data-testid": "suggestion-outdated" },
          S.suggestion_outdated,
        ),
      );
    const actions = el("div", { class: "actions" });
    if (cfg.canEdit && applies(s)) actions.appendChild(decide(s, "accept", S.accept, "primary"));
    if (cfg.canEdit || (s.author && s.author.id === cfg.user.id))
      actions.appendChild(decide(s, "reject", S.reject, ""));
    if (actions.childNodes.length) li.appendChild(actions);
    li.addEventListener("click", (e) => {
      if (!e.target.closest("button")) activate(s.id, true);
    });
    return li;
  }

  function decide(s, verb, label, cls) {
    const b = el(
      "button",
      { type: "button", class: cls, "data-testid": "suggestion-" + verb },
      label,
    );
    b.addEventListener("click", async () => {
      b.disabled = true;
      try {
        await JL.api("POST", "/suggestions/" + s.id + "/" + verb);
      } catch (err) {
        if (!(err && err.code === "suggestion_outdated")) showError(err);
      } finally {
        await load().catch(showError);
      }
    });
    return b;
  }

  // ------------------------------------------------------------ editor marks
  function draw() {
    const ed = ctx.getEditor();
    if (!ed || !ed.setSuggestions) return;
    const text = ed.getText();
    // Only those that still apply: marks over words that changed would mislead.
    ed.setSuggestions(
      items.filter(applies).map((s) => ({
        id: s.id,
        from: units.toUtf16(text, s.anchor.from),
        to: units.toUtf16(text, s.anchor.to),
        text: s.text,
      })),
      activeId,
    );
  }
  function activate(id, reveal) {
    activeId = id;
    for (const li of listEl.querySelectorAll('[data-testid="suggestion"]')) {
      li.classList.toggle("active", li.dataset.suggestionId === String(id));
    }
    draw();
    const s = items.find((x) => x.id === id);
    const ed = ctx.getEditor();
    if (reveal && s && ed && ed.reveal) ed.reveal(units.toUtf16(ed.getText(), s.anchor.from));
  }
  function onSelection(from, to) {
    const ed = ctx.getEditor();
    if (!ed || !ed.suggestionsAt) return;
    const found = ed.suggestionsAt(from, to);
    if (!found.length) {
      if (activeId !== null) activate(null, false);
      return;
    }
    const id = Number(found[0]);
    if (id === activeId) return;
    activate(id, false);
    const li = document.getElementById("suggestion-" + id);
    if (li) li.scrollIntoView({ block: "nearest" });
  }
  // A click on a suggestion's words or new text shows it, also in a read-only editor.
  document.getElementById("editor").addEventListener("click", (e) => {
    const mark = e.target.closest && e.target.closest("[data-suggestion-id]");
    if (!mark) return;
    activate(Number(mark.dataset.suggestionId), false);
    const li = document.getElementById("suggestion-" + mark.dataset.suggestionId);
    if (li) li.scrollIntoView({ block: "nearest" });
  });
  // A read-only editor (viewers) does not follow the selection in its state: read it from
  // the page's selection when it lies in the editor.
  document.addEventListener("selectionchange", () => {
    const ed = ctx.getEditor();
    const sel = window.getSelection();
    if (!ed || !sel || !sel.rangeCount) return;
    const dom = ed.view.contentDOM;
    if (!dom.contains(sel.anchorNode) || !dom.contains(sel.focusNode)) return;
    if (sel.isCollapsed) {
      lastSelection = null;
      return;
    } // a click in the text: nothing selected
    try {
      const a = ed.view.posAtDOM(sel.anchorNode, sel.anchorOffset);
      const b = ed.view.posAtDOM(sel.focusNode, sel.focusOffset);
      if (a !== b) lastSelection = { from: Math.min(a, b), to: Math.max(a, b) };
    } catch (_) {
      /* outside the text */
    }
  });

  // ------------------------------------------------------------ suggest an edit
  const form = document.querySelector('form[data-action="suggest"]');
  const openBtn = $('[data-testid="suggest-edit"]');
  let range = null; // {from, to} in code points, what the open form replaces
  function currentRange() {
    const ed = ctx.getEditor();
    if (!ed) return null;
    const main = ed.view.state.selection.main;
    if (main.to > main.from) return { from: main.from, to: main.to };
    // A read-only editor's state keeps no selection: the page's is remembered instead.
    if (!cfg.canEdit && lastSelection) return lastSelection;
    return { from: main.head, to: main.head }; // nothing selected: insert at the cursor
  }
  if (form && openBtn) {
    openBtn.addEventListener("click", () => {
      const ed = ctx.getEditor();
      const r = currentRange();
      if (!ed || !r) return;
      const text = ed.getText();
      const quote = text.slice(r.from, r.to);
      range = { from: units.codePoints(text, r.from), to: units.codePoints(text, r.to) };
      $('[data-role="suggest-quote"]').textContent = quote;
      $('[data-role="suggest-quote"]').hidden = !quote;
      $('[data-role="suggest-insert"]').hidden = !!quote;
      form.text.value = quote;
      form.note.value = "";
      form.hidden = false;
      form.text.focus();
    });
    form.addEventListener("submit", async (e) => {
      e.preventDefault();
      if (!range) return;
      try {
        const made = await JL.api("POST", "/documents/" + docId + "/suggestions", {
          anchor: range,
          text: form.text.value,
          note: form.note.value.trim() || null,
        });
        form.hidden = true;
        range = null;
        activeId = made.id;
        await load();
      } catch (err) {
        showError(err);
      }
    });
    form.querySelector('[data-action="cancel"]').addEventListener("click", () => {
      form.hidden = true;
      range = null;
    });
  }

  // ------------------------------------------------------------ suggesting mode
  const modeButtons = document.querySelectorAll("[data-mode]");
  const modeNotice = $('[data-testid="suggesting-notice"]');
  function setMode(mode) {
    const ed = ctx.getEditor();
    if (ed && ed.setSuggesting) ed.setSuggesting(mode === "suggesting");
    for (const b of modeButtons) b.setAttribute("aria-pressed", String(b.dataset.mode === mode));
    if (modeNotice) modeNotice.hidden = mode !== "suggesting";
    document.getElementById("editor").classList.toggle("suggesting", mode === "suggesting");
  }
  for (const b of modeButtons)
    b.addEventListener("click", () => {
      setMode(b.dataset.mode);
      const ed = ctx.getEditor();
      if (ed) ed.view.focus();
    });

  /** From the editor in Suggesting mode: {from, to, text} in UTF-16 offsets of its text. */
  async function suggest(s) {
    const ed = ctx.getEditor();
    if (!ed) return;
    const text = ed.getText();
    try {
      const made = await JL.api("POST", "/documents/" + docId + "/suggestions", {
        anchor: { from: units.codePoints(text, s.from), to: units.codePoints(text, s.to) },
        text: s.text,
      });
      activeId = made.id;
      await load();
    } catch (err) {
      showError(err);
    }
  }

  // An edit went through a drawn suggestion's words: ask the server (a few at a time).
  let touchTimer = null;
  function touched() {
    clearTimeout(touchTimer);
    touchTimer = setTimeout(reload, 400);
  }

  function openFromHash() {
    const m = /^#suggestion-(\d+)$/.exec(window.location.hash);
    if (!m) return;
    const id = Number(m[1]);
    if (!items.some((s) => s.id === id)) return;
    activate(id, true);
    const node = document.getElementById("suggestion-" + id);
    if (node) node.scrollIntoView({ block: "center" });
  }
  const reload = () => load().catch(showError);
  load().then(openFromHash).catch(showError);
  window.addEventListener("hashchange", openFromHash);
  // A remounted editor starts in Editing mode: say so in the switch.
  const remounted = () => {
    setMode("editing");
    draw();
  };
  return { reload, onSelection, redraw: draw, suggest, touched, remounted };
}
