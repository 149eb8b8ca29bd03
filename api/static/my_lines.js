// A customer's "My lines": each of their lines as a plant manager reads it. Is it running,
// is its data arriving, how is the current shift going (said to be in progress), which of
// our requests are open (in plain words), and where the OEE report is. No anomaly scores,
// no PLC counters, no data-quality codes: those are the service team's.

import { $, el, fmtPct } from "./dom.js";
import { fmtPlantTime, zoneAbbreviation } from "./plant_time.js";
import { plainRequest } from "./customer_tickets.js";
import { customerStatus } from "./ticket_texts.js";

const RUNNING_STATE = 6;
// Samples this much older than the newest of the customer's data are no longer "arriving".
const ARRIVING_MS = 5 * 60 * 1000;
const CLOSED = new Set(["archived"]);

function capitalized(text) { return text.charAt(0).toUpperCase() + text.slice(1); }

function stateTone(machine) {
  if (!machine.state) return "none";
  return machine.state.code === RUNNING_STATE ? "running" : "stopped";
}

// The machine in a few words: its state, or whether its data arrives at all.
function machineWords(machine, connection, plantTime, zone) {
  if (connection && connection.status === "offline") {
    return `not connected since ${fmtPlantTime(connection.since, zone)}`;
  }
  if (!machine.last_sample_at) return "no data yet";
  const behind = plantTime ? Date.parse(plantTime) - Date.parse(machine.last_sample_at) : 0;
  if (behind > ARRIVING_MS) return `no data since ${fmtPlantTime(machine.last_sample_at, zone)}`;
  return machine.state ? capitalized(machine.state.name) : "data arriving";
}

function machineItem(machine, ctx, zone) {
  const words = machineWords(machine, ctx.status.get(machine.id), ctx.plantTime, zone);
  return el("li", { class: `my-machine m-${stateTone(machine)}` },
    el("i", { class: "dot", "aria-hidden": "true" }),
    el("span", { class: "name" }, machine.name), " ",
    el("span", { class: "muted" }, words));
}

// Running machines of the line, in one sentence.
function lineHeadline(line) {
  if (!line.machines.some((m) => m.state)) return "Machine states not reported yet";
  const running = line.machines.filter((m) => m.state && m.state.code === RUNNING_STATE).length;
  if (running === line.machines.length) return "All machines running";
  return `${running} of ${line.machines.length} machines running`;
}

// The newest shift's OEE, and its parts; a shift still running is said to be one.
function shiftBox(oee, zone) {
  const shift = (oee && oee.shifts.find((s) => s.line)) || null;
  if (!shift) return el("div", { class: "my-oee muted" }, "No OEE figures for this line in the last 24 hours of data.");
  const figures = shift.line;
  const name = `${capitalized(shift.shift_name)} shift`;
  const when = shift.in_progress
    ? `${fmtPlantTime(shift.shift_start, zone, { date: false })} – ${fmtPlantTime(shift.shift_end, zone, { date: false })}, counted to ${fmtPlantTime(shift.counted_until, zone, { date: false })}`
    : `${fmtPlantTime(shift.shift_start, zone)} – ${fmtPlantTime(shift.shift_end, zone, { date: false })}`;
  const part = (label, value) => el("span", {}, `${label} `, el("strong", {}, fmtPct(value)));
  const flagged = figures.performance_flagged;
  return el("div", { class: "my-oee" },
    el("div", { class: "muted small" }, `OEE · ${name}`, shift.in_progress ? el("span", { class: "pill-progress" }, "in progress") : null),
    el("div", { class: "my-oee-value" }, flagged ? "being checked" : fmtPct(figures.oee)),
    el("div", { class: "muted small" }, when),
    flagged
      ? el("div", { class: "small" }, "Our team is checking this shift's counts; the figure follows.")
      : el("div", { class: "my-oee-parts small" }, part("Availability", figures.availability), part("Performance", figures.performance), part("Quality", figures.quality)));
}

function requestItem(ticket, ctx) {
  return el("li", {},
    el("a", { href: `/tickets/${ticket.id}`, class: "ticket-link" }, ticket.number), " ",
    el("span", { class: "my-status" }, customerStatus(ticket.status)),
    el("div", { class: "muted small" }, plainRequest(ticket, ctx)));
}

function lineCard(line, oee, tickets, ctx) {
  const zone = line.site.timezone;
  const open = tickets.filter((t) => t.line_id === line.id && !CLOSED.has(t.status));
  return el("section", { class: "card my-line", "aria-labelledby": `line-${line.id}` },
    el("div", { class: "my-line-head" },
      el("div", {},
        el("h2", { id: `line-${line.id}` }, line.name),
        el("div", { class: "muted small" }, `${line.site.name} · ${line.model} · S/N ${line.serial}`)),
      el("a", { class: "my-report-link", href: `/report?line=${encodeURIComponent(line.id)}` }, "OEE report")),
    el("div", { class: "my-line-body" },
      el("div", {},
        el("h3", {}, lineHeadline(line)),
        el("ul", { class: "my-machines" }, line.machines.map((m) => machineItem(m, ctx, zone)))),
      shiftBox(oee, zone),
      el("div", {},
        el("h3", {}, open.length ? `Your open requests (${open.length})` : "No open requests"),
        open.length ? el("ul", { class: "my-requests" }, open.map((t) => requestItem(t, ctx))) : null)));
}

// Draws every line of the customer into #my-lines; `api` is the console's GET.
export async function renderMyLines(api, lines, status, plantTime) {
  const [oees, tickets] = await Promise.all([
    Promise.all(lines.map((line) => api("/oee", { line_id: line.id }).catch(() => null))),
    api("/tickets", { limit: 100 }).catch(() => []),
  ]);
  const machines = new Map(lines.flatMap((line) => line.machines.map((machine) => [machine.id, { machine, line }])));
  const ctx = { status, plantTime, machineById: (id) => machines.get(id) || null };
  const zone = lines.length ? lines[0].site.timezone : "UTC";
  $("my-lines-sub").textContent = plantTime
    ? `Newest data ${fmtPlantTime(plantTime, zone)} ${zoneAbbreviation(zone, plantTime)}`
    : "No data from your lines yet.";
  $("my-lines-list").replaceChildren(...lines.map((line, i) => lineCard(line, oees[i], tickets, ctx)));
}
