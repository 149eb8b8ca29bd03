// A ticket's registration record (DOMAIN.md, "Service request intake") and its request,
// as the service staff read them.

import { el } from "./dom.js";
import { fmtSiteTime } from "./plant_time.js";
import { signalLabel } from "./signal_labels.js";
import { CHANNEL_LABELS, label, TYPE_LABELS } from "./ticket_texts.js";

function row(term, ...value) {
  return [el("dt", {}, term), el("dd", {}, ...value)];
}

function contactLinks(ticket) {
  return [
    ticket.contact_name || "—",
    ticket.contact_phone ? el("div", {}, el("a", { href: `tel:${ticket.contact_phone}` }, ticket.contact_phone)) : null,
    ticket.contact_email ? el("div", {}, el("a", { href: `mailto:${ticket.contact_email}` }, ticket.contact_email)) : null,
  ];
}

// `owner`: who at the desk owns the ticket (null: not shown to this role).
// The machine on the monitoring page, with the ticket's first signal in its trend.
function trendLink(ticket) {
  const params = new URLSearchParams({ machine: ticket.machine_id });
  if (ticket.signals.length) { params.set("signal", ticket.signals[0]); params.set("hours", "8"); }
  return `/?${params}`;
}

export function registrationPanel(ticket, ctx, owner) {
  const zone = ctx.zoneOfLine(ticket.line_id);
  const found = ctx.machineById(ticket.machine_id);
  const line = ctx.lineById(ticket.line_id);
  const warranty = ticket.under_warranty ? "Under warranty: parts and labour free" : "Outside warranty: billable";
  return el("section", { class: "card", "aria-labelledby": `record-${ticket.id}` },
    el("h2", { class: "card-title", id: `record-${ticket.id}` }, "Registration record"),
    el("dl", { class: "record" },
      row("Customer", ctx.customerName(ticket.customer_id)),
      row("Contact", ...contactLinks(ticket)),
      row("Contract", ticket.contract_number || "—"),
      row("Line", line ? `${line.name} · ${line.model} · S/N ${line.serial}` : ticket.line_id,
        line ? el("div", { class: "muted small" }, line.site.name) : null),
      row("Machine", found ? found.machine.name : ticket.machine_id,
        el("div", { class: "muted small" }, `${ticket.machine_model} · S/N ${ticket.machine_serial}`),
        el("div", {}, el("a", { href: trendLink(ticket) }, "Live values and trends"))),
      row("Type", label(TYPE_LABELS, ticket.ticket_type)),
      row("Channel", label(CHANNEL_LABELS, ticket.channel), ticket.alert_id ? el("span", { class: "muted small" }, ` · alert #${ticket.alert_id}`) : null),
      row("Received", fmtSiteTime(ticket.received_at, zone)),
      row("Expected resolution", ticket.expected_resolution ? fmtSiteTime(ticket.expected_resolution, zone) : "not stated"),
      row("Warranty", warranty, ticket.warranty_override_reason ? el("div", { class: "muted small" }, `Set by hand: ${ticket.warranty_override_reason}`) : null),
      row("Special requirements", ticket.special_requirements || "none"),
      row("Registered by", ticket.created_by_name || "LineCare (automatic warning)"),
      owner ? row("Owner", owner) : [],
      ticket.signals.length ? row("Signals", ticket.signals.map((s) => el("span", { class: "chip" }, signalLabel(s)))) : []));
}

export function requestPanel(ticket) {
  return el("section", { class: "card", "aria-labelledby": `request-${ticket.id}` },
    el("h2", { class: "card-title", id: `request-${ticket.id}` }, "Request"),
    el("p", { class: "request-summary" }, ticket.summary),
    ticket.symptoms ? el("div", { class: "symptoms" }, ticket.symptoms) : el("p", { class: "muted" }, "No symptoms described."));
}
