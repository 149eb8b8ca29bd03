// What the customer does at the end of a ticket: read the service report and sign it
// off, or refuse with a reason (which reopens the ticket); then answer the survey.

import { ApiError, apiGet, apiPost } from "./api_client.js";
import { el } from "./dom.js";
import { fmtSiteTime } from "./plant_time.js";
import { partsTable } from "./service_report_view.js";
import { surveyAnswers, surveyForm } from "./survey_form.js";

function said(title, text) { return text ? [el("dt", {}, title), el("dd", { class: "prewrap" }, text)] : []; }

// The report in the customer's terms: what we found, what we did, what to watch.
function plainReport(report, zone) {
  return el("div", { class: "report-view" },
    el("dl", { class: "record" },
      said("What we found", report.diagnosis),
      said("Cause", report.root_cause),
      said("What we did", report.actions_taken),
      said("How the machine is now", report.state_after),
      el("dt", {}, "Our engineer"), el("dd", {}, `arrived ${fmtSiteTime(report.arrived_at, zone)} · line running again ${fmtSiteTime(report.restored_at, zone)}`),
      said("Still to watch", report.remaining_issues),
      said("Our advice", report.advice)),
    report.parts.length ? el("h3", {}, "Parts we replaced") : null,
    report.parts.length ? partsTable(report.parts.map((p) => ({ ...p, monitored: false }))) : null);
}

function signOffPanel(ticket, state, ctx, reload) {
  const zone = ctx.zoneOfLine(ticket.line_id);
  const reason = el("textarea", { id: "refuse-reason", rows: 3, maxlength: 4000, placeholder: "What is still wrong?" });
  const comments = el("input", { id: "sign-comments", type: "text", maxlength: 4000, placeholder: "Optional" });
  for (const input of [reason, comments]) input.addEventListener("input", () => { if (input.value) input.dataset.dirty = "1"; else delete input.dataset.dirty; });
  const message = el("div", { "aria-live": "assertive" });
  async function answer(accepted) {
    if (!accepted && !reason.value.trim()) {
      message.replaceChildren(el("div", { class: "refusal", role: "alert" }, "Please tell us what is still wrong."));
      reason.focus();
      return;
    }
    try {
      await apiPost(`/tickets/${ticket.id}/sign-off`, { accepted, comments: comments.value.trim(), reason: reason.value.trim() });
      delete reason.dataset.dirty; delete comments.dataset.dirty;
      ctx.toast(accepted ? "Thank you: signed off" : "We have reopened your request");
      reload();
    } catch (err) {
      if (!(err instanceof ApiError)) { ctx.failed(err); return; }
      message.replaceChildren(el("div", { class: "refusal", role: "alert" }, err.message));
    }
  }
  return el("section", { class: "card sign-off", "aria-labelledby": "sign-off-title" },
    el("h2", { class: "card-title", id: "sign-off-title" }, "Our service report: is the problem solved?"),
    state.report ? plainReport(state.report, zone) : null,
    el("p", {}, "Please confirm that the machine works as it should. If it does not, tell us what is still wrong and we reopen your request at once."),
    el("label", { for: "sign-comments", class: "field-label" }, "Comments"), comments,
    el("div", { class: "move-buttons" },
      el("button", { type: "button", class: "btn btn-primary btn-inline", onclick: () => answer(true) }, "Yes, sign off")),
    el("label", { for: "refuse-reason", class: "field-label" }, "No, something is still wrong:"),
    reason,
    el("div", { class: "move-buttons" },
      el("button", { type: "button", class: "btn btn-secondary", onclick: () => answer(false) }, "Refuse and reopen")),
    message);
}

function reportPanel(ticket, state, ctx) {
  const zone = ctx.zoneOfLine(ticket.line_id);
  const signed = state.sign_offs.filter((s) => s.accepted).pop();
  return el("details", { class: "card" },
    el("summary", {}, "Our service report", signed ? ` · signed off ${fmtSiteTime(signed.at, zone)}` : ""),
    plainReport(state.report, zone));
}

export async function customerClosurePanels(ticket, ctx, reload) {
  const [state, after] = await Promise.all([
    apiGet(`/tickets/${ticket.id}/report`), apiGet(`/tickets/${ticket.id}/survey`),
  ]);
  const panels = [];
  if (state.sign_off_requested && ticket.allowed_next.includes("signed_off")) panels.push(signOffPanel(ticket, state, ctx, reload));
  else if (state.report) panels.push(reportPanel(ticket, state, ctx));
  if (["signed_off", "survey"].includes(ticket.status) && !after.survey) {
    panels.push(el("section", { class: "card sign-off", "aria-labelledby": "survey-title" },
      el("h2", { class: "card-title", id: "survey-title" }, "How did we do?"),
      el("p", { class: "muted" }, "Five quick ratings help us serve your lines better."),
      surveyForm(ticket, ctx, reload, { submitText: "Send my answers" })));
  }
  if (after.survey) {
    panels.push(el("details", { class: "card" }, el("summary", {}, "Your survey answers: thank you"), surveyAnswers(after.survey)));
  }
  return panels;
}
