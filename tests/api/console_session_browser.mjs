// Drives Debian's headless chromium over the DevTools protocol (no driver to download):
// opens a console page signed out, signs in on /sign-in with a password, then opens each
// page on the session cookie alone, and prints what happened as one JSON line.
// Used by tests/api/test_console_session_browser.py; node >= 20 with --experimental-websocket.
// Arguments: base URL, login, pages (comma-separated, the first is where it starts signed
// out), and optionally a file prefix for one screenshot per page (<prefix>_<n>.png).
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const [base, login, pageList, screens] = process.argv.slice(2);
const pages = pageList.split(",");
const profile = mkdtempSync(join(tmpdir(), "linecare-chromium-"));
// Port 0: chromium picks a free one and writes it to DevToolsActivePort.
const chrome = spawn("chromium", ["--headless=new", "--no-sandbox", "--disable-gpu",
  "--remote-debugging-port=0", `--user-data-dir=${profile}`, "--window-size=1400,1000",
  "about:blank"], { stdio: "ignore" });
// chromium may still be writing its profile as it exits: what is left stays in /tmp.
const stop = () => { chrome.kill(); try { rmSync(profile, { recursive: true, force: true }); } catch { /* see above */ } };
process.on("exit", stop);
setTimeout(() => { console.error(`timed out; requests: ${JSON.stringify(requests.slice(-5))}`); process.exit(1); }, 280_000);
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
// Every API request the pages make, with the headers that matter here, and every script
// error: the test asserts on them.
const requests = [];
const failures = [];
const errors = [];
ws.addEventListener("message", (m) => {
  const msg = JSON.parse(m.data);
  if (msg.id && pending.has(msg.id)) { pending.get(msg.id)(msg); pending.delete(msg.id); }
  if (msg.method === "Network.requestWillBeSent") {
    const { url, method, headers } = msg.params.request;
    if (new URL(url).pathname.startsWith("/api/")) {
      requests.push({ path: new URL(url).pathname, method,
        authorization: headers.Authorization || null, requestedWith: headers["X-Requested-With"] || null });
    }
  }
  if (msg.method === "Network.responseReceived") {
    const { url, status } = msg.params.response;
    if (status >= 400 && new URL(url).pathname.startsWith("/api/")) failures.push(`${status} ${new URL(url).pathname}`);
  }
  if (msg.method === "Runtime.exceptionThrown") {
    const details = msg.params.exceptionDetails;
    errors.push((details.exception && details.exception.description) || details.text);
  }
});
const send = (method, params = {}) => new Promise((r) => { const n = ++id; pending.set(n, r); ws.send(JSON.stringify({ id: n, method, params })); });
const evaluate = async (expression) => (await send("Runtime.evaluate", { expression, awaitPromise: true, returnByValue: true })).result.result.value;

// Polls instead of sleeping, so a loaded machine only makes it slower, never wrong.
const waitFor = async (expression, tries = 300) => {
  for (let i = 0; i < tries; i++) {
    try { if (await evaluate(expression)) return true; } catch { /* page navigating */ }
    await sleep(100);
  }
  return false;
};
const open = async (path) => {
  await send("Page.navigate", { url: base + path });
  await waitFor(`document.readyState === "complete"`);
};
// A page is signed in when its top bar shows the user and the Sign out button.
const SIGNED_IN = `(() => { const chip = document.getElementById("user-chip"), out = document.getElementById("sign-out");
  return Boolean(chip && !chip.hidden && chip.textContent && out && !out.hidden); })()`;

await send("Page.enable");
await send("Network.enable");
await send("Runtime.enable");

// Signed out, a console page sends its visitor to the sign-in page, which comes back.
await open(pages[0]);
await waitFor(`location.pathname === "/sign-in"`);
const redirected = await evaluate(`location.pathname + location.search`);
// The demo accounts are listed once sign_in.js runs: before that a click would submit
// the form natively, without the script.
await waitFor(`document.querySelector("#demo-list button") !== null`);
const screenshot = async (file) => {
  const shot = await send("Page.captureScreenshot", { format: "png" });
  writeFileSync(file, Buffer.from(shot.result.data, "base64"));
};
if (screens) await screenshot(`${screens}_0_sign_in.png`);
await evaluate(`document.getElementById("login").value = ${JSON.stringify(login)};
  document.getElementById("password").value = "linecare-demo";
  document.getElementById("sign-in-button").click(); 1`);
// argon2id on a busy machine: signing in may take seconds.
await waitFor(`location.pathname !== "/sign-in"`, 900);
await waitFor(SIGNED_IN);
const landed = await evaluate(`location.pathname + location.search`);

const seen = {};
for (const [n, path] of pages.entries()) {
  failures.length = 0;
  const before = errors.length;
  await open(path);
  const signedIn = await waitFor(SIGNED_IN);
  await sleep(800); // the page's own requests after the user is shown
  seen[path] = {
    at: await evaluate(`location.pathname + location.search`),
    signedIn,
    failures: [...failures],
    errors: errors.slice(before),
  };
  if (screens) await screenshot(`${screens}_${n + 1}.png`);
}

// An unsafe request through the console's client carries X-Requested-With: the server's
// CSRF check lets it through to validation (422), where without it the answer is 403.
const unsafe = await evaluate(`import("/static/api_client.js").then((m) =>
  m.apiPost("/tickets", {}, { idempotencyKey: m.newIdempotencyKey() }).then(() => 0, (e) => e.status))`);
const token = await evaluate(`localStorage.getItem("linecare.token")`);

// A stale token left in the browser is forgotten, and the page goes on with the cookie.
const cookieOnly = requests.length;
await evaluate(`localStorage.setItem("linecare.token", "stale-token"); 1`);
await open(pages[0]);
const staleSignedIn = await waitFor(SIGNED_IN);
const staleLeft = await evaluate(`localStorage.getItem("linecare.token")`);

// The top bar's Sign out ends the session and shows the sign-in page.
await evaluate(`document.getElementById("sign-out").click(); 1`);
await waitFor(`location.pathname === "/sign-in"`);
const afterSignOut = await evaluate(`location.pathname`);
const meAfter = await evaluate(`fetch("/api/me").then((r) => r.status)`);

// A '#token=' link (API-key users, old demo links) still opens a page, with the Bearer header.
const linkedFrom = requests.length;
await open(`${pages[0]}#token=${encodeURIComponent(login)}`);
const linkedSignedIn = await waitFor(SIGNED_IN);
const linkedBearer = requests.slice(linkedFrom).some((r) => r.authorization === `Bearer ${login}`);

console.log(JSON.stringify({
  redirected, landed, seen, unsafe, token, staleSignedIn, staleLeft, afterSignOut, meAfter,
  linkedSignedIn, linkedBearer, requests: requests.slice(0, cookieOnly),
}));
ws.close();
process.exit(0);
