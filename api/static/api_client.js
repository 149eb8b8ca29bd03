// The JSON API as the console's pages use it. The normal way in is the session cookie
// that /sign-in sets: requests carry no Authorization header, and every unsafe one says
// `X-Requested-With: fetch` (the server's CSRF check for cookie sessions). A person who
// came with a '#token=' link (an API key, an old demo link) sends that token instead.
// Refusals turn into errors that carry what the server said.

const TOKEN_KEY = "linecare.token";
// The version of the API this console speaks (docs/api.md); /api/... is a deprecated alias.
const API_ROOT = "/api/v1";
// The header a cookie-authenticated POST/PUT/PATCH/DELETE needs (docs/access.md).
const CSRF_HEADER = { "X-Requested-With": "fetch" };

export class SignedOut extends Error {}

// A 4xx or 5xx answer: `status`, a sentence for people, and the body as sent.
export class ApiError extends Error {
  constructor(status, message, body) {
    super(message);
    this.status = status;
    this.body = body;
  }
}

export function storedToken() { return localStorage.getItem(TOKEN_KEY); }
export function storeToken(token) { localStorage.setItem(TOKEN_KEY, token); }
export function forgetToken() { localStorage.removeItem(TOKEN_KEY); }

// A link may carry a token after '#token=' (API-key users, old demo links); it never
// reaches the server and is removed from the address bar at once.
export function takeTokenFromLink() {
  const match = window.location.hash.match(/^#token=(.+)$/);
  if (!match) return null;
  history.replaceState(null, "", window.location.pathname + window.location.search);
  const token = decodeURIComponent(match[1]);
  storeToken(token);
  return token;
}

// The sign-in page, sent back to this page (path and query) once signed in.
export function signInAddress() {
  const here = window.location.pathname + window.location.search;
  return `/sign-in?next=${encodeURIComponent(here)}`;
}

export function goToSignIn() {
  window.location.replace(signInAddress());
}

// Ends the cookie session (if any), forgets a linked token, and shows the sign-in page.
export async function signOut() {
  forgetToken();
  await fetch(apiPath("/sign-out"), { method: "POST", headers: CSRF_HEADER }).catch(() => null);
  window.location.assign("/sign-in");
}

// The top bar's "Sign out" button: the page's #sign-out, or a new one in .topbar-right.
export function showSignOut() {
  let button = document.getElementById("sign-out");
  if (!button) {
    const bar = document.querySelector(".topbar-right");
    if (!bar) return;
    button = document.createElement("button");
    button.id = "sign-out";
    button.type = "button";
    button.className = "btn btn-ghost";
    button.textContent = "Sign out";
    bar.append(button);
  }
  if (!button.dataset.wired) {
    button.addEventListener("click", () => { button.disabled = true; signOut(); });
    button.dataset.wired = "1";
  }
  button.hidden = false;
}

// The server's reason in one sentence. Errors are RFC 9457 problems whose `detail` is that
// sentence (a failed validation's names the fields: "note: String should have at most 4000
// characters"); the older shapes are still read, for a server not yet updated.
function reasonOf(body, fallback) {
  const detail = body && body.detail;
  if (typeof detail === "string" && detail) return detail;
  if (detail && typeof detail.message === "string") return detail.message;
  if (Array.isArray(detail) && detail.length) {
    const first = detail[0];
    const where = (first.loc || []).filter((part) => part !== "body").join(".");
    return where ? `${where}: ${first.msg}` : first.msg;
  }
  if (body && typeof body.title === "string") return body.detail || body.title;
  return fallback;
}

// The address of an API path ("/tickets" -> "/api/v1/tickets"), for fetches of their own
// (a stream, the sign-in form).
export function apiPath(path) { return `${API_ROOT}${path}`; }

function apiUrl(path, params) {
  const url = new URL(apiPath(path), window.location.origin);
  for (const [key, value] of Object.entries(params || {})) {
    if (value !== null && value !== undefined && value !== "") url.searchParams.set(key, value);
  }
  return url;
}

function request(url, method, headers, body, token) {
  const allHeaders = { ...headers };
  if (token) allHeaders.Authorization = `Bearer ${token}`;
  if (method !== "GET" && method !== "HEAD") Object.assign(allHeaders, CSRF_HEADER);
  return fetch(url, { method, headers: allHeaders, body });
}

// The answer as a Response (downloads read it as a blob): a 401 is SignedOut, another
// refusal an ApiError. A linked token the server refuses is forgotten, and the request
// goes once more on the cookie alone, which may still be signed in.
export async function apiFetch(path, { method = "GET", params, body, headers } = {}) {
  const url = apiUrl(path, params);
  const allHeaders = { Accept: "application/json", ...(headers || {}) };
  if (body !== undefined) allHeaders["Content-Type"] = "application/json";
  const payload = body === undefined ? undefined : JSON.stringify(body);
  const token = storedToken();
  let response = await request(url, method, allHeaders, payload, token);
  if (response.status === 401 && token) {
    forgetToken();
    response = await request(url, method, allHeaders, payload, null);
  }
  if (response.ok) return response;
  const answer = await response.json().catch(() => null);
  if (response.status === 401) throw new SignedOut(reasonOf(answer, "Please sign in."));
  throw new ApiError(response.status, reasonOf(answer, response.statusText), answer);
}

async function send(method, path, { params, body, headers } = {}) {
  const response = await apiFetch(path, { method, params, body, headers });
  return response.status === 204 ? null : response.json().catch(() => null);
}

export function apiGet(path, params) { return send("GET", path, { params }); }

// Every item of a paged list: follows the answers' `Link: <...>; rel="next"` to the end.
export async function apiGetAll(path, params) {
  let response = await apiFetch(path, { params: { limit: 500, ...(params || {}) } });
  const items = await response.json();
  for (let next = nextPage(response); next; next = nextPage(response)) {
    response = await apiFetch(next.pathname.slice(API_ROOT.length), { params: Object.fromEntries(next.searchParams) });
    items.push(...await response.json());
  }
  return items;
}

function nextPage(response) {
  const match = (response.headers.get("Link") || "").match(/<([^>]+)>;\s*rel="next"/);
  return match ? new URL(match[1], window.location.origin) : null;
}

// A creation carries an Idempotency-Key, so a double click or a retried request makes one.
export function apiPost(path, body, { idempotencyKey } = {}) {
  const headers = idempotencyKey ? { "Idempotency-Key": idempotencyKey } : {};
  return send("POST", path, { body, headers });
}

export function apiPut(path, body) { return send("PUT", path, { body }); }

export function newIdempotencyKey() {
  return crypto.randomUUID ? crypto.randomUUID() : `${Date.now()}-${Math.random().toString(16).slice(2)}`;
}
