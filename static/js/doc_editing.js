// Editing comfort on the document page: the formatting toolbar (its commands live in the
// editor bundle, src/format.js, so the keyboard shortcuts run the same code) and the
// preview that follows the editor's scroll, and the editor the preview's.
//
// Scroll sync works by source line: the server gives each preview block the line it
// starts on (data-line, 0-based, workspace/documents/render.py); between two blocks the
// position is interpolated, so long paragraphs and code blocks scroll smoothly too.

function startToolbar(bar, getEditor) {
  const buttons = Array.from(bar.querySelectorAll("button[data-format]"));
  if (/Mac|iPhone|iPad/.test(navigator.platform || navigator.userAgent)) {
    for (const b of buttons) {
      b.title = b.title.replace("Ctrl+", "⌘").replace("Alt+", "⌥").replace("Shift+", "⇧");
      const keys = b.getAttribute("aria-keyshortcuts");
      if (keys) b.setAttribute("aria-keyshortcuts", keys.replace("Control+", "Meta+"));
    }
  }
  // Pressing a button must not take the focus (and the visible selection) from the editor.
  bar.addEventListener("mousedown", (e) => {
    if (e.target.closest("button")) e.preventDefault();
  });
  bar.addEventListener("click", (e) => {
    const button = e.target.closest("button[data-format]");
    const editor = getEditor();
    if (!button || !editor) return;
    editor.format(button.dataset.format);
    editor.view.focus();
  });
  // A toolbar is one tab stop; the arrow keys move between its buttons (WAI-ARIA).
  bar.addEventListener("keydown", (e) => {
    const at = buttons.indexOf(document.activeElement);
    if (at < 0) return;
    let to = null;
    if (e.key === "ArrowRight") to = (at + 1) % buttons.length;
    else if (e.key === "ArrowLeft") to = (at - 1 + buttons.length) % buttons.length;
    else if (e.key === "Home") to = 0;
    else if (e.key === "End") to = buttons.length - 1;
    if (to === null) return;
    e.preventDefault();
    buttons[at].tabIndex = -1;
    buttons[to].tabIndex = 0;
    buttons[to].focus();
  });
}

// ------------------------------------------------------------------ scroll sync
function startScrollSync(preview, getEditor) {
  // Where we scrolled each side ourselves: a scroll event that finds it there is our own
  // echo, not the reader's, and must not scroll the other side back.
  const echo = new Map();
  let frame = 0;
  let leader = "editor"; // the side the reader scrolled last

  function blocks() {
    const box = preview.getBoundingClientRect().top - preview.scrollTop;
    const out = [];
    for (const el of preview.querySelectorAll("[data-line]")) {
      const line = Number(el.dataset.line);
      const y = el.getBoundingClientRect().top - box;
      // Nested blocks (a list's items) share lines with their parent: keep the order strict.
      if (out.length && (line <= out[out.length - 1].line || y < out[out.length - 1].y)) continue;
      out.push({ line, y });
    }
    return out;
  }

  function atBottom(el) {
    return el.scrollTop + el.clientHeight >= el.scrollHeight - 2;
  }

  function setScroll(el, top) {
    el.scrollTop = Math.max(0, top);
    echo.set(el, el.scrollTop);
  }

  // The editor's top edge as a fractional 0-based source line.
  function editorLine(view) {
    const scroller = view.scrollDOM;
    const h = scroller.getBoundingClientRect().top - view.documentTop;
    const block = view.lineBlockAtHeight(Math.max(0, h));
    const line = view.state.doc.lineAt(block.from).number - 1;
    return line + Math.min(1, Math.max(0, (h - block.top) / (block.height || 1)));
  }

  function editorToPreview() {
    const editor = getEditor();
    if (!editor) return;
    const scroller = editor.view.scrollDOM;
    if (atBottom(scroller) && scroller.scrollTop > 0) {
      setScroll(preview, preview.scrollHeight);
      return;
    }
    const line = editorLine(editor.view);
    const list = blocks();
    if (!list.length) return;
    let i = 0;
    while (i + 1 < list.length && list[i + 1].line <= line) i++;
    const a = list[i];
    const b = list[i + 1];
    let y = a.y;
    if (line < a.line) y = a.y * (line / (a.line || 1));
    else if (b) y = a.y + (b.y - a.y) * ((line - a.line) / (b.line - a.line));
    setScroll(preview, y);
  }

  function previewToEditor() {
    const editor = getEditor();
    if (!editor) return;
    const view = editor.view;
    const scroller = view.scrollDOM;
    if (atBottom(preview) && preview.scrollTop > 0) {
      setScroll(scroller, scroller.scrollHeight);
      return;
    }
    const list = blocks();
    if (!list.length) return;
    const top = preview.scrollTop;
    let i = 0;
    while (i + 1 < list.length && list[i + 1].y <= top) i++;
    const a = list[i];
    const b = list[i + 1];
    let line = a.line;
    if (b && top > a.y) line = a.line + (b.line - a.line) * ((top - a.y) / (b.y - a.y || 1));
    const doc = view.state.doc;
    const n = Math.min(doc.lines, Math.floor(line) + 1);
    const block = view.lineBlockAt(doc.line(n).from);
    const offset = view.documentTop - scroller.getBoundingClientRect().top + scroller.scrollTop;
    setScroll(scroller, offset + block.top + block.height * (line - Math.floor(line)));
  }

  function onScroll(e) {
    const editor = getEditor();
    const fromEditor = editor && e.target === editor.view.scrollDOM;
    if (!fromEditor && e.target !== preview) return;
    const mine = echo.get(e.target);
    echo.delete(e.target);
    if (mine !== undefined && Math.abs(e.target.scrollTop - mine) < 2) return;
    leader = fromEditor ? "editor" : "preview";
    cancelAnimationFrame(frame);
    frame = requestAnimationFrame(fromEditor ? editorToPreview : previewToEditor);
  }
  // Capture: scroll events do not bubble, and the editor's scroller is replaced on a remount.
  document.addEventListener("scroll", onScroll, true);
  // A re-rendered preview moves its blocks: line it up with the editor again, unless the
  // reader is reading the preview (then a peer's typing must not move it under them).
  new MutationObserver(() => {
    if (leader !== "editor") return;
    cancelAnimationFrame(frame);
    frame = requestAnimationFrame(editorToPreview);
  }).observe(preview, { childList: true });
}

/** getEditor() gives the mounted editor (it may be remounted); preview is the preview's box. */
export function start({ getEditor, preview }) {
  const bar = document.querySelector('[data-testid="format-toolbar"]');
  if (bar) startToolbar(bar, getEditor);
  startScrollSync(preview, getEditor);
}
