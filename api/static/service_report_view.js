// A filed service report as people read it, and its panel on the ticket page: the newest
// version, the customer's sign-offs, and the form to file or revise it while allowed.

import { apiGet } from "./api_client.js";
import { el, fmtNumber } from "./dom.js";
import { checklistView } from "./job_checklist.js";
import { fmtSiteTime } from "./plant_time.js";
import { serviceReportForm } from "./service_report_form.js";
import { humanize } from "./ticket_texts.js";

const MAY_FILE = new Set(["field_engineer", "support", "desk", "admin"]);

function section(title, text) {
  return text ? [el("dt", {}, title), el("dd", { class: "prewrap" }, text)] : [];
}

// What came out of the machine: the removed serial and why it failed.
function removedText(p) {
  if (!p.removed_serial && !p.failure_reason) return "—";
  return [p.removed_serial ? `S/N ${p.removed_serial}` : "", p.failure_reason].filter(Boolean).join(": ");
}

// Where the stock went: the store the part was issued from, and the removed unit's way back.
function storesText(p) {
  const parts = [];
  if (p.issued_from) parts.push(`issued from ${p.issued_from}`);
  if (p.returned_to) parts.push(`removed unit back to ${p.returned_to}`);
  if (p.scrapped) parts.push("removed unit scrapped");
  return parts.join(" · ") || "—";
}

// `stores`: show the stock movements too (staff); customers read what was fitted and removed.
export function partsTable(parts, { stores = false } = {}) {
  if (!parts.length) return el("p", { class: "muted" }, "No parts replaced.");
  const heads = ["Part number", "Serial fitted", "Qty", "Position", "Removed", stores ? "Stock" : null, ""].filter((h) => h !== null);
  return el("table", { class: "table parts-table" },
    el("thead", {}, el("tr", {}, heads.map((h) => el("th", { class: h === "Qty" ? "num" : "" }, h)))),
    el("tbody", {}, parts.map((p) => el("tr", {},
      el("td", {}, p.part_number), el("td", {}, p.serial || "—"), el("td", { class: "num" }, p.quantity),
      el("td", {}, p.position || "—"), el("td", {}, removedText(p)),
      stores ? el("td", { class: "small" }, storesText(p)) : null,
      el("td", { class: "muted small" }, p.monitored ? "monitored: the detector learns its new normal" : "")))));
}

function measurementsTable(measurements) {
  if (!measurements.length) return null;
  return el("table", { class: "table" },
    el("thead", {}, el("tr", {}, el("th", {}, "Measurement"), el("th", { class: "num" }, "Value"))),
    el("tbody", {}, measurements.map((m) => el("tr", {}, el("td", {}, m.name), el("td", { class: "num" }, `${fmtNumber(m.value)} ${m.unit}`)))));
}

// `checklist` (GET /api/tickets/{id}/checklist), if given, shows the maintenance checklist
// as answered, under the report it belongs to.
export function reportView(report, zone, { checklist = null } = {}) {
  return el("div", { class: "report-view" },
    el("p", { class: "muted small" }, `Version ${report.version} · filed ${fmtSiteTime(report.filed_at, zone)} by ${report.filed_by_name || report.filed_by}`),
    el("dl", { class: "record" },
      section("Symptoms", report.symptoms),
      section("Diagnosis", report.diagnosis),
      section("Root cause", report.root_cause),
      section("Actions taken", report.actions_taken),
      section("State before", report.state_before),
      section("State after", report.state_after),
      el("dt", {}, "Times"),
      el("dd", {}, `Failure ${fmtSiteTime(report.failure_at, zone)} · arrived ${fmtSiteTime(report.arrived_at, zone)} · restored ${fmtSiteTime(report.restored_at, zone)}`),
      section("Remaining issues", report.remaining_issues),
      section("Advice", report.advice)),
    el("h3", {}, "Parts replaced"), partsTable(report.parts, { stores: true }),
    report.measurements.length ? el("h3", {}, "Key measurements") : null, measurementsTable(report.measurements),
    checklist && checklist.tasks.length ? [el("h3", {}, "Maintenance checklist"), checklistView(checklist, zone)] : null);
}

export function signOffList(signOffs, zone) {
  if (!signOffs.length) return null;
  return el("ul", { class: "sign-offs" }, signOffs.map((s) => el("li", { class: s.accepted ? "accepted" : "refused" },
    el("strong", {}, s.accepted ? "✓ Signed off" : "✖ Refused"),
    ` · version ${s.report_version} · ${fmtSiteTime(s.at, zone)} · ${s.signer_name || s.recorded_by_name || s.recorded_by}${s.on_behalf ? ` (recorded by ${s.recorded_by_name || s.recorded_by})` : ""}`,
    s.reason ? el("div", {}, `Reason: ${s.reason}`) : null,
    s.comments ? el("div", { class: "muted" }, `Comments: ${s.comments}`) : null)));
}

// The panel on the staff ticket page; null before any work has begun and nothing is filed.
export async function serviceReportPanel(ticket, ctx, reload) {
  const [state, checklist] = await Promise.all([
    apiGet(`/tickets/${ticket.id}/report`),
    // Only a ticket a maintenance plan opened has one; the panel stands without it.
    ticket.ticket_type === "preventive_maintenance" || ticket.channel === "maintenance_plan"
      ? apiGet(`/tickets/${ticket.id}/checklist`).catch(() => null) : null,
  ]);
  const hasChecklist = Boolean(checklist && checklist.tasks.length);
  const zone = ctx.zoneOfLine(ticket.line_id);
  const mayFile = MAY_FILE.has(ctx.me.role) && state.editable;
  if (!state.report && !mayFile && !hasChecklist) return null;
  const body = el("div");
  // Opened on purpose, the form stays through the page's refreshes even before any typing.
  const showForm = (opened) => {
    const form = serviceReportForm(ticket, state.report, ctx, () => reload(), { onCancel: opened ? () => reload() : null });
    if (opened) form.dataset.dirty = "1";
    body.replaceChildren(form);
  };
  const head = el("div", { class: "card-head" },
    el("h2", { class: "card-title", id: `report-${ticket.id}` }, "Service report"),
    el("span", { class: "muted small" }, state.versions ? `${state.versions} version${state.versions > 1 ? "s" : ""}` : "not filed yet"));
  if (state.report) {
    body.append(reportView(state.report, zone, { checklist }));
    if (mayFile) body.append(el("button", { type: "button", class: "btn btn-secondary", onclick: () => showForm(true) }, "Revise the report"));
  } else if (ctx.me.role === "field_engineer") {
    showForm(false);
  } else {
    body.append(el("button", { type: "button", class: "btn btn-secondary", onclick: () => showForm(true) }, "File the service report"));
  }
  return el("section", { class: "card", "aria-labelledby": `report-${ticket.id}` },
    head,
    state.sign_off_requested ? el("p", { class: "awaiting" }, "Waiting for the customer's sign-off.") : null,
    hasChecklist && !state.report ? [el("h3", {}, "Maintenance checklist"), checklistView(checklist, zone),
      checklist.may_answer && ctx.me.role === "field_engineer" ? el("p", {}, el("a", { href: "/my-jobs" }, "Answer the checklist on My jobs")) : null] : null,
    !state.editable && state.not_editable_because && state.report ? el("p", { class: "muted small" }, `Locked: ${humanize(state.not_editable_because)}.`) : null,
    body,
    signOffList(state.sign_offs, zone));
}
