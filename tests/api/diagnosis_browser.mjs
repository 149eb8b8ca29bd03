// Drives Debian's headless chromium over the DevTools protocol (no driver to download)
// through the diagnosis page as a support engineer would: charts drawn, a live value
// pushed while the page is open, a moment clicked on a chart and attached to a ticket.
// Used by tests/api/test_diagnosis_browser.py; node >= 20 with --experimental-websocket.
// Prints one JSON line when the page is ready, waits for a line on stdin (the test has
// written a new sample by then), and prints one JSON line with what it saw.
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";

const base = process.argv[2];
const profile = mkdtempSync(join(tmpdir(), "linecare-chromium-"));
const chrome = spawn("chromium", ["--headless=new", "--no-sandbox", "--disable-gpu",
  "--remote-debugging-port=0", `--user-data-dir=${profile}`, "--window-size=1400,1100",
  "about:blank"], { stdio: "ignore" });
const stop = () => { chrome.kill(); rmSync(profile, { recursive: true, force: true }); };
process.on("exit", stop);
setTimeout(() => { console.error("timed out"); process.exit(1); }, 100_000);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
let targets;
for (let i = 0; i < 100 && !targets; i++) {
  try {
    const port = readFileSync(join(profile, "DevToolsActivePort"), "utf8").split("\n")[0];
    targets = await (await fetch(`http://127.0.0.1:${port}/json/list`)).json();
  } catch { await sleep(200); }
}
const page = targets.find((t) => t.type === "page");
const ws = new WebSocket(page.webSocketDebuggerUrl);
await new Promise((r) => ws.addEventListener("open", r));
let id = 0;
const pending = new Map();
ws.addEventListener("message", (m) => {
  const msg = JSON.parse(m.data);
  if (msg.id && pending.has(msg.id)) { pending.get(msg.id)(msg); pending.delete(msg.id); }
});
const send = (method, params = {}) => new Promise((r) => { const n = ++id; pending.set(n, r); ws.send(JSON.stringify({ id: n, method, params })); });
const evaluate = async (expression) => (await send("Runtime.evaluate", { expression, awaitPromise: true, returnByValue: true })).result.result.value;
const waitFor = async (expression) => {
  for (let i = 0; i < 200; i++) {
    try { if (await evaluate(expression)) return; } catch { /* page navigating */ }
    await sleep(100);
  }
  throw new Error(`never true: ${expression}`);
};
const liveValue = (signal) => `((document.querySelector('[data-signal="${signal}"] .v') || {}).textContent || "")`;

await send("Page.enable");
await send("Page.navigate", { url: `${base}/diagnosis?machine=l1-filler#token=demo-support` });
await waitFor(`document.querySelectorAll("#charts canvas").length >= 3`);
await waitFor(`document.getElementById("live-state").dataset.state !== "unknown" || ${liveValue("bearing_temp")}.startsWith("61")`);
const charts = await evaluate(`[...document.querySelectorAll("#charts .u-title")].map((n) => n.textContent)`);
const before = await evaluate(liveValue("bearing_temp"));
const note = await evaluate(`document.getElementById("trend-note").textContent`);

console.log(JSON.stringify({ ready: true }));
const input = createInterface({ input: process.stdin });
await new Promise((r) => input.once("line", r));
await waitFor(`${liveValue("bearing_temp")}.startsWith("77")`);
const after = await evaluate(liveValue("bearing_temp"));

// A click in the middle of the first chart marks that moment; the note goes to the ticket.
const box = await evaluate(`(() => { const r = document.querySelector("#charts .u-over").getBoundingClientRect();
  return { x: r.left + r.width / 2, y: r.top + r.height / 2 }; })()`);
await send("Input.dispatchMouseEvent", { type: "mouseMoved", x: box.x, y: box.y });
await send("Input.dispatchMouseEvent", { type: "mousePressed", x: box.x, y: box.y, button: "left", clickCount: 1 });
await send("Input.dispatchMouseEvent", { type: "mouseReleased", x: box.x, y: box.y, button: "left", clickCount: 1 });
await waitFor(`document.getElementById("mark-signal").textContent !== "—"`);
await waitFor(`document.getElementById("mark-ticket").value !== ""`);
await evaluate(`document.getElementById("mark-note").value = "vibration steps up here"; document.querySelector("#annotate button").click(); 1`);
await waitFor(`document.getElementById("mark-result").textContent !== ""`);
const attached = await evaluate(`document.getElementById("mark-result").textContent`);
const marked = await evaluate(`document.getElementById("mark-signal").textContent`);
console.log(JSON.stringify({ charts, before, after, note, attached, marked }));
ws.close();
process.exit(0);
