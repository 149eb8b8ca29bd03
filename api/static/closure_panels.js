// Closing a ticket, as the service staff do it: the sign-off recorded for the customer,
// the callback, the survey, and the root cause analysis required before archiving a
// major or repeated fault.

import { ApiError, apiGet, apiPost, apiPut, newIdempotencyKey } from "./api_client.js";
import { el } from "./dom.js";
import { fmtSiteTime } from "./plant_time.js";
import { surveyAnswers, surveyForm } from "./survey_form.js";

const CALLBACK_IN = new Set(["repaired", "resolved_remotely", "verified", "signed_off", "survey", "reviewed", "complaint"]);
const MAY_CALL_BACK = new Set(["desk", "support", "admin"]);
const MAY_RECORD_FOR_CUSTOMER = new Set(["desk", "admin"]);
const MAY_ANALYSE = new Set(["desk", "support", "admin"]);
const FIXED = new Set(["repaired", "resolved_remotely", "verified", "signed_off", "survey", "reviewed", "complaint"]);

function errorBox(box, err, ctx) {
  if (!(err instanceof ApiError)) { ctx.failed(err); return; }
  box.replaceChildren(el("div", { class: "refusal", role: "alert" }, el("strong", {}, "Not saved. "), err.message));
}

function dirtyOnInput(form) {
  form.addEventListener("input", () => { form.dataset.dirty = "1"; });
  return form;
}

// The desk records the customer's answer given by phone or on paper.
function signOffForCustomer(ticket, ctx, reload) {
  const signer = el("input", { id: "so-signer", type: "text", maxlength: 200, required: true, value: ticket.contact_name || "" });
  const reason = el("input", { id: "so-reason", type: "text", maxlength: 4000 });
  const comments = el("input", { id: "so-comments", type: "text", maxlength: 4000 });
  const message = el("div", { "aria-live": "assertive" });
  const send = async (accepted) => {
    try {
      await apiPost(`/tickets/${ticket.id}/sign-off`, {
        accepted, signer_name: signer.value.trim(), reason: reason.value.trim(), comments: comments.value.trim(),
      });
      ctx.toast(accepted ? "Sign-off recorded" : "Refusal recorded: the ticket is reopened");
      reload();
    } catch (err) { errorBox(message, err, ctx); }
  };
  return dirtyOnInput(el("form", { class: "inline-form", onsubmit: (e) => e.preventDefault() },
    el("h3", {}, "Record the customer's sign-off"),
    el("div", { class: "form-grid" },
      el("div", { class: "form-field" }, el("label", { for: "so-signer" }, "Signed by"), signer),
      el("div", { class: "form-field" }, el("label", { for: "so-comments" }, "Comments"), comments),
      el("div", { class: "form-field" }, el("label", { for: "so-reason" }, "Reason, if refused"), reason)),
    el("div", { class: "move-buttons" },
      el("button", { type: "button", class: "btn btn-primary btn-inline", onclick: () => send(true) }, "Customer signed off"),
      el("button", { type: "button", class: "btn btn-secondary", onclick: () => send(false) }, "Customer refused")),
    message));
}

function callbackForm(ticket, ctx, reload) {
  const key = newIdempotencyKey();
  const contact = el("input", { id: "cb-contact", type: "text", maxlength: 200, value: ticket.contact_name || "" });
  const notes = el("input", { id: "cb-notes", type: "text", maxlength: 4000 });
  const message = el("div", { "aria-live": "assertive" });
  const send = async (gone) => {
    try {
      await apiPost(`/tickets/${ticket.id}/callbacks`, { contact_name: contact.value.trim(), problem_gone: gone, notes: notes.value.trim() }, { idempotencyKey: key });
      ctx.toast("Callback recorded");
      reload();
    } catch (err) { errorBox(message, err, ctx); }
  };
  return dirtyOnInput(el("form", { class: "inline-form", onsubmit: (e) => e.preventDefault() },
    el("h3", {}, "Record a callback"),
    el("div", { class: "form-grid" },
      el("div", { class: "form-field" }, el("label", { for: "cb-contact" }, "Spoke to"), contact),
      el("div", { class: "form-field" }, el("label", { for: "cb-notes" }, "Notes"), notes)),
    el("div", { class: "move-buttons" },
      el("button", { type: "button", class: "btn btn-primary btn-inline", onclick: () => send(true) }, "Problem is gone"),
      el("button", { type: "button", class: "btn btn-secondary", onclick: () => send(false) }, "Problem is still there")),
    message));
}

async function afterVisitPanel(ticket, ctx, reload) {
  const callbacks = CALLBACK_IN.has(ticket.status) && MAY_CALL_BACK.has(ctx.me.role);
  const signOff = ticket.status === "verified" && MAY_RECORD_FOR_CUSTOMER.has(ctx.me.role);
  const after = await apiGet(`/tickets/${ticket.id}/survey`);
  const surveyOpen = ["signed_off", "survey"].includes(ticket.status) && !after.survey && MAY_RECORD_FOR_CUSTOMER.has(ctx.me.role);
  if (!callbacks && !signOff && !after.survey && !after.callbacks.length && !surveyOpen) return null;
  const zone = ctx.zoneOfLine(ticket.line_id);
  return el("section", { class: "card", "aria-labelledby": `after-${ticket.id}` },
    el("h2", { class: "card-title", id: `after-${ticket.id}` }, "Sign-off, callback and survey"),
    signOff ? signOffForCustomer(ticket, ctx, reload) : null,
    after.callbacks.length ? el("ul", { class: "plain-list" }, after.callbacks.map((c) => el("li", {},
      el("strong", {}, c.problem_gone ? "✓ Problem gone" : "✖ Problem still there"),
      ` · ${fmtSiteTime(c.called_at, zone)} · ${c.called_by_name || c.called_by} spoke to ${c.contact_name || "the customer"}`,
      c.notes ? el("div", { class: "muted" }, c.notes) : null))) : null,
    callbacks ? callbackForm(ticket, ctx, reload) : null,
    after.survey ? el("div", {}, el("h3", {}, `Survey · ${fmtSiteTime(after.survey.answered_at, zone)}${after.survey.on_behalf ? ` · recorded by ${after.survey.recorded_by_name || after.survey.recorded_by}` : ""}`), surveyAnswers(after.survey)) : null,
    surveyOpen ? el("div", {}, el("h3", {}, "Record the survey answers from the call"), surveyForm(ticket, ctx, reload, { submitText: "Record the answers" })) : null);
}

function actionRows(kind, items) {
  const box = el("div", { class: "rows" });
  const add = (a, i) => {
    const row = el("fieldset", { class: "row-fields" },
      el("legend", { class: "visually-hidden" }, `${kind} action`),
      el("label", {}, "Action", el("input", { "data-key": "action", value: a.action || "", maxlength: 2000 })),
      el("label", {}, "Owner", el("input", { "data-key": "owner", value: a.owner || "", maxlength: 200 })),
      el("label", { class: "narrow-field" }, "Due (YYYY-MM-DD)", el("input", { "data-key": "due_on", value: a.due_on || "", pattern: "\\d{4}-\\d{2}-\\d{2}", inputmode: "numeric" })),
      el("button", { type: "button", class: "btn btn-plain", onclick: () => row.remove() }, "Remove"));
    box.append(row);
  };
  (items.length ? items : [{}]).forEach(add);
  return { box, add: () => add({}), values: () => [...box.querySelectorAll("fieldset")].map((row) => {
    const value = (k) => row.querySelector(`[data-key="${k}"]`).value.trim();
    return { action: value("action"), owner: value("owner"), due_on: value("due_on") || null };
  }).filter((a) => a.action) };
}

async function rcaPanel(ticket, ctx, reload) {
  if (!MAY_ANALYSE.has(ctx.me.role)) return null;
  const state = await apiGet(`/tickets/${ticket.id}/rca`);
  if (!state.required && !state.rca) return null;
  const rca = state.rca || { root_cause: "", method: "", corrective_actions: [], preventive_actions: [] };
  const cause = el("textarea", { id: "rca-cause", rows: 3, maxlength: 8000 });
  cause.value = rca.root_cause;
  const method = el("input", { id: "rca-method", type: "text", maxlength: 200, value: rca.method, placeholder: "e.g. 5 whys, fishbone" });
  const corrective = actionRows("Corrective", rca.corrective_actions);
  const preventive = actionRows("Preventive", rca.preventive_actions);
  const message = el("div", { "aria-live": "assertive" });
  const form = dirtyOnInput(el("form", { class: "rca-form" },
    el("div", { class: "form-field" }, el("label", { for: "rca-cause" }, "Root cause"), cause),
    el("div", { class: "form-field" }, el("label", { for: "rca-method" }, "Method"), method),
    el("h3", {}, "Corrective actions"), corrective.box,
    el("button", { type: "button", class: "btn btn-secondary", onclick: corrective.add }, "Add a corrective action"),
    el("h3", {}, "Preventive actions"), preventive.box,
    el("button", { type: "button", class: "btn btn-secondary", onclick: preventive.add }, "Add a preventive action"),
    message,
    el("div", { class: "move-buttons" }, el("button", { type: "submit", class: "btn btn-primary btn-inline" }, "Save the analysis"))));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    try {
      await apiPut(`/tickets/${ticket.id}/rca`, {
        root_cause: cause.value.trim(), method: method.value.trim(),
        corrective_actions: corrective.values(), preventive_actions: preventive.values(),
      });
      delete form.dataset.dirty;
      ctx.toast("Root cause analysis saved");
      reload();
    } catch (err) { errorBox(message, err, ctx); }
  });
  const zone = ctx.zoneOfLine(ticket.line_id);
  return el("section", { class: "card", "aria-labelledby": `rca-${ticket.id}` },
    el("h2", { class: "card-title", id: `rca-${ticket.id}` }, "Root cause analysis"),
    state.required ? el("p", { class: state.blocks_archive ? "awaiting" : "approved" },
      state.blocks_archive ? "⚠ Required before archiving: " : "✓ Required, and recorded: ", state.reasons.join("; ")) : null,
    state.rca ? el("p", { class: "muted small" }, `Recorded by ${state.rca.analysed_by}, ${fmtSiteTime(state.rca.analysed_at, zone)}`) : null,
    // Before the fault is fixed the analysis is a reminder; the form opens on demand.
    FIXED.has(ticket.status) || state.rca ? form : el("details", {}, el("summary", {}, "Start the analysis now"), form));
}

export async function closurePanels(ticket, ctx, reload) {
  return Promise.all([afterVisitPanel(ticket, ctx, reload), rcaPanel(ticket, ctx, reload)]);
}
