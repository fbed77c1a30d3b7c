// `@name` mentions in a comment box (threads.js): typing `@` offers the workspace's members
// (any part of the name, or the email); a picked person is sent as an explicit mention id,
// so they are notified whatever the text around it; an `@word` matching nobody is shown as
// such before posting.
import { fill } from "./app.js";

/** The two helpers a thread form needs; `el` makes an element, `strings` are the page's words. */
export function mentionBoxes({ members, strings: S, el }) {
  const fold = (s) => s.toLocaleLowerCase();
  function handles(m) {
    return [m.name, m.email.split("@")[0]].filter((h) => h && h.trim());
  }
  const allHandles = () =>
    members
      .flatMap((m) => handles(m).map((h) => [fold(h), m]))
      .sort((a, b) => b[0].length - a[0].length);
  const asciiWord = (c) => c && /[A-Za-z0-9]/.test(c);
  // As the server reads `@name` (comments.find_mentions): the longest handle that
  // follows `@` and does not run on into more ASCII letters or digits.
  function matchAt(lowered, at) {
    const rest = lowered.slice(at + 1);
    for (const [h, m] of allHandles()) {
      if (!rest.startsWith(h)) continue;
      const after = rest.charAt(h.length);
      if (
        after &&
        asciiWord(h.charAt(h.length - 1)) &&
        (asciiWord(after) || after === "_" || after === "-")
      )
        continue;
      return m;
    }
    return null;
  }
  function unmatched(text, caretToken) {
    const lowered = fold(text);
    const out = [];
    for (let at = text.indexOf("@"); at !== -1; at = text.indexOf("@", at + 1)) {
      if (at > 0 && asciiWord(text.charAt(at - 1))) continue; // an email address
      if (at === caretToken) continue; // still being typed: the list is showing
      if (matchAt(lowered, at)) continue;
      const word = (text.slice(at + 1).match(/^[^\s@,.;:!?，。；：！？、]+/) || [""])[0];
      if (word && !out.includes(word)) out.push(word);
    }
    return out;
  }
  function pickedMentions(box) {
    const text = box.value;
    return [...(box._picked || new Map()).entries()]
      .filter(([, name]) => text.includes("@" + name))
      .map(([id]) => id);
  }

  function attachMentions(box) {
    box._picked = new Map();
    const list = el("ul", {
      class: "mention-list",
      role: "listbox",
      "data-testid": "mention-suggestions",
    });
    list.hidden = true;
    const warn = el("p", {
      class: "mention-warning",
      "data-testid": "mention-unmatched",
      role: "status",
    });
    warn.hidden = true;
    box.insertAdjacentElement("afterend", list);
    list.insertAdjacentElement("afterend", warn);
    let tokenAt = -1,
      options = [],
      index = 0;

    function currentToken() {
      const caret = box.selectionStart;
      const before = box.value.slice(0, caret);
      const at = before.lastIndexOf("@");
      if (at === -1 || (at > 0 && asciiWord(before.charAt(at - 1)))) return null;
      const query = before.slice(at + 1);
      if (query.length > 40 || /[\n@]/.test(query)) return null;
      return { at, query };
    }
    function render() {
      list.replaceChildren();
      options.forEach((m, i) => {
        const li = el("li", {
          role: "option",
          "aria-selected": String(i === index),
          "data-user-id": String(m.id),
        });
        li.appendChild(el("strong", {}, m.name));
        li.appendChild(el("span", { class: "muted" }, " " + m.email));
        li.addEventListener("mousedown", (e) => {
          e.preventDefault();
          pick(m);
        });
        list.appendChild(li);
      });
      list.hidden = options.length === 0;
    }
    function update() {
      const tok = currentToken();
      tokenAt = -1;
      options = [];
      if (tok) {
        const q = fold(tok.query.trim());
        options = members
          .filter((m) => !q || fold(m.name).includes(q) || fold(m.email).includes(q))
          .slice(0, 8);
        if (options.length) tokenAt = tok.at;
      }
      index = 0;
      render();
      const missing = unmatched(box.value, tokenAt);
      warn.hidden = !missing.length;
      warn.textContent = missing.length
        ? fill(S.mention_unmatched, { names: missing.map((w) => "@" + w).join(", ") })
        : "";
    }
    function pick(m) {
      const tok = currentToken();
      if (!tok) return;
      const caret = box.selectionStart;
      const insert = "@" + m.name + " ";
      box.value = box.value.slice(0, tok.at) + insert + box.value.slice(caret);
      const pos = tok.at + insert.length;
      box.setSelectionRange(pos, pos);
      box._picked.set(m.id, m.name);
      box.focus();
      update();
    }
    box.addEventListener("input", update);
    box.addEventListener("click", update);
    box.addEventListener("blur", () => {
      list.hidden = true;
    });
    box.addEventListener("keydown", (e) => {
      if (list.hidden || !options.length) return;
      if (e.key === "ArrowDown" || e.key === "ArrowUp") {
        e.preventDefault();
        index = (index + (e.key === "ArrowDown" ? 1 : options.length - 1)) % options.length;
        render();
      } else if (e.key === "Enter" || e.key === "Tab") {
        e.preventDefault();
        pick(options[index]);
      } else if (e.key === "Escape") {
        list.hidden = true;
      }
    });
    box._resetMentions = () => {
      box._picked = new Map();
      update();
    };
  }

  return { attachMentions, pickedMentions };
}
