// Comment threads on the document page (SPEC v1.1), as in Google Docs: threads in the side
// panel with reply boxes; a thread's text highlighted in the editor (stronger for the thread
// being read); selecting highlighted text shows its thread; resolved threads fold away; the
// count of open threads in the heading. Typing `@` offers the workspace's members (any part
// of the name, or the email) and a picked person is sent as an explicit mention id, so they
// are notified whatever the text around it; an `@word` matching nobody is shown as such
// before posting (thread_mentions.js). document.js mounts the editor and forwards live
// events here.
import * as JL from "./app.js";
import { codePoints, toUtf16 } from "./text_units.js";
import { mentionBoxes } from "./thread_mentions.js";

export function start(ctx) {
  const { cfg, el, showError } = ctx;
  const S = cfg.strings;
  const docId = cfg.documentId;
  const members = cfg.members || [];
  const $ = (sel) => document.querySelector(sel);
  const listEl = $("#comments");
  const resolvedEl = $('[data-testid="resolved-threads"]');
  const resolvedList = $("#resolved-comments");
  const countEl = $('[data-testid="open-count"]');
  let threads = [];
  let activeId = null;
  const drafts = new Map(); // reply drafts by thread id, kept across live re-renders
  const editing = new Map(); // comment id -> the edit being typed, kept likewise
  let loadSeq = 0;

  const { attachMentions, pickedMentions } = mentionBoxes({ members, strings: S, el });

  // ------------------------------------------------------------ rendering
  async function load() {
    // Every page of comments (200 a page): a long discussion is shown whole. Loads
    // overlap (our own action and its live event): only the latest one renders.
    const seq = ++loadSeq;
    const items = await JL.everyPage(
      "/documents/" + docId + "/comments?limit=200",
      () => seq === loadSeq,
    );
    if (items === null) return;
    const byId = new Map();
    threads = [];
    for (const c of items) {
      if (c.parent_id === null) {
        const t = { top: c, replies: [] };
        byId.set(c.id, t);
        threads.push(t);
      } else if (byId.has(c.parent_id)) byId.get(c.parent_id).replies.push(c);
    }
    render();
  }

  function render() {
    // Keep what people are typing in reply boxes, and where.
    const focused = document.activeElement;
    const focusSel =
      focused &&
      focused.dataset &&
      (focused.dataset.replyFor
        ? 'textarea[data-reply-for="' + focused.dataset.replyFor + '"]'
        : focused.dataset.editFor
          ? 'textarea[data-edit-for="' + focused.dataset.editFor + '"]'
          : null);
    const caret = focusSel ? focused.selectionStart : null;
    for (const box of document.querySelectorAll("textarea[data-reply-for]"))
      drafts.set(box.dataset.replyFor, box.value);
    const open = threads.filter((t) => !t.top.resolved);
    const resolved = threads.filter((t) => t.top.resolved);
    listEl.replaceChildren();
    if (!open.length)
      listEl.appendChild(
        el("li", { class: "muted" }, threads.length ? S.no_open_threads : S.no_comments),
      );
    for (const t of open) listEl.appendChild(threadItem(t));
    resolvedList.replaceChildren();
    for (const t of resolved) resolvedList.appendChild(threadItem(t));
    resolvedEl.hidden = !resolved.length;
    $('[data-role="resolved-count"]').textContent = String(resolved.length);
    countEl.textContent = JL.fill(S.open_count, { n: open.length });
    countEl.dataset.count = String(open.length);
    if (focusSel) {
      const box = document.querySelector(focusSel);
      if (box) {
        box.focus();
        if (caret !== null) box.setSelectionRange(caret, caret);
      }
    }
    highlight();
  }

  function commentBlock(c, isTop, t) {
    const div = el("div", {
      class: "comment",
      id: "comment-" + c.id,
      "data-comment-id": String(c.id),
      "data-testid": isTop ? "thread-first" : "reply",
    });
    const head = el("div", { class: "comment-head" });
    head.appendChild(el("strong", {}, c.author ? c.author.name : "—"));
    head.appendChild(document.createTextNode(" · "));
    head.appendChild(el("time", { datetime: c.created_at }, JL.formatTime(c.created_at)));
    if (c.edited_at)
      head.appendChild(el("span", { class: "muted", "data-testid": "edited" }, " " + S.edited));
    div.appendChild(head);
    const body = el("div", { "data-testid": "comment-body", class: "comment-body" }, c.body);
    div.appendChild(body);
    const actions = el("div", { class: "actions" });
    const mine = c.author && c.author.id === cfg.user.id;
    if (mine && cfg.canComment) {
      const edit = el(
        "button",
        { type: "button", class: "link", "data-testid": "edit-comment" },
        S.edit,
      );
      edit.addEventListener("click", () => startEdit(div, body, c));
      actions.appendChild(edit);
    }
    if ((mine && cfg.canComment) || cfg.canModerate) {
      const del = el(
        "button",
        { type: "button", class: "link", "data-testid": "delete-comment" },
        S.delete,
      );
      del.addEventListener("click", async () => {
        if (!window.confirm(isTop && t.replies.length ? S.confirm_delete_thread : S.confirm_delete))
          return;
        try {
          await JL.api("DELETE", "/comments/" + c.id);
          await load();
        } catch (err) {
          showError(err);
        }
      });
      actions.appendChild(del);
    }
    if (actions.childNodes.length) div.appendChild(actions);
    if (editing.has(c.id)) startEdit(div, body, c);
    return div;
  }

  function startEdit(_div, body, c) {
    const form = el("form", { class: "edit-form" });
    const wrap = el("div", { class: "mention-wrap" });
    const box = el("textarea", {
      rows: "3",
      maxlength: "10000",
      "aria-label": S.edit,
      "data-testid": "edit-body",
      "data-edit-for": String(c.id),
    });
    box.value = editing.has(c.id) ? editing.get(c.id) : c.body;
    editing.set(c.id, box.value);
    box.addEventListener("input", () => editing.set(c.id, box.value));
    wrap.appendChild(box);
    form.appendChild(wrap);
    const save = el("button", { type: "submit", class: "primary" }, S.save);
    const cancel = el("button", { type: "button" }, S.cancel);
    form.appendChild(save);
    form.appendChild(cancel);
    body.replaceWith(form);
    attachMentions(box);
    box.focus();
    cancel.addEventListener("click", () => {
      editing.delete(c.id);
      render();
    });
    form.addEventListener("submit", async (e) => {
      e.preventDefault();
      try {
        await JL.api("PATCH", "/comments/" + c.id, {
          body: box.value,
          mentions: pickedMentions(box),
        });
        editing.delete(c.id);
        await load();
      } catch (err) {
        showError(err);
      }
    });
  }

  function threadItem(t) {
    const c = t.top;
    const li = el("li", {
      class: "thread" + (c.id === activeId ? " active" : ""),
      "data-testid": "thread",
      "data-thread-id": String(c.id),
    });
    if (c.anchor) {
      // Focusable: Enter on the quote shows the text, as a click on the thread does.
      const quote = el(
        "blockquote",
        { "data-testid": "comment-quote", title: S.show_in_text, tabindex: "0", role: "button" },
        c.anchor.quote,
      );
      quote.addEventListener("keydown", (e) => {
        if (e.key === "Enter" || e.key === " ") {
          e.preventDefault();
          activate(c.id, true);
        }
      });
      if (!c.anchor.found) quote.appendChild(el("span", { class: "muted" }, " " + S.anchor_lost));
      li.appendChild(quote);
    }
    li.appendChild(commentBlock(c, true, t));
    for (const r of t.replies) li.appendChild(commentBlock(r, false, t));
    if (c.resolved && c.resolved_by) {
      li.appendChild(
        el(
          "div",
          { class: "muted", "data-testid": "resolved-by" },
          JL.fill(S.resolved_by, { name: c.resolved_by.name, when: JL.formatTime(c.resolved_at) }),
        ),
      );
    }
    if (cfg.canComment) {
      const bar = el("div", { class: "actions thread-actions" });
      const toggle = el(
        "button",
        { type: "button", "data-testid": c.resolved ? "reopen" : "resolve" },
        c.resolved ? S.reopen : S.resolve,
      );
      toggle.addEventListener("click", async (e) => {
        e.stopPropagation();
        try {
          await JL.api("POST", "/comments/" + c.id + (c.resolved ? "/reopen" : "/resolve"));
          if (!c.resolved && activeId === c.id) activeId = null;
          await load();
        } catch (err) {
          showError(err);
        }
      });
      bar.appendChild(toggle);
      li.appendChild(bar);
      li.appendChild(replyForm(c)); // a reply to a resolved thread reopens it
    }
    // Clicking a thread (not its buttons or boxes) shows its text in the editor.
    li.addEventListener("click", (e) => {
      if (e.target.closest("button, textarea, input, form, a")) return;
      activate(c.id, true);
    });
    return li;
  }

  function replyForm(c) {
    const form = el("form", { class: "reply-form", "data-testid": "reply-form" });
    const wrap = el("div", { class: "mention-wrap" });
    const box = el("textarea", {
      rows: "2",
      maxlength: "10000",
      placeholder: S.reply_placeholder,
      "aria-label": S.reply,
      "data-reply-for": String(c.id),
      "data-testid": "reply-body",
    });
    box.value = drafts.get(String(c.id)) || "";
    wrap.appendChild(box);
    form.appendChild(wrap);
    form.appendChild(el("button", { type: "submit", "data-testid": "reply-submit" }, S.reply));
    attachMentions(box);
    form.addEventListener("submit", async (e) => {
      e.preventDefault();
      if (!box.value.trim()) return;
      try {
        await JL.api("POST", "/documents/" + docId + "/comments", {
          body: box.value,
          parent_id: c.id,
          mentions: pickedMentions(box),
        });
        drafts.delete(String(c.id));
        box.value = "";
        await load();
      } catch (err) {
        showError(err);
      }
    });
    return form;
  }

  // ------------------------------------------------------------ editor marks
  function ranges() {
    const ed = ctx.getEditor();
    if (!ed) return [];
    const text = ed.getText();
    // Only text still found: a mark on whatever now sits where a deleted quote was would mislead.
    return threads
      .filter(
        (t) =>
          !t.top.resolved &&
          t.top.anchor &&
          t.top.anchor.found &&
          t.top.anchor.to > t.top.anchor.from,
      )
      .map((t) => ({
        id: t.top.id,
        from: toUtf16(text, t.top.anchor.from),
        to: toUtf16(text, t.top.anchor.to),
      }));
  }
  function highlight() {
    const ed = ctx.getEditor();
    if (ed && ed.setHighlights) ed.setHighlights(ranges(), activeId);
  }
  function activate(id, reveal) {
    activeId = id;
    for (const li of document.querySelectorAll('[data-testid="thread"]')) {
      li.classList.toggle("active", li.dataset.threadId === String(id));
    }
    highlight();
    const t = threads.find((x) => x.top.id === id);
    const ed = ctx.getEditor();
    if (reveal && t && t.top.anchor && ed && ed.reveal)
      ed.reveal(toUtf16(ed.getText(), t.top.anchor.from));
  }
  // Selecting (or clicking into) highlighted text shows its thread in the panel;
  // moving elsewhere lets it go, as in Google Docs.
  function onSelection(from, to) {
    const ed = ctx.getEditor();
    if (!ed || !ed.highlightsAt) return;
    // As in Google Docs, a comment written while text is selected is about that text.
    if (form && form.anchored) form.anchored.checked = to > from;
    const found = ed.highlightsAt(from, to);
    if (!found.length) {
      // moved out of every mark: no thread is being read
      if (activeId !== null) activate(null, false);
      return;
    }
    const id = Number(found[0].id);
    if (id === activeId) return;
    activate(id, false);
    const li = document.querySelector('[data-testid="thread"][data-thread-id="' + id + '"]');
    if (li) li.scrollIntoView({ block: "nearest" });
  }

  // ------------------------------------------------------------ new comment
  const form = document.querySelector('form[data-action="comment"]');
  if (form) {
    attachMentions(form.body);
    form.addEventListener("submit", async (e) => {
      e.preventDefault();
      let anchor = null;
      const ed = ctx.getEditor();
      if (form.anchored.checked && ed) {
        const sel = ed.view.state.selection.main;
        const text = ed.getText();
        anchor = { from: codePoints(text, sel.from), to: codePoints(text, sel.to) };
      }
      try {
        const made = await JL.api("POST", "/documents/" + docId + "/comments", {
          body: form.body.value,
          anchor,
          mentions: pickedMentions(form.body),
        });
        form.body.value = "";
        form.anchored.checked = false;
        form.body._resetMentions();
        activeId = made.id;
        await load();
      } catch (err) {
        showError(err);
      }
    });
  }

  const reload = () => load().catch(showError);
  // Fragment links from mails (#comment-12) open that thread.
  async function first() {
    await load();
    openFromHash();
  }
  function openFromHash() {
    const m = /^#comment-(\d+)$/.exec(window.location.hash);
    if (!m) return;
    const id = Number(m[1]);
    const t = threads.find((x) => x.top.id === id || x.replies.some((r) => r.id === id));
    if (!t) return;
    if (t.top.resolved) resolvedEl.open = true;
    activate(t.top.id, true);
    const node = document.getElementById("comment-" + id);
    if (node) node.scrollIntoView({ block: "center" });
  }
  first().catch(showError);
  window.addEventListener("hashchange", openFromHash);
  return { reload, onSelection, redraw: highlight };
}
