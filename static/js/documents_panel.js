// The workspace page's list of documents: a rename anywhere shows at once
// (events arrive through activity.js as `jl:event`).
export function start() {
  document.addEventListener("jl:event", (e) => {
    const env = e.detail;
    const d = env.data && env.data.document;
    if (env.type !== "document.renamed" || !d) return;
    const link = document.querySelector("#document-" + d.id + " a[data-role='doc-title']");
    if (link) link.textContent = d.title;
  });
}
