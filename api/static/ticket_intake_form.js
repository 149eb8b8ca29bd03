// Registering a service request (POST /api/tickets): the desk from a call, an e-mail or a
// message; a customer from the portal. The server completes the record (number, contract,
// warranty, deadlines) and answers with the confirmation read back to the customer.

import { ApiError, apiPost, newIdempotencyKey } from "./api_client.js";
import { el } from "./dom.js";
import { parseSiteTime, zoneAbbreviation } from "./plant_time.js";
import { CHANNEL_LABELS, SEVERITY_LABELS, TYPE_LABELS } from "./ticket_texts.js";

const DESK_CHANNELS = ["hotline", "email", "messaging", "web_portal"];
const CUSTOMER_TYPES = ["general_fault", "emergency_repair", "preventive_maintenance", "consultation", "spare_part", "training"];
const CUSTOMER_SEVERITY = {
  minor: "Minor: no production impact, or a workaround exists",
  general: "Degraded: slower, or quality loss at one station",
  serious: "Line stopped, or a safety function affected",
  major: "Several lines stopped, or a safety incident",
};

function field(id, text, control, hint) {
  return el("div", { class: "form-field" },
    el("label", { for: id }, text), control,
    hint ? el("div", { class: "muted small", id: `${id}-hint` }, hint) : null);
}

function options(entries) { return entries.map(([value, text]) => el("option", { value }, text)); }

export function mountIntakeForm(root, ctx) {
  const customer = ctx.me.role === "customer";
  // One key per form: a double click or a retry after a lost answer registers once.
  const key = newIdempotencyKey();
  const line = el("select", { id: "in-line", required: true }, options(ctx.lines.map((l) => [l.id, `${l.name} · ${l.customer.name}`])));
  const machine = el("select", { id: "in-machine", required: true });
  const zone = () => ctx.zoneOfLine(line.value);
  const fillMachines = () => {
    const chosen = ctx.lineById(line.value);
    machine.replaceChildren(...options((chosen ? chosen.machines : []).map((m) => [m.id, `${m.name} · ${m.model} · S/N ${m.serial}`])));
    receivedHint.textContent = `Site time, ${zoneAbbreviation(zone())} (${zone()}), as YYYY-MM-DD HH:MM. Empty: now.`;
  };
  line.addEventListener("change", fillMachines);
  const receivedHint = el("span");
  const channel = el("select", { id: "in-channel" }, options(DESK_CHANNELS.map((c) => [c, CHANNEL_LABELS[c]])));
  const type = el("select", { id: "in-type" }, options((customer ? CUSTOMER_TYPES : Object.keys(TYPE_LABELS)).map((t) => [t, TYPE_LABELS[t]])));
  type.value = "general_fault";
  const severity = el("select", { id: "in-severity" }, options(Object.keys(SEVERITY_LABELS).map((s) => [s, customer ? CUSTOMER_SEVERITY[s] : `${SEVERITY_LABELS[s]}: ${CUSTOMER_SEVERITY[s].split(":")[1] || CUSTOMER_SEVERITY[s]}`])));
  severity.value = "general";
  const summary = el("input", { id: "in-summary", type: "text", required: true, minlength: 3, maxlength: 300 });
  const symptoms = el("textarea", { id: "in-symptoms", rows: 4, maxlength: 8000 });
  const contactName = el("input", { id: "in-contact", type: "text", maxlength: 200, autocomplete: "name" });
  const contactPhone = el("input", { id: "in-phone", type: "tel", maxlength: 100, autocomplete: "tel" });
  const contactEmail = el("input", { id: "in-email", type: "email", maxlength: 200, autocomplete: "email" });
  const special = el("textarea", { id: "in-special", rows: 2, maxlength: 4000 });
  const expected = el("input", { id: "in-expected", type: "text", placeholder: "YYYY-MM-DD HH:MM", inputmode: "numeric" });
  const received = el("input", { id: "in-received", type: "text", placeholder: "YYYY-MM-DD HH:MM", inputmode: "numeric", "aria-describedby": "in-received-hint" });
  const warranty = el("select", { id: "in-warranty" }, options([["", "As derived from the line"], ["yes", "Under warranty (override)"], ["no", "Outside warranty (override)"]]));
  const warrantyReason = el("input", { id: "in-warranty-reason", type: "text", maxlength: 4000 });
  const message = el("div", { "aria-live": "assertive" });
  const submit = el("button", { type: "submit", class: "btn btn-primary btn-inline" }, customer ? "Send request" : "Register");

  function body() {
    const payload = {
      line_id: line.value, machine_id: machine.value, ticket_type: type.value, severity: severity.value,
      summary: summary.value.trim(), symptoms: symptoms.value.trim(),
      contact_name: contactName.value.trim(), contact_phone: contactPhone.value.trim(), contact_email: contactEmail.value.trim(),
      special_requirements: special.value.trim(),
    };
    for (const [input, name] of [[expected, "expected_resolution"], [received, "received_at"]]) {
      if (!input.value.trim()) continue;
      const iso = parseSiteTime(input.value, zone());
      if (!iso) throw new Error(`${input.id === "in-expected" ? "Expected resolution" : "Received"}: write the site time as YYYY-MM-DD HH:MM`);
      payload[name] = iso;
    }
    if (!customer) {
      payload.channel = channel.value;
      if (warranty.value) {
        payload.under_warranty = warranty.value === "yes";
        payload.warranty_override_reason = warrantyReason.value.trim();
      }
    }
    return payload;
  }

  async function send(event) {
    event.preventDefault();
    message.replaceChildren();
    let payload;
    try { payload = body(); } catch (err) {
      message.replaceChildren(el("div", { class: "refusal", role: "alert" }, err.message));
      return;
    }
    submit.disabled = true;
    try {
      const ticket = await apiPost("/tickets", payload, { idempotencyKey: key });
      root.replaceChildren(el("div", { class: "card narrow" },
        el("h1", {}, customer ? "Thank you: we have your request" : `Registered: ${ticket.number}`),
        el("p", {}, customer ? `Your reference is ${ticket.number}.` : "The confirmation read back to the customer:"),
        el("div", { class: "symptoms" }, ticket.confirmation),
        el("p", {}, el("a", { class: "btn btn-primary btn-inline", href: `/tickets/${ticket.id}` }, "Open the ticket"), " ",
          el("a", { class: "btn btn-secondary", href: "/tickets" }, customer ? "My tickets" : "Ticket queue"))));
    } catch (err) {
      if (!(err instanceof ApiError)) { ctx.failed(err); submit.disabled = false; return; }
      message.replaceChildren(el("div", { class: "refusal", role: "alert" }, el("strong", {}, "Not registered. "), err.message));
      submit.disabled = false;
    }
  }

  const form = el("form", { class: "card intake", onsubmit: send, "aria-labelledby": "intake-title" },
    el("h1", { id: "intake-title" }, customer ? "Report a problem or ask for service" : "Register a service request"),
    el("p", { class: "muted" }, customer
      ? "Tell us what happens on which machine; we confirm your request and answer within your contract's response time."
      : "Contract, warranty and the SLA deadlines come from the line and the customer's contract. Contact fields left empty take the customer's contact on file."),
    el("div", { class: "form-grid" },
      field("in-line", "Line", line),
      field("in-machine", "Machine", machine),
      customer ? null : field("in-channel", "Channel", channel),
      field("in-type", "Type of request", type),
      field("in-severity", customer ? "How bad is it?" : "Severity", severity),
      customer ? null : field("in-received", "Received at", received, receivedHint)),
    field("in-summary", customer ? "In one line: what is wrong?" : "Request (one line)", summary),
    field("in-symptoms", customer ? "What do you see? Since when? Any message on the panel?" : "Symptoms", symptoms),
    el("div", { class: "form-grid" },
      field("in-contact", "Contact person", contactName),
      field("in-phone", "Phone", contactPhone),
      field("in-email", "E-mail", contactEmail),
      field("in-expected", "Expected resolution (site time)", expected, "YYYY-MM-DD HH:MM, optional")),
    field("in-special", "Special requirements (access, safety, shifts)", special),
    customer ? null : el("div", { class: "form-grid" },
      field("in-warranty", "Warranty", warranty),
      field("in-warranty-reason", "Reason for a warranty override", warrantyReason)),
    message,
    el("div", { class: "move-buttons" }, submit, el("a", { class: "btn btn-secondary", href: "/tickets" }, "Cancel")));
  form.addEventListener("input", () => { form.dataset.dirty = "1"; });
  fillMachines();
  root.replaceChildren(form);
  return { refresh: async () => { ctx.refreshed(); } };
}
