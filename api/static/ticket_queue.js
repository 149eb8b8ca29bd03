// The service desk's ticket queue: every open ticket with its SLA clocks, most urgent
// first, with filters kept in the address (a filtered queue is a link to share) and a
// selection for bulk assignment.

import { apiGet } from "./api_client.js";
import { el } from "./dom.js";
import { fmtSiteTime } from "./plant_time.js";
import { clockBadge, isAtRisk, isBreached, urgencySeconds } from "./sla_view.js";
import { bulkAssignBar, MAY_ASSIGN, ticketOwners } from "./ticket_assignment.js";
import { severityPill, statusPill } from "./ticket_badges.js";
import {
  CHANNEL_LABELS, CLOCK_LABELS, label, SEVERITY_LABELS, SEVERITY_RANK, STATUS_LABELS, WORKING_STATES,
} from "./ticket_texts.js";

const CLOCK_KINDS = ["response", "arrival", "resolution"];
const STATUS_GROUPS = {
  open: { text: "All open", test: (t) => t.status !== "archived" },
  working: { text: "Not fixed yet", test: (t) => WORKING_STATES.has(t.status) },
  closing: { text: "Fixed, closing", test: (t) => !WORKING_STATES.has(t.status) && t.status !== "archived" },
  all: { text: "All, archived too", test: () => true },
};
const SORTS = {
  urgency: "Most urgent first",
  severity: "Severity",
  newest: "Newest first",
  oldest: "Oldest first",
};
const FILTER_KEYS = ["status", "severity", "customer", "line", "channel", "owner", "risk", "q", "sort"];

function readFilters() {
  const params = new URLSearchParams(window.location.search);
  const filters = Object.fromEntries(FILTER_KEYS.map((key) => [key, params.get(key) || ""]));
  filters.status = filters.status || "open";
  filters.sort = SORTS[filters.sort] ? filters.sort : "urgency";
  return filters;
}

function writeFilters(filters) {
  const params = new URLSearchParams();
  for (const key of FILTER_KEYS) {
    const value = filters[key];
    if (value && !(key === "status" && value === "open") && !(key === "sort" && value === "urgency")) params.set(key, value);
  }
  const query = params.toString();
  history.replaceState(null, "", `${window.location.pathname}${query ? `?${query}` : ""}`);
}

function statusMatches(ticket, status) {
  if (STATUS_GROUPS[status]) return STATUS_GROUPS[status].test(ticket);
  return ticket.status === status;
}


function matches(ticket, f, ctx, ownerOf) {
  if (!statusMatches(ticket, f.status)) return false;
  if (f.severity && ticket.severity !== f.severity) return false;
  if (f.customer && ticket.customer_id !== f.customer) return false;
  if (f.line && ticket.line_id !== f.line) return false;
  if (f.channel && ticket.channel !== f.channel) return false;
  if (f.owner === "none" && ownerOf(ticket)) return false;
  if (f.owner === "any" && !ownerOf(ticket)) return false;
  if (f.owner === "me" && ownerOf(ticket) !== ctx.me.login) return false;
  if (f.risk === "1" && !isAtRisk(ticket)) return false;
  if (f.q) {
    const found = ctx.machineById(ticket.machine_id);
    const haystack = [ticket.number, ticket.summary, ticket.contact_name, ticket.machine_serial,
      found ? found.machine.name : ticket.machine_id, found ? found.line.name : ticket.line_id]
      .join(" ").toLowerCase();
    if (!haystack.includes(f.q.toLowerCase())) return false;
  }
  return true;
}

const byReceived = (a, b) => new Date(a.received_at) - new Date(b.received_at);
const bySeverity = (a, b) => SEVERITY_RANK[b.severity] - SEVERITY_RANK[a.severity];
// Overdue tickets first, the gravest of them first; then the least time left.
const byUrgency = (a, b) => Number(isBreached(b)) - Number(isBreached(a))
  || (isBreached(a) ? bySeverity(a, b) : 0)
  || urgencySeconds(a) - urgencySeconds(b) || bySeverity(a, b) || byReceived(a, b);
const COMPARE = {
  urgency: byUrgency,
  severity: (a, b) => SEVERITY_RANK[b.severity] - SEVERITY_RANK[a.severity] || urgencySeconds(a) - urgencySeconds(b),
  newest: (a, b) => byReceived(b, a),
  oldest: byReceived,
};

function select(id, text, value, options, onChange) {
  const box = el("select", { id, onchange: (event) => onChange(event.target.value) },
    options.map(([v, t]) => el("option", { value: v }, t)));
  box.value = value;
  return el("label", { class: "filter" }, el("span", {}, text), box);
}

export async function mountTicketQueue(root, ctx) {
  const filters = readFilters();
  const selected = new Set();
  const maySelect = MAY_ASSIGN.has(ctx.me.role);
  let tickets = [];
  let owners = new Map();
  const ownerOf = (ticket) => owners.get(ticket.id)?.owner || null;

  const summary = el("div", { class: "queue-summary", role: "group", "aria-label": "Queue summary" });
  const table = el("div", { class: "queue-table" });
  const bulk = el("div", { class: "bulk-bar", hidden: true });
  const count = el("span", { class: "muted", "aria-live": "polite" });

  const setFilter = (key, value) => { filters[key] = value; writeFilters(filters); render(); };
  const customers = [...new Map(ctx.lines.map((l) => [l.customer.id, l.customer.name])).entries()];
  const search = el("input", {
    type: "search", id: "queue-search", placeholder: "Number, machine, contact…", value: filters.q,
    oninput: (event) => setFilter("q", event.target.value.trim()),
  });
  const riskBox = el("input", { type: "checkbox", id: "queue-risk", onchange: (event) => setFilter("risk", event.target.checked ? "1" : "") });
  riskBox.checked = filters.risk === "1";
  const controls = el("form", { class: "filters", role: "search", "aria-label": "Filter the queue", onsubmit: (event) => event.preventDefault() },
    el("label", { class: "filter grow" }, el("span", {}, "Search"), search),
    select("queue-status", "Status", filters.status, [
      ...Object.entries(STATUS_GROUPS).map(([v, g]) => [v, g.text]),
      ...Object.entries(STATUS_LABELS).map(([v, t]) => [v, t]),
    ], (v) => setFilter("status", v)),
    select("queue-severity", "Severity", filters.severity, [["", "Any"], ...Object.entries(SEVERITY_LABELS).reverse()], (v) => setFilter("severity", v)),
    select("queue-customer", "Customer", filters.customer, [["", "Any"], ...customers], (v) => setFilter("customer", v)),
    select("queue-line", "Line", filters.line, [["", "Any"], ...ctx.lines.map((l) => [l.id, l.name])], (v) => setFilter("line", v)),
    select("queue-channel", "Channel", filters.channel, [["", "Any"], ...Object.entries(CHANNEL_LABELS)], (v) => setFilter("channel", v)),
    select("queue-owner", "Owner", filters.owner, [["", "Anyone or no one"], ["none", "Unassigned"], ["any", "Assigned"], ["me", "Assigned to me"]], (v) => setFilter("owner", v)),
    el("label", { class: "filter check" }, riskBox, el("span", {}, "At risk or overdue only")),
    el("button", { type: "button", class: "btn btn-plain", onclick: () => {
      for (const key of FILTER_KEYS) filters[key] = "";
      filters.status = "open"; filters.sort = "urgency";
      writeFilters(filters);
      window.location.reload();
    } }, "Clear filters"));

  root.replaceChildren(
    el("div", { class: "page-head" },
      el("div", {}, el("h1", {}, "Ticket queue"), count),
      el("div", { class: "head-actions" },
        select("queue-sort", "Sort", filters.sort, Object.entries(SORTS), (v) => setFilter("sort", v)),
        ctx.staff ? el("a", { class: "btn btn-primary btn-inline", href: "/tickets/new" }, "Register a request") : null)),
    summary, controls, bulk, table);


  function tile(text, value, cls, onclick, pressed) {
    return el("button", { type: "button", class: `stat ${cls}`, onclick, "aria-pressed": pressed ? "true" : "false" },
      el("span", { class: "stat-value" }, String(value)), el("span", { class: "stat-label" }, text));
  }

  function renderSummary() {
    const open = tickets.filter((t) => t.status !== "archived");
    const breached = open.filter(isBreached).length;
    const atRisk = open.filter((t) => (t.sla || []).some((c) => c.state === "warning")).length;
    const unclassified = open.filter((t) => t.status === "registered" || t.status === "reopened").length;
    const signOff = open.filter((t) => t.status === "verified").length;
    summary.replaceChildren(
      tile("open tickets", open.length, "", () => { riskBox.checked = false; filters.risk = ""; setFilter("status", "open"); }, filters.status === "open" && !filters.risk),
      tile("overdue", breached, breached ? "stat-breached" : "", () => { riskBox.checked = true; setFilter("risk", "1"); }, false),
      tile("at risk: 80 % of a promise used", atRisk, atRisk ? "stat-warning" : "", () => { riskBox.checked = true; setFilter("risk", "1"); }, filters.risk === "1"),
      tile("to classify", unclassified, "", () => setFilter("status", "registered"), filters.status === "registered"),
      tile("waiting for sign-off", signOff, "", () => setFilter("status", "verified"), filters.status === "verified"));
  }

  function row(ticket) {
    const zone = ctx.zoneOfLine(ticket.line_id);
    const found = ctx.machineById(ticket.machine_id);
    const clocks = new Map((ticket.sla || []).map((c) => [c.kind, c]));
    const checkbox = el("input", {
      type: "checkbox", "aria-label": `Select ${ticket.number}`,
      onchange: (event) => { if (event.target.checked) selected.add(ticket.id); else selected.delete(ticket.id); renderBulk(); },
    });
    checkbox.checked = selected.has(ticket.id);
    const owner = owners.get(ticket.id)?.owner_name || null;
    return el("tr", { class: `${isBreached(ticket) ? "row-breached" : isAtRisk(ticket) ? "row-warning" : ""}${ticket.status === "archived" ? " closed" : ""}` },
      maySelect ? el("td", { class: "select-cell" }, checkbox) : null,
      el("td", { class: "nowrap" },
        el("a", { href: `/tickets/${ticket.id}`, class: "ticket-link" }, ticket.number),
        el("div", { class: "muted small" }, fmtSiteTime(ticket.received_at, zone))),
      el("td", {}, severityPill(ticket.severity)),
      el("td", {}, statusPill(ticket.status),
        ticket.escalated_at ? el("div", {}, el("span", { class: "status-pill stage-alarm", title: `Escalated ${fmtSiteTime(ticket.escalated_at, zone)}` }, "Escalated")) : null),
      el("td", { class: "subject" },
        el("div", { class: "small muted" }, `${ctx.customerName(ticket.customer_id)} · ${found ? `${found.line.name} · ${found.machine.name}` : ticket.machine_id}`),
        el("div", { class: "summary-text", title: ticket.summary }, ticket.summary),
        el("div", { class: "small muted" }, label(CHANNEL_LABELS, ticket.channel))),
      ...CLOCK_KINDS.map((kind) => el("td", { class: "clock-cell" }, clocks.has(kind) ? clockBadge(clocks.get(kind), zone) : el("span", { class: "muted" }, "—"))),
      el("td", { class: owner ? "" : "muted" }, owner || "unassigned"));
  }

  const numberOf = (id) => (tickets.find((t) => t.id === id) || { number: `#${id}` }).number;
  let bar = null;
  async function renderBulk() {
    for (const id of [...selected]) if (!tickets.some((t) => t.id === id)) selected.delete(id);
    bulk.hidden = selected.size === 0;
    if (!selected.size) return;
    if (!bar) {
      const done = (clearOnly) => {
        selected.clear(); bulk.hidden = true; render();
        if (!clearOnly) load().catch(ctx.failed);
      };
      bar = await bulkAssignBar(ctx, () => [...selected], owners, numberOf, done);
      bulk.replaceChildren(...bar.nodes);
    }
    bar.update();
  }

  function render() {
    const shown = tickets.filter((t) => matches(t, filters, ctx, ownerOf)).sort(COMPARE[filters.sort]);
    count.textContent = `${shown.length} of ${tickets.length} tickets shown · times in each site's zone · clocks as of the last update`;
    renderSummary();
    if (!shown.length) {
      table.replaceChildren(el("div", { class: "empty card" }, tickets.length ? "No ticket matches these filters." : "No tickets yet."));
      return;
    }
    const all = !maySelect ? null : el("input", {
      type: "checkbox", "aria-label": "Select all shown tickets",
      onchange: (event) => { for (const t of shown) (event.target.checked ? selected.add(t.id) : selected.delete(t.id)); renderBulk(); render(); },
    });
    if (all) all.checked = shown.every((t) => selected.has(t.id));
    const heads = ["Ticket", "Severity", "Status", "Customer · line · machine · request",
      ...CLOCK_KINDS.map((k) => label(CLOCK_LABELS, k)), "Owner"];
    table.replaceChildren(el("table", { class: "table queue" },
      el("caption", { class: "visually-hidden" }, "Open tickets, most urgent first"),
      el("thead", {}, el("tr", {}, all ? el("th", { class: "select-cell" }, all) : null, heads.map((h) => el("th", { scope: "col" }, h)))),
      el("tbody", {}, shown.map(row))));
  }

  async function load() {
    [tickets, owners] = await Promise.all([apiGet("/tickets", { limit: 500 }), ticketOwners()]);
    render();
    renderBulk();
    ctx.refreshed();
  }

  return { refresh: load };
}
