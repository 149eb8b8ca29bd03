// The JSON API as the service pages use it: the signed-in user's token on every call,
// and refusals turned into errors that carry what the server said.

const TOKEN_KEY = "linecare.token";

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

// A link may carry a token after '#token=' (the demo prints such links); it never reaches
// the server and is removed from the address bar at once.
export function takeTokenFromLink() {
  const match = window.location.hash.match(/^#token=(.+)$/);
  if (!match) return null;
  history.replaceState(null, "", window.location.pathname + window.location.search);
  const token = decodeURIComponent(match[1]);
  storeToken(token);
  return token;
}

// The server's reason in one sentence: a plain detail, a refusal's message, or the first
// validation complaint ("note: String should have at most 4000 characters").
function reasonOf(body, fallback) {
  const detail = body && body.detail;
  if (typeof detail === "string") return detail;
  if (detail && typeof detail.message === "string") return detail.message;
  if (Array.isArray(detail) && detail.length) {
    const first = detail[0];
    const where = (first.loc || []).filter((part) => part !== "body").join(".");
    return where ? `${where}: ${first.msg}` : first.msg;
  }
  if (body && typeof body.title === "string") return body.detail || body.title;
  return fallback;
}

async function send(method, path, { params, body, headers } = {}) {
  const url = new URL(`/api${path}`, window.location.origin);
  for (const [key, value] of Object.entries(params || {})) {
    if (value !== null && value !== undefined && value !== "") url.searchParams.set(key, value);
  }
  const token = storedToken();
  const allHeaders = { Accept: "application/json", ...(headers || {}) };
  if (token) allHeaders.Authorization = `Bearer ${token}`;
  if (body !== undefined) allHeaders["Content-Type"] = "application/json";
  const response = await fetch(url, {
    method, headers: allHeaders, body: body === undefined ? undefined : JSON.stringify(body),
  });
  const answer = await response.json().catch(() => null);
  if (response.status === 401) throw new SignedOut(reasonOf(answer, "Please sign in."));
  if (!response.ok) throw new ApiError(response.status, reasonOf(answer, response.statusText), answer);
  return answer;
}

export function apiGet(path, params) { return send("GET", path, { params }); }

// A creation carries an Idempotency-Key, so a double click or a retried request makes one.
export function apiPost(path, body, { idempotencyKey } = {}) {
  const headers = idempotencyKey ? { "Idempotency-Key": idempotencyKey } : {};
  return send("POST", path, { body, headers });
}

export function apiPut(path, body) { return send("PUT", path, { body }); }

export function newIdempotencyKey() {
  return crypto.randomUUID ? crypto.randomUUID() : `${Date.now()}-${Math.random().toString(16).slice(2)}`;
}
