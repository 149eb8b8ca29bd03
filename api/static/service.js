// The service pages: the desk's ticket queue, a page per ticket, the field engineer's jobs
// and the customer's tickets. One shell: it signs the user in, picks the page for the
// address and the role, and refreshes the page every few seconds.

import { apiGet, goToSignIn, SignedOut, takeTokenFromLink } from "./api_client.js";
import { $, el } from "./dom.js";
import { fmtAgo, fmtPlantTime, zoneAbbreviation } from "./plant_time.js";
import { mountCustomerTicket, mountCustomerTickets } from "./customer_tickets.js";
import { mountMyJobs } from "./my_jobs.js";
import { mountTicketPage } from "./ticket_page.js";
import { mountTicketQueue } from "./ticket_queue.js";
import { showSignedIn } from "./top_bar.js";

const REFRESH_MS = 15000;
const STAFF = new Set(["desk", "support", "admin"]);

const state = { refreshedAt: null, error: null, page: null, busy: false };

function renderRefreshStatus() {
  const status = $("refresh-status");
  const ago = state.refreshedAt ? `updated ${fmtAgo(Date.now() - state.refreshedAt)}` : "";
  status.classList.toggle("failed", Boolean(state.error));
  status.textContent = state.error ? `update failed: ${state.error}${ago ? ` · last ${ago}` : ""}` : ago;
}

// The plant's clock (its newest data), in the zone of the user's first site, as on the
// monitoring console: the SLA clocks count on it when a simulated plant runs ahead.
async function renderPlantClock(zone) {
  const health = await apiGet("/health").catch(() => null);
  const clock = $("plant-clock");
  if (!health || !health.plant_time) { clock.textContent = ""; return; }
  clock.replaceChildren(el("span", { class: "clock-label" }, "Plant time"), " ",
    fmtPlantTime(health.plant_time, zone), " ", el("span", { class: "clock-zone" }, zoneAbbreviation(zone, health.plant_time)));
  clock.title = `Newest data from the plant, in ${zone}`;
}

let toastTimer = null;
function toast(message, kind = "ok") {
  const box = $("toast");
  box.className = `toast toast-${kind}`;
  box.textContent = message;
  box.hidden = false;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => { box.hidden = true; }, kind === "error" ? 9000 : 4000);
}

function context(me, lines) {
  const machines = new Map();
  for (const line of lines) for (const machine of line.machines) machines.set(machine.id, { machine, line });
  const lineById = (id) => lines.find((line) => line.id === id) || null;
  const firstZone = lines.length ? lines[0].site.timezone : "UTC";
  return {
    me,
    lines,
    staff: STAFF.has(me.role),
    lineById,
    machineById: (id) => machines.get(id) || null,
    zoneOfLine: (id) => (lineById(id) ? lineById(id).site.timezone : firstZone),
    customerName: (id) => (lines.find((line) => line.customer.id === id) || { customer: { name: id } }).customer.name,
    toast,
    refreshed: () => { state.refreshedAt = Date.now(); state.error = null; renderRefreshStatus(); },
    failed: (err) => {
      if (err instanceof SignedOut) { goToSignIn(); return; }
      state.error = err.message;
      renderRefreshStatus();
    },
  };
}

function pageFor(path, me) {
  const ticket = path.match(/^\/tickets\/([A-Za-z0-9-]+)\/?$/);
  if (ticket) return me.role === "customer" ? [mountCustomerTicket, ticket[1]] : [mountTicketPage, ticket[1]];
  if (path.startsWith("/my-jobs")) return [mountMyJobs, null];
  if (me.role === "customer") return [mountCustomerTickets, null];
  if (me.role === "field_engineer") return [mountMyJobs, null];
  return [mountTicketQueue, null];
}

async function refresh() {
  if (state.busy || !state.page) return;
  state.busy = true;
  try {
    await state.page.refresh();
  } catch (err) {
    state.page.failed ? state.page.failed(err) : null;
  } finally {
    state.busy = false;
  }
}

async function start() {
  // The session cookie, or a token a '#token=' link brought: /me says whether either works.
  takeTokenFromLink();
  let me;
  let lines;
  try {
    [me, lines] = await Promise.all([apiGet("/me"), apiGet("/lines")]);
  } catch (err) {
    if (err instanceof SignedOut) { goToSignIn(); return; }
    $("page").replaceChildren(el("p", { class: "error" }, `LineCare is not reachable: ${err.message}`));
    return;
  }
  showSignedIn(me);
  const ctx = context(me, lines);
  const [mount, param] = pageFor(window.location.pathname, me);
  state.page = await mount($("page"), ctx, param);
  state.page.failed = ctx.failed;
  const zone = lines.length ? lines[0].site.timezone : "UTC";
  await Promise.all([refresh(), renderPlantClock(zone)]);
  setInterval(() => { refresh(); renderPlantClock(zone); }, REFRESH_MS);
  setInterval(renderRefreshStatus, 1000);
}

document.addEventListener("DOMContentLoaded", start);
