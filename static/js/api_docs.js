// /api/v1/docs: the operations of the OpenAPI document, one card each.
(function () {
  "use strict";
  const root = document.getElementById("ops");
  fetch(root.dataset.src).then((r) => r.json()).then((doc) => {
    root.textContent = "";
    for (const [path, ops] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(ops)) {
        const div = document.createElement("section"); div.className = "card";
        const h = document.createElement("h3"); h.textContent = method.toUpperCase() + " " + path; div.appendChild(h);
        const p = document.createElement("p"); p.textContent = (op.summary || "") + " " + (op.description || ""); div.appendChild(p);
        root.appendChild(div);
      }
    }
  });
})();
