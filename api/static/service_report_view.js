// A filed service report as people read it, and its panel on the ticket page: the newest
// version, the customer's sign-offs, and the form to file or revise it while allowed.

import { apiGet } from "./api_client.js";
import { el, fmtNumber } from "./dom.js";
import { fmtSiteTime } from "./plant_time.js";
import { serviceReportForm } from "./service_report_form.js";
import { humanize } from "./ticket_texts.js";

const MAY_FILE = new Set(["field_engineer", "support", "desk", "admin"]);

function section(title, text) {
  return text ? [el("dt", {}, title), el("dd", { class: "prewrap" }, text)] : [];
}

export function partsTable(parts) {
  if (!parts.length) return el("p", { class: "muted" }, "No parts replaced.");
  return el("table", { class: "table" },
    el("thead", {}, el("tr", {}, ["Part number", "Serial", "Qty", "Position", ""].map((h, i) => el("th", { class: i === 2 ? "num" : "" }, h)))),
    el("tbody", {}, parts.map((p) => el("tr", {},
      el("td", {}, p.part_number), el("td", {}, p.serial || "—"), el("td", { class: "num" }, p.quantity),
      el("td", {}, p.position || "—"), el("td", { class: "muted small" }, p.monitored ? "monitored: the detector learns its new normal" : "")))));
}

function measurementsTable(measurements) {
  if (!measurements.length) return null;
  return el("table", { class: "table" },
    el("thead", {}, el("tr", {}, el("th", {}, "Measurement"), el("th", { class: "num" }, "Value"))),
    el("tbody", {}, measurements.map((m) => el("tr", {}, el("td", {}, m.name), el("td", { class: "num" }, `${fmtNumber(m.value)} ${m.unit}`)))));
}

export function reportView(report, zone) {
  return el("div", { class: "report-view" },
    el("p", { class: "muted small" }, `Version ${report.version} · filed ${fmtSiteTime(report.filed_at, zone)} by ${report.filed_by}`),
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
    el("h3", {}, "Parts replaced"), partsTable(report.parts),
    report.measurements.length ? el("h3", {}, "Key measurements") : null, measurementsTable(report.measurements));
}

export function signOffList(signOffs, zone) {
  if (!signOffs.length) return null;
  return el("ul", { class: "sign-offs" }, signOffs.map((s) => el("li", { class: s.accepted ? "accepted" : "refused" },
    el("strong", {}, s.accepted ? "✓ Signed off" : "✖ Refused"),
    ` · version ${s.report_version} · ${fmtSiteTime(s.at, zone)} · ${s.signer_name || s.recorded_by}${s.on_behalf ? ` (recorded by ${s.recorded_by})` : ""}`,
    s.reason ? el("div", {}, `Reason: ${s.reason}`) : null,
    s.comments ? el("div", { class: "muted" }, `Comments: ${s.comments}`) : null)));
}

// The panel on the staff ticket page; null before any work has begun and nothing is filed.
export async function serviceReportPanel(ticket, ctx, reload) {
  const state = await apiGet(`/tickets/${ticket.id}/report`);
  const zone = ctx.zoneOfLine(ticket.line_id);
  const mayFile = MAY_FILE.has(ctx.me.role) && state.editable;
  if (!state.report && !mayFile) return null;
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
    body.append(reportView(state.report, zone));
    if (mayFile) body.append(el("button", { type: "button", class: "btn btn-secondary", onclick: () => showForm(true) }, "Revise the report"));
  } else if (ctx.me.role === "field_engineer") {
    showForm(false);
  } else {
    body.append(el("button", { type: "button", class: "btn btn-secondary", onclick: () => showForm(true) }, "File the service report"));
  }
  return el("section", { class: "card", "aria-labelledby": `report-${ticket.id}` },
    head,
    state.sign_off_requested ? el("p", { class: "awaiting" }, "Waiting for the customer's sign-off.") : null,
    !state.editable && state.not_editable_because && state.report ? el("p", { class: "muted small" }, `Locked: ${humanize(state.not_editable_because)}.`) : null,
    body,
    signOffList(state.sign_offs, zone));
}
