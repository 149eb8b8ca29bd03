// LineCare fleet overview: every line with its machines, open alerts and SLA risks, from
// GET /api/fleet, the lines needing attention first. Refreshes itself; rows open the
// console on the line's most pressing machine, deadlines open their ticket.
// Vanilla JS, no build step; strings from the API enter the page as text.
import { apiGet, goToSignIn, SignedOut, takeTokenFromLink } from "./api_client.js";
import { $, el, fill } from "./dom.js";
import { showRefusal, showSignedIn } from "./top_bar.js";
import { fmtSiteTime, zoneAbbreviation } from "./plant_time.js";

const REFRESH_MS = 15000;
const STAFF = new Set(["desk", "support", "admin"]);
const ATTENTION = {
  sla_breached: { label: "SLA overdue", tone: "bad" },
  sla_at_risk: { label: "SLA at risk", tone: "warn" },
  alert: { label: "Alert", tone: "warn" },
  offline: { label: "Offline", tone: "muted" },
  ok: { label: "OK", tone: "good" },
};
const CLOCKS = { response: "Response", arrival: "Arrival", resolution: "Resolution" };
const RUNNING_STATE = 6;

const query = new URLSearchParams(window.location.search);
const view = { me: null, fleet: null, filter: query.get("show") === "attention" ? "attention" : "all", timer: null };

function hoursLeft(seconds) {
  const abs = Math.abs(seconds);
  const text = abs >= 86400 ? `${Math.floor(abs / 86400)} d ${Math.floor((abs % 86400) / 3600)} h`
    : abs >= 3600 ? `${Math.floor(abs / 3600)} h ${Math.floor((abs % 3600) / 60)} min`
      : `${Math.max(1, Math.floor(abs / 60))} min`;
  return seconds < 0 ? `${text} overdue` : `${text} left`;
}

function tile(label, value, tone, note) {
  return el("div", { class: `card fleet-tile tone-${tone}` },
    el("div", { class: "fleet-tile-label" }, label),
    el("div", { class: "fleet-tile-value" }, String(value)),
    el("div", { class: "fleet-tile-note muted small" }, note || ""));
}

function renderTiles(totals) {
  // Only machines whose data arrives count as online; never-heard-of ones are said apart.
  const silent = totals.machines - totals.machines_online - totals.machines_offline;
  const notes = [];
  if (totals.machines_offline) notes.push(`${totals.machines_offline} offline`);
  if (silent) notes.push(`${silent} not reporting yet`);
  fill($("tiles"),
    tile("Lines", totals.lines, "plain", `${totals.machines} machines`),
    tile("Machines online", `${totals.machines_online} / ${totals.machines}`,
      totals.machines_online === totals.machines ? "good" : "muted",
      notes.length ? notes.join(" · ") : "all reporting"),
    tile("Open alerts", totals.open_alerts, totals.open_alerts ? "warn" : "good"),
    tile("Open tickets", totals.open_tickets, "plain"),
    tile("SLA at risk", totals.sla_at_risk, totals.sla_at_risk ? "warn" : "good", "past 80 % of a promised time"),
    tile("SLA overdue", totals.sla_breached, totals.sla_breached ? "bad" : "good", "a deadline passed"));
}

// The machine the console should open on: an alerting one, else a stopped one, else the first.
function pressingMachine(line) {
  return line.machines.find((m) => m.open_alerts > 0)
    || line.machines.find((m) => m.connection === "offline")
    || line.machines.find((m) => !m.state || m.state.code !== RUNNING_STATE)
    || line.machines[0];
}

function machineChip(machine, zone) {
  let tone = "none";
  let state = "no data";
  if (machine.connection === "offline") {
    tone = "offline";
    state = machine.offline_since ? `offline since ${fmtSiteTime(machine.offline_since, zone)}` : "offline";
  } else if (machine.state) {
    tone = machine.state.code === RUNNING_STATE ? "running" : "stopped";
    state = machine.state.name;
  }
  const alerts = machine.open_alerts ? ` · ${machine.open_alerts} open alert${machine.open_alerts > 1 ? "s" : ""} (${machine.worst_alert})` : "";
  return el("li", {}, el("a", {
    class: `fleet-machine m-${tone}${machine.open_alerts ? " m-alert" : ""}`,
    href: `/?machine=${encodeURIComponent(machine.id)}`,
    title: `${machine.name}: ${state}${alerts}`,
  }, el("i", { class: "dot", "aria-hidden": "true" }), machine.name,
  el("span", { class: "sr-only" }, `: ${state}${alerts}`)));
}

function deadlineCell(line) {
  const next = line.next_deadline;
  if (!next) return el("td", { class: "muted" }, line.open_tickets ? "met or paused" : "—");
  const tone = next.state === "breached" ? "bad" : next.state === "warning" ? "warn" : "plain";
  return el("td", {},
    el("a", { href: `/tickets/${next.ticket_id}`, class: `deadline tone-${tone}` },
      `${next.ticket_number} · ${CLOCKS[next.kind]} ${hoursLeft(next.seconds_left)}`),
    el("div", { class: "muted small" }, `due ${fmtSiteTime(next.due, line.site.timezone)}`));
}

function lineRow(line) {
  const attention = ATTENTION[line.attention];
  const target = pressingMachine(line);
  const running = `${line.machines_running} of ${line.machines.length} running`;
  return el("tr", { class: `fleet-row attention-${line.attention}` },
    el("th", { scope: "row" },
      el("a", { href: target ? `/?machine=${encodeURIComponent(target.id)}` : "/" }, line.name),
      el("div", { class: "muted small" }, line.model),
      // The machine needing attention first, straight into remote diagnosis.
      target ? el("a", { class: "small fleet-diagnose", href: `/diagnosis?machine=${encodeURIComponent(target.id)}` }, `Diagnose ${target.name}`) : null),
    el("td", {}, line.customer.name, el("div", { class: "muted small" }, line.site.name)),
    el("td", {},
      el("span", { class: `pill tone-${attention.tone}` }, attention.label),
      ...line.reasons.map((reason) => el("div", { class: "small reason" }, reason))),
    el("td", {},
      el("ul", { class: "fleet-machines", "aria-label": `Machines of ${line.name}` },
        ...line.machines.map((m) => machineChip(m, line.site.timezone))),
      el("div", { class: "muted small" }, [running,
        line.machines_offline ? `${line.machines_offline} offline` : "",
        line.machines_silent ? `${line.machines_silent} not reporting yet` : ""].filter(Boolean).join(" · "))),
    el("td", { class: "num" }, line.open_alerts ? `${line.open_alerts} (${line.worst_alert})` : "0"),
    el("td", { class: "num" }, line.open_tickets ? el("a", { href: `/tickets?line=${encodeURIComponent(line.id)}` }, String(line.open_tickets)) : "0"),
    deadlineCell(line));
}

function render() {
  const fleet = view.fleet;
  renderTiles(fleet.totals);
  const shown = view.filter === "attention" ? fleet.lines.filter((l) => l.attention !== "ok") : fleet.lines;
  const body = $("fleet-table").querySelector("tbody");
  if (!shown.length) {
    fill(body, el("tr", {}, el("td", { colspan: "7", class: "muted" },
      view.filter === "attention" ? "No line needs attention." : "No lines under service.")));
  } else fill(body, ...shown.map(lineRow));
  // Sites in one zone name it ("CET"); sites in several read in UTC, said so.
  const zones = [...new Set(fleet.lines.map((l) => l.site.timezone))];
  const labels = new Set(zones.map((z) => zoneAbbreviation(z, fleet.as_of)));
  const zone = labels.size === 1 ? zones[0] : "UTC";
  $("as-of").textContent = `as of ${fmtSiteTime(fleet.as_of, zone)}`;
  showStatus("");
}

async function load() {
  try {
    view.fleet = await apiGet("/fleet");
    render();
  } catch (err) {
    if (err instanceof SignedOut) { goToSignIn(); return; }
    showStatus(`Could not refresh: ${err.message}. Showing the last figures.`);
  }
}

function showStatus(message) {
  $("page-status").textContent = message;
  $("page-status").hidden = !message;
}

async function start() {
  takeTokenFromLink();
  try {
    view.me = await apiGet("/me");
  } catch (err) {
    if (err instanceof SignedOut) { goToSignIn(); return; }
    showStatus(err.message);
    return;
  }
  showSignedIn(view.me);
  if (!STAFF.has(view.me.role)) {
    showRefusal("The fleet overview is for support and the service desk.");
    return;
  }
  $("fleet-filter").value = view.filter;
  $("fleet-filter").addEventListener("change", () => {
    view.filter = $("fleet-filter").value;
    const url = new URL(window.location.href);
    if (view.filter === "attention") url.searchParams.set("show", "attention"); else url.searchParams.delete("show");
    window.history.replaceState(null, "", url);
    if (view.fleet) render();
  });
  $("fleet-page").hidden = false;
  await load();
  view.timer = setInterval(load, REFRESH_MS);
}

document.addEventListener("DOMContentLoaded", start);
