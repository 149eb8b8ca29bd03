// The service report form (PUT /api/tickets/{id}/report): filled on site, on a phone as
// well as at a desk. Times are typed in the site's time as YYYY-MM-DD HH:MM, with a
// "now" button; parts and measurements are rows to add. A catalogue part's row books its
// movements when filed: the issue (of the ticket's reservation), the installation at the
// position, the removed serial with its failure reason, its return to a store or scrap.
// A first report starts with the parts reserved for the ticket (the parts to bring), so
// the engineer only confirms serials and quantities and removes what was not used.

import { ApiError, apiGet, apiPut } from "./api_client.js";
import { el } from "./dom.js";
import { fmtPlantTime, parseSiteTime, zoneAbbreviation } from "./plant_time.js";

const TEXTS = [
  ["symptoms", "Fault symptoms", true, 3],
  ["diagnosis", "Diagnosis", true, 3],
  ["root_cause", "Root cause", false, 2],
  ["actions_taken", "Actions taken", true, 3],
  ["state_before", "State before", false, 2],
  ["state_after", "State after", true, 2],
  ["remaining_issues", "Remaining issues", false, 2],
  ["advice", "Advice to the customer", false, 2],
];
const TIMES = [["failure_at", "Failure"], ["arrived_at", "Arrived on site"], ["restored_at", "Line restored"]];

// "Now" on the service desk's clock: the later of this device's and the plant's newest data.
async function serviceNow() {
  const health = await apiGet("/health").catch(() => null);
  const plant = health && health.plant_time ? new Date(health.plant_time).getTime() : 0;
  return new Date(Math.max(Date.now(), plant)).toISOString();
}

function removable(row, list) {
  return el("button", { type: "button", class: "btn btn-plain", "aria-label": "Remove this row", onclick: () => row.remove() }, "Remove");
}

function partRow(part, index) {
  const id = (name) => `part-${name}-${index}`;
  const row = el("fieldset", { class: "row-fields" },
    el("legend", { class: "visually-hidden" }, `Part ${index + 1}`),
    part.reservedIn ? el("p", { class: "row-note" }, `Reserved for this job in ${part.reservedIn}: type the serial, correct the quantity, or remove the row if not used.`) : null,
    el("label", { for: id("number") }, "Part number", el("input", { id: id("number"), "data-key": "part_number", value: part.part_number || "", required: true, maxlength: 100 })),
    el("label", { for: id("serial") }, "Serial", el("input", { id: id("serial"), "data-key": "serial", value: part.serial || "", maxlength: 100 })),
    el("label", { for: id("qty"), class: "narrow-field" }, "Qty", el("input", { id: id("qty"), "data-key": "quantity", type: "number", min: 1, max: 10000, value: part.quantity || 1, inputmode: "numeric" })),
    el("label", { for: id("position") }, "Position", el("input", { id: id("position"), "data-key": "position", value: part.position || "", maxlength: 200 })),
    el("label", { class: "check-field", for: id("monitored") }, el("input", { id: id("monitored"), "data-key": "monitored", type: "checkbox" }), "Monitored part: learn a new baseline"),
    // What the stock ledger books for a catalogue part: where it came from, what came out, where that went.
    el("label", { for: id("removed") }, "Serial removed", el("input", { id: id("removed"), "data-key": "removed_serial", value: part.removed_serial || "", maxlength: 100 })),
    el("label", { for: id("reason") }, "Failure reason", el("input", { id: id("reason"), "data-key": "failure_reason", value: part.failure_reason || "", maxlength: 2000 })),
    el("label", { for: id("from") }, "Issued from store", el("input", { id: id("from"), "data-key": "issued_from", value: part.issued_from || "", maxlength: 200, placeholder: "the reservation's store" })),
    el("label", { for: id("to") }, "Removed part returned to", el("input", { id: id("to"), "data-key": "returned_to", value: part.returned_to || "", maxlength: 200, placeholder: "store id, e.g. central" })),
    el("label", { class: "check-field", for: id("scrapped") }, el("input", { id: id("scrapped"), "data-key": "scrapped", type: "checkbox" }), "Scrap the removed part"));
  row.querySelector('[data-key="monitored"]').checked = part.monitored !== false;
  row.querySelector('[data-key="scrapped"]').checked = part.scrapped === true;
  row.append(removable(row));
  return row;
}

function measurementRow(m, index) {
  const id = (name) => `meas-${name}-${index}`;
  const row = el("fieldset", { class: "row-fields" },
    el("legend", { class: "visually-hidden" }, `Measurement ${index + 1}`),
    el("label", { for: id("name") }, "Measurement", el("input", { id: id("name"), "data-key": "name", value: m.name || "", required: true, maxlength: 200, placeholder: "e.g. vibration after repair" })),
    el("label", { for: id("value"), class: "narrow-field" }, "Value", el("input", { id: id("value"), "data-key": "value", type: "number", step: "any", value: m.value ?? "", required: true, inputmode: "decimal" })),
    el("label", { for: id("unit"), class: "narrow-field" }, "Unit", el("input", { id: id("unit"), "data-key": "unit", value: m.unit || "", maxlength: 50 })));
  row.append(removable(row));
  return row;
}

function rowsOf(box) {
  return [...box.querySelectorAll("fieldset")].map((row) => Object.fromEntries([...row.querySelectorAll("[data-key]")]
    .map((input) => [input.dataset.key, input.type === "checkbox" ? input.checked : input.type === "number" ? Number(input.value) : input.value.trim()])));
}

// The time the engineer arrived, from the ticket's own trail, for a first report.
function arrivalFromTrail(ticket) {
  const event = [...ticket.events].reverse().find((e) => e.field === "status" && e.new_value === "on_site");
  return event ? event.at : null;
}

// A part reserved for the ticket as a report row: what was reserved, from where.
function reservedRow(p) {
  const store = `${p.store_name}${p.store_kind === "van" ? " (your van)" : ""}`;
  return { part_number: p.part_number, quantity: Math.max(p.reserved, 1), issued_from: p.store_id, reservedIn: store };
}

// `report`: the newest version (null: none yet); `onSaved(state)` after a successful PUT;
// `onCancel()`, if given, offers to leave the form unsaved; `partsToBring` (the job's
// reserved parts, GET /api/my-jobs) pre-fill a first report; without them they are read
// from the ticket's part suggestions.
export function serviceReportForm(ticket, report, ctx, onSaved, { onCancel = null, partsToBring = null } = {}) {
  const zone = ctx.zoneOfLine(ticket.line_id);
  // A first report starts from the trail; symptoms a person reported are its first words
  // (a warning's own text is the detector's, not what the engineer saw).
  const reported = ticket.channel === "automatic_warning" ? "" : ticket.symptoms || ticket.summary;
  const start = report || { arrived_at: arrivalFromTrail(ticket), failure_at: ticket.received_at, symptoms: reported };
  const form = el("form", { class: "report-form", novalidate: true });
  const inputs = {};
  for (const [key, text, required, rows] of TEXTS) {
    inputs[key] = el("textarea", { id: `rep-${key}`, rows, maxlength: 8000, required });
    inputs[key].value = start[key] || "";
    form.append(el("div", { class: "form-field" },
      el("label", { for: `rep-${key}` }, text, required ? el("span", { class: "req", "aria-hidden": "true" }, " *") : null), inputs[key]));
  }
  const times = el("div", { class: "form-grid" });
  for (const [key, text] of TIMES) {
    inputs[key] = el("input", { id: `rep-${key}`, type: "text", inputmode: "numeric", placeholder: "YYYY-MM-DD HH:MM", "aria-describedby": "rep-time-hint" });
    inputs[key].value = start[key] ? fmtPlantTime(start[key], zone) : "";
    const now = el("button", { type: "button", class: "btn btn-secondary btn-small", onclick: async () => {
      inputs[key].value = fmtPlantTime(await serviceNow(), zone);
      form.dataset.dirty = "1";
    } }, "Now");
    times.append(el("div", { class: "form-field" }, el("label", { for: `rep-${key}` }, text), el("div", { class: "input-with-button" }, inputs[key], now)));
  }
  const parts = el("div", { class: "rows" }, (start.parts || []).map(partRow));
  if (!report) {
    const prefill = (reserved) => {
      for (const p of reserved.filter((r) => r.reserved > 0)) parts.append(partRow(reservedRow(p), parts.children.length));
    };
    if (partsToBring) prefill(partsToBring);
    else {
      // The staff ticket page has no job at hand; a refusal (no parts for the role) leaves the rows empty.
      apiGet(`/tickets/${ticket.id}/part-suggestions`, { limit: 1 }).then((s) => prefill(s.ticket_parts)).catch(() => null);
    }
  }
  const measurements = el("div", { class: "rows" }, (start.measurements || []).map(measurementRow));
  const message = el("div", { "aria-live": "assertive" });
  const submit = el("button", { type: "submit", class: "btn btn-primary btn-inline" }, report ? `Save as version ${report.version + 1}` : "File the report");
  form.append(
    el("p", { class: "muted small", id: "rep-time-hint" }, `Times in the site's local time, ${zoneAbbreviation(zone)} (${zone}), as YYYY-MM-DD HH:MM.`),
    times,
    el("h3", {}, "Parts replaced"), parts,
    el("button", { type: "button", class: "btn btn-secondary", onclick: () => parts.append(partRow({}, parts.children.length + Date.now() % 1000)) }, "Add a part"),
    el("h3", {}, "Key measurements"), measurements,
    el("button", { type: "button", class: "btn btn-secondary", onclick: () => measurements.append(measurementRow({}, measurements.children.length + Date.now() % 1000)) }, "Add a measurement"),
    message,
    el("div", { class: "move-buttons" }, submit,
      onCancel ? el("button", { type: "button", class: "btn btn-secondary", onclick: () => { delete form.dataset.dirty; onCancel(); } }, "Cancel") : null));
  form.addEventListener("input", () => { form.dataset.dirty = "1"; });

  function body() {
    const payload = {};
    for (const [key, text, required] of TEXTS) {
      payload[key] = inputs[key].value.trim();
      if (required && !payload[key]) throw new Error(`${text} must be filled in.`);
    }
    for (const [key, text] of TIMES) {
      const value = inputs[key].value.trim();
      if (!value) { payload[key] = null; continue; }
      const iso = parseSiteTime(value, zone);
      if (!iso) throw new Error(`${text}: write the site time as YYYY-MM-DD HH:MM.`);
      payload[key] = iso;
    }
    payload.parts = rowsOf(parts);
    payload.measurements = rowsOf(measurements);
    if (payload.parts.some((p) => !p.part_number)) throw new Error("Every part needs its part number.");
    if (payload.measurements.some((m) => !m.name || !Number.isFinite(m.value))) throw new Error("Every measurement needs a name and a number.");
    return payload;
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    let payload;
    try { payload = body(); } catch (err) {
      message.replaceChildren(el("div", { class: "refusal", role: "alert" }, err.message));
      return;
    }
    submit.disabled = true;
    try {
      const state = await apiPut(`/tickets/${ticket.id}/report`, payload);
      delete form.dataset.dirty;
      ctx.toast(`Service report version ${state.report.version} filed`);
      onSaved(state);
    } catch (err) {
      submit.disabled = false;
      if (!(err instanceof ApiError)) { ctx.failed(err); return; }
      message.replaceChildren(el("div", { class: "refusal", role: "alert" }, el("strong", {}, "Not filed. "), err.message));
    }
  });
  return form;
}
