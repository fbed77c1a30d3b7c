// The changes between two texts, as the API gives them (GET /documents/{id}/diff):
// unified (one column, +/- lines) or side by side (old | new, aligned rows, the
// words or characters changed inside a line marked). Every piece of text goes in
// with textContent: nothing from a document is ever read as HTML.
import { fill } from "./app.js";

function node(tag, cls, text) {
  const n = document.createElement(tag);
  if (cls) n.className = cls;
  if (text !== undefined) n.textContent = text;
  return n;
}

function unified(box, d, _S) {
  const lines = d.unified ? d.unified.replace(/\n$/, "").split("\n") : [];
  for (const line of lines) {
    let cls = "";
    if (line.startsWith("@@")) cls = "hunk";
    else if (line.startsWith("+") && !line.startsWith("+++")) cls = "add";
    else if (line.startsWith("-") && !line.startsWith("---")) cls = "del";
    box.appendChild(node("div", cls, line || " "));
  }
  return lines.length;
}

// One side of a row: its line number and its text, changed runs in <del>/<ins>.
function cells(tr, side, mark) {
  const num = node("td", "ln");
  const code = node("td", "code");
  if (side) {
    num.textContent = String(side.n);
    for (const part of side.parts) {
      code.appendChild(
        part.changed ? node(mark, "", part.text) : document.createTextNode(part.text),
      );
    }
  } else {
    code.classList.add("empty");
  }
  tr.appendChild(num);
  tr.appendChild(code);
}

function split(box, d, S) {
  const hunks = d.side_by_side || [];
  if (!hunks.length) return 0;
  const table = node("table", "diff-split");
  table.setAttribute("data-testid", "diff-split");
  const head = node("thead");
  const hr = node("tr");
  hr.appendChild(node("th", "ln"));
  hr.appendChild(node("th", "", S.old_side + ": " + (d.from_label || "")));
  hr.appendChild(node("th", "ln"));
  hr.appendChild(node("th", "", S.new_side + ": " + (d.to_label || "")));
  head.appendChild(hr);
  table.appendChild(head);
  for (const hunk of hunks) {
    const body = node("tbody");
    const at = node("tr", "hunk");
    const td = node("td", "", fill(S.hunk_at, { old: hunk.old_start, new: hunk.new_start }));
    td.colSpan = 4;
    at.appendChild(td);
    body.appendChild(at);
    for (const row of hunk.rows) {
      const tr = node("tr", row.kind);
      tr.dataset.kind = row.kind;
      cells(tr, row.old, "del");
      cells(tr, row.new, "ins");
      body.appendChild(tr);
    }
    table.appendChild(body);
  }
  box.appendChild(table);
  return hunks.length;
}

export function render(box, d, layout, S) {
  box.replaceChildren();
  box.dataset.layout = layout;
  const shown = layout === "split" ? split(box, d, S) : unified(box, d, S);
  if (!shown) box.appendChild(node("div", "muted", S.no_diff));
}
