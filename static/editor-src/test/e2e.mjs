// Browser test of ../../dist/editor.js: two or more headless Chromium pages edit one
// document through server.mjs. Run: (cd .. && npm ci && npm run build) && npm ci && npm test
// CHROMIUM may name the browser binary (default /usr/bin/chromium).
import puppeteer from "puppeteer-core";
import { dropAll, start, state, stop } from "./server.mjs";

const port = await start();
const base = `http://127.0.0.1:${port}`;
const browser = await puppeteer.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--headless=new"],
  dumpio: !!process.env.DUMPIO,
  headless: true,
});
let failed = 0,
  passed = 0;
const check = (name, cond, extra = "") => {
  if (cond) {
    passed++;
    console.log("ok   ", name);
  } else {
    failed++;
    console.log("FAIL ", name, extra);
  }
};
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
async function waitFor(fn, ms = 5000) {
  const t = Date.now();
  while (Date.now() - t < ms) {
    if (await fn()) return true;
    await sleep(50);
  }
  return false;
}
const errors = [];
// Headless Chromium can crash when a background tab gets input, hence bringToFront() before
// every click or key press.
async function open(q) {
  const p = await browser.newPage();
  p.on("error", (e) => errors.push("page crashed: " + e.message));
  p.on("pageerror", (e) => errors.push(String(e)));
  p.on("console", (m) => {
    if (m.type() === "error") errors.push(m.text());
  });
  await p.goto(`${base}/page?${q}`);
  return p;
}
const chord = async (p, k) => {
  await p.keyboard.down("Control");
  await p.keyboard.press(k);
  await p.keyboard.up("Control");
};
const last = (p) => p.evaluate(() => statuses[statuses.length - 1]);
const text = (p) => p.evaluate(() => ed.getText());
const serverText = async (d) => (await fetch(`${base}/text/${d}`)).text();
try {
  const a = await open("doc=d1&name=Alice&color=%23e91e63");
  const b = await open("doc=d1&name=Bob&color=%232196f3");
  check(
    "both saved after join",
    await waitFor(async () => (await last(a)) === "saved" && (await last(b)) === "saved"),
  );
  check(
    "join sent binary state vector",
    state.log.some((l) => l[0] === "join" && l[2] === "Buffer"),
    JSON.stringify(state.log.slice(0, 3)),
  );
  await a.bringToFront();
  await a.click(".cm-content");
  await a.keyboard.type("Hello");
  check("B sees A typing", await waitFor(async () => (await text(b)) === "Hello"), await text(b));
  check("server has text", await waitFor(async () => (await serverText("d1")) === "Hello"));
  check("A saved after typing", await waitFor(async () => (await last(a)) === "saved"));
  check("A went through saving", (await a.evaluate(() => statuses)).includes("saving"));
  check(
    "onText called with full text",
    (await b.evaluate(() => texts[texts.length - 1])) === "Hello",
  );
  check(
    "B peers lists Alice",
    await waitFor(async () => (await b.evaluate(() => JSON.stringify(peers))).includes("Alice")),
    await b.evaluate(() => JSON.stringify(peers)),
  );
  check(
    "A peers lists Bob",
    await waitFor(async () => (await a.evaluate(() => JSON.stringify(peers))).includes("Bob")),
  );
  check(
    "B renders remote caret",
    await waitFor(async () => (await b.$(".cm-ySelectionCaret")) !== null),
  );
  console.log("      B peers:", await b.evaluate(() => JSON.stringify(peers)));
  // offline edits on both sides
  state.reject = true;
  dropAll();
  check("A offline", await waitFor(async () => (await last(a)) === "offline"));
  check("B offline", await waitFor(async () => (await last(b)) === "offline"));
  check(
    "B remote cursors cleared",
    await waitFor(
      async () =>
        (await b.evaluate(() => peers.length)) === 0 && (await b.$(".cm-ySelectionCaret")) === null,
    ),
  );
  await sleep(700); // Y.UndoManager groups edits less than 500 ms apart
  await a.bringToFront();
  await a.click(".cm-content");
  await chord(a, "End");
  await a.keyboard.type(" world");
  await b.bringToFront();
  await b.click(".cm-content");
  await chord(b, "Home");
  await b.keyboard.type(">> ");
  await sleep(300);
  check("still offline while edits made", (await last(a)) === "offline");
  state.reject = false;
  check(
    "converged after reconnect",
    await waitFor(async () => {
      const [x, y, s] = [await text(a), await text(b), await serverText("d1")];
      return x === y && y === s && s.includes("world") && s.includes(">> ");
    }, 15000),
    JSON.stringify([await text(a), await text(b), await serverText("d1")]),
  );
  check(
    "both saved after reconnect",
    await waitFor(async () => (await last(a)) === "saved" && (await last(b)) === "saved"),
  );
  console.log("      merged text:", JSON.stringify(await serverText("d1")));
  // undo only undoes own edits
  await a.bringToFront();
  await chord(a, "KeyZ");
  check(
    "undo removes only A last edit",
    await waitFor(async () => (await serverText("d1")) === ">> Hello"),
    await serverText("d1"),
  );
  // a fresh client gets the persisted text
  const c = await open("doc=d1&name=Carol&ro=1");
  check(
    "late joiner gets text",
    await waitFor(async () => (await text(c)) === (await serverText("d1"))),
  );
  check(
    "read-only not editable",
    (await c.$eval(".cm-content", (e) => e.getAttribute("contenteditable"))) === "false",
  );
  // join error
  const f = await open("doc=forbidden&name=Eve");
  check("join error -> status error", await waitFor(async () => (await last(f)) === "error"));
  // update refused
  const r = await open("doc=ro&name=Rita");
  await waitFor(async () => (await last(r)) === "saved");
  await r.bringToFront();
  await r.click(".cm-content");
  await r.keyboard.type("x");
  check("refused update -> status error", await waitFor(async () => (await last(r)) === "error"));
  // a socket shared with the page, already connected when mount() is called
  const sh = await open("doc=d1&name=Sam&shared=1");
  check(
    "shared connected socket joins",
    await waitFor(async () => (await last(sh)) === "saved" && (await text(sh)) === ">> Hello"),
  );
  await sh.evaluate(() => ed.destroy());
  await sleep(1200);
  check("destroy keeps a shared socket open", await sh.evaluate(() => ed.socket.connected));
  // refusal at connect -> error, then recovers once the server accepts again
  state.refuse = true;
  const z = await open("doc=d1&name=Zed");
  check("refused connect -> status error", await waitFor(async () => (await last(z)) === "error"));
  state.refuse = false;
  await z.evaluate(() => ed.socket.connect());
  check("recovers after refusal", await waitFor(async () => (await last(z)) === "saved"));
  // destroy sends leave and drops cursor for peers
  await a.evaluate(() => ed.destroy());
  check(
    "destroy -> leave",
    await waitFor(async () => state.log.some((l) => l[0] === "leave" && l[1] === "d1")),
  );
  check(
    "B loses Alice after destroy",
    await waitFor(async () => !(await b.evaluate(() => JSON.stringify(peers))).includes("Alice")),
  );
  check(
    "own socket closed after destroy",
    await waitFor(async () => (await a.evaluate(() => ed.socket.connected)) === false),
  );
  const unexpected = errors.filter(
    (e) =>
      !/forbidden|read only|not authenticated|connection refused|403|ERR_CONNECTION|WebSocket|Failed to load/.test(
        e,
      ),
  );
  check("no unexpected page errors", unexpected.length === 0, JSON.stringify(unexpected));
} catch (e) {
  failed++;
  console.log("EXC", e);
} finally {
  await browser.close();
  stop();
  console.log(`${passed} passed, ${failed} failed`);
  process.exit(failed ? 1 : 0);
}
