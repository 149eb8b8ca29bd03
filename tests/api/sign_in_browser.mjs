// Drives Debian's headless chromium over the DevTools protocol (no driver to download):
// signs in on /sign-in as a person would and prints what happened as one JSON line.
// Used by tests/api/test_sign_in_browser.py; node >= 20 with --experimental-websocket.
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const base = process.argv[2];
const profile = mkdtempSync(join(tmpdir(), "linecare-chromium-"));
// Port 0: chromium picks a free one and writes it to DevToolsActivePort.
const chrome = spawn("chromium", ["--headless=new", "--no-sandbox", "--disable-gpu",
  "--remote-debugging-port=0", `--user-data-dir=${profile}`, "--window-size=1400,1100",
  "about:blank"], { stdio: "ignore" });
const stop = () => { chrome.kill(); rmSync(profile, { recursive: true, force: true }); };
process.on("exit", stop);
setTimeout(() => { console.error("timed out"); process.exit(1); }, 90_000);
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

// Polls instead of sleeping, so a loaded machine only makes it slower, never wrong.
const waitFor = async (expression) => {
  for (let i = 0; i < 150; i++) {
    try { if (await evaluate(expression)) return; } catch { /* page navigating */ }
    await sleep(100);
  }
  throw new Error(`never true: ${expression}`);
};
const submit = (login, password) => evaluate(`document.getElementById("login").value = ${JSON.stringify(login)};
  document.getElementById("password").value = ${JSON.stringify(password)};
  document.getElementById("sign-in-button").click(); 1`);

await send("Page.enable");
await send("Page.navigate", { url: `${base}/sign-in?next=/api/me` });
await waitFor(`document.querySelector("#demo-list button") !== null`);
await submit("demo-nordbrau", "wrong-password");
await waitFor(`document.getElementById("sign-in-error").textContent !== ""`);
const error = await evaluate(`document.getElementById("sign-in-error").textContent`);
await evaluate(`document.querySelector("#demo-list button").click(); 1`);
const filled = await evaluate(`document.getElementById("login").value`);
await submit("demo-nordbrau", "linecare-demo");
await waitFor(`location.pathname === "/api/me" && document.body.innerText.includes("login")`);
const landed = await evaluate(`location.pathname + " " + document.body.innerText`);
const cookieVisible = await evaluate(`document.cookie`);
await send("Page.navigate", { url: `${base}/sign-in?next=//evil.example/x` });
await waitFor(`location.pathname === "/sign-in" && document.readyState === "complete"`);
await submit("demo-nordbrau", "linecare-demo");
await waitFor(`location.pathname === "/" && document.readyState === "complete"`);
const afterEvil = await evaluate(`location.href`);
const signOut = await evaluate(`fetch("/api/sign-out", {method: "POST", headers: {"X-Requested-With": "fetch"}}).then(r => r.status)`);
const meAfter = await evaluate(`fetch("/api/me").then(r => r.status)`);
console.log(JSON.stringify({ error, filled, landed, cookieVisible, afterEvil, signOut, meAfter }));
ws.close();
process.exit(0);
