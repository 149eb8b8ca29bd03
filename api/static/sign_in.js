// The sign-in page: posts login and password to /api/v1/sign-in, which sets the
// HttpOnly session cookie, then goes to `next` (a path of this site) or to the page of
// the user's role (LANDING).

const DEMO_PASSWORD = "linecare-demo";
// This page loads before anyone is signed in, on its own, without the API client.
const API_ROOT = "/api/v1";
const ROLE_NAMES = {
  admin: "administrator",
  desk: "service desk",
  support: "support engineer",
  field_engineer: "field engineer",
  parts_manager: "parts manager",
  customer: "customer",
};

// Where each role starts its day when no `next` is given: a field engineer's phone opens
// on their jobs, not on the desktop monitoring console.
export const LANDING = {
  admin: "/fleet",
  support: "/fleet",
  desk: "/tickets",
  field_engineer: "/my-jobs",
  parts_manager: "/parts",
  customer: "/",
};

export function landingOf(role) { return LANDING[role] ?? "/"; }

// Only a path of this site: "/x" but not "//evil.example" or "/\evil.example".
export function safeNext(raw) {
  if (!raw || !raw.startsWith("/") || raw.startsWith("//") || raw.startsWith("/\\")) return "/";
  try {
    const target = new URL(raw, window.location.origin);
    if (target.origin !== window.location.origin) return "/";
    return target.pathname + target.search + target.hash;
  } catch {
    return "/";
  }
}

function showError(message) {
  const box = document.getElementById("sign-in-error");
  box.textContent = message;
  box.hidden = !message;
}

async function errorMessage(response) {
  if (response.status === 401) return "The login or the password is wrong.";
  try {
    const body = await response.json();
    if (typeof body.detail === "string") return body.detail;
  } catch {
    // not JSON: fall through
  }
  return `Sign-in failed (HTTP ${response.status}). Try again.`;
}

async function signIn(event) {
  event.preventDefault();
  const login = document.getElementById("login").value.trim();
  const password = document.getElementById("password").value;
  if (!login || !password) {
    showError("Enter your login and your password.");
    return;
  }
  const button = document.getElementById("sign-in-button");
  button.disabled = true;
  showError("");
  try {
    const response = await fetch(`${API_ROOT}/sign-in`, {
      method: "POST",
      headers: { "Content-Type": "application/json", "X-Requested-With": "fetch" },
      body: JSON.stringify({ login, password }),
    });
    if (!response.ok) {
      showError(await errorMessage(response));
      return;
    }
    const next = new URLSearchParams(window.location.search).get("next");
    if (next) { window.location.assign(safeNext(next)); return; }
    const signedIn = await response.json().catch(() => null);
    window.location.assign(landingOf(signedIn?.user?.role));
  } catch {
    showError("The server cannot be reached. Check the connection and try again.");
  } finally {
    button.disabled = false;
  }
}

async function offerDemoAccounts() {
  let accounts = [];
  try {
    const response = await fetch(`${API_ROOT}/sign-in/demo-tokens`);
    if (response.ok) accounts = await response.json();
  } catch {
    return;
  }
  if (!accounts.length) return;
  const list = document.getElementById("demo-list");
  for (const account of accounts) {
    const item = document.createElement("li");
    const button = document.createElement("button");
    button.type = "button";
    const name = document.createElement("span");
    name.textContent = account.display_name;
    const role = document.createElement("span");
    role.className = "role";
    role.textContent = account.customer_id
      ? `${ROLE_NAMES[account.role] ?? account.role} · ${account.customer_id}`
      : (ROLE_NAMES[account.role] ?? account.role);
    button.append(name, role);
    button.addEventListener("click", () => {
      // A demo account's login is its public token (storage/user_store.py, DEMO_USERS).
      document.getElementById("login").value = account.token;
      document.getElementById("password").value = DEMO_PASSWORD;
      document.getElementById("sign-in-button").focus();
    });
    item.append(button);
    list.append(item);
  }
  document.getElementById("demo-accounts").hidden = false;
}

document.getElementById("sign-in-form").addEventListener("submit", signIn);
// The button waits for this script: a form sent before it would go without it.
document.getElementById("sign-in-button").disabled = false;
offerDemoAccounts();
