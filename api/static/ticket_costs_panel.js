// A ticket's costs on its page: for the service team every item (labour, travel, parts) at
// the contract's rates, what the customer pays, and a form to record labour and travel;
// for the customer the one sentence saying what they pay (/api/tickets/{id}/costs).

import { apiGet, apiPost } from "./api_client.js";
import { el, fmtNumber } from "./dom.js";

const MAY_RECORD = new Set(["field_engineer", "desk", "support", "admin"]);
const KIND_TEXT = { labour: "Labour", travel: "Travel", parts: "Parts" };

function money(m) { return m ? `${m.currency} ${Number(m.amount).toLocaleString(undefined, { minimumFractionDigits: 2, maximumFractionDigits: 2 })}` : "—"; }
function moneyList(list) { return list.length ? list.map(money).join(" + ") : "nothing"; }

function quantity(item) {
  if (item.kind === "parts") return `${item.units} pcs`;
  if (item.kind === "labour") return `${fmtNumber(Number(item.hours), 2)} h`;
  const parts = [];
  if (Number(item.hours)) parts.push(`${fmtNumber(Number(item.hours), 2)} h`);
  if (Number(item.km)) parts.push(`${fmtNumber(Number(item.km), 1)} km`);
  return parts.join(" · ") || `${item.trips} trip`;
}

function entryForm(ticket, ctx, reload) {
  const today = new Date().toLocaleDateString("en-CA");
  const field = (name, labelText, attrs) => el("label", { class: "form-field" }, el("span", { class: "muted small" }, labelText),
    el("input", { name, ...attrs }));
  const status = el("p", { class: "muted small", role: "status" });
  const form = el("form", { class: "inline-form" },
    el("div", { class: "form-grid" },
      // ISO like every date the console shows, whatever the browser's locale.
      field("work_date", "Work date (YYYY-MM-DD)", { type: "text", inputmode: "numeric", pattern: "\\d{4}-\\d{2}-\\d{2}", maxlength: "10", placeholder: "YYYY-MM-DD", value: today, required: true }),
      field("labour_hours", "Labour hours", { type: "number", min: "0", max: "24", step: "0.25", value: "0" }),
      field("travel_hours", "Travel hours", { type: "number", min: "0", max: "24", step: "0.25", value: "0" }),
      field("travel_km", "Travel km", { type: "number", min: "0", max: "5000", step: "1", value: "0" }),
      field("note", "Note", { type: "text", maxlength: "2000" })),
    el("button", { type: "submit", class: "btn btn-secondary" }, "Record"), status);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const data = new FormData(form);
    const body = Object.fromEntries(["work_date", "labour_hours", "travel_hours", "travel_km", "note"].map((k) => [k, data.get(k)]));
    try {
      await apiPost(`/tickets/${ticket.id}/costs`, body);
      ctx.toast("Labour and travel recorded");
      reload();
    } catch (err) { status.textContent = err.message; status.className = "error small"; }
  });
  return el("details", {}, el("summary", {}, "Record labour and travel"), form);
}

export async function costsPanel(ticket, ctx, reload) {
  const costs = await apiGet(`/tickets/${ticket.id}/costs`);
  const d = costs.detail;
  if (!d) return null;
  const rows = d.items.map((item) => el("tr", {},
    el("td", { class: "nowrap" }, item.day), el("td", {}, KIND_TEXT[item.kind] || item.kind),
    el("td", {}, item.label, item.estimated ? el("span", { class: "muted small" }, " (estimated)") : null),
    el("td", { class: "num" }, quantity(item)),
    el("td", { class: "num" }, item.cost ? money(item.cost) : ""),
    el("td", { class: "num" }, money(item.price))));
  const pricing = d.pricing;
  const travel = pricing.travel_flat_per_trip !== null ? `${pricing.currency} ${pricing.travel_flat_per_trip} per trip`
    : `${pricing.currency} ${pricing.travel_rate_per_hour}/h and ${pricing.travel_rate_per_km}/km travel`;
  return el("section", { class: "card", "aria-labelledby": "costs-title" },
    el("h2", { class: "card-title", id: "costs-title" }, "Costs"),
    el("p", {}, costs.summary),
    d.travel_unrecorded ? el("p", { class: "error small", role: "note" },
      "Travel not recorded yet: this contract charges it by time and distance. Record the hours and kilometres below.") : null,
    rows.length ? el("table", { class: "table" },
      el("thead", {}, el("tr", {}, ...["Day", "Kind", "What", "Quantity", "Cost", "At contract rates"].map((h, i) => el("th", { class: i >= 3 ? "num" : "" }, h)))),
      el("tbody", {}, ...rows),
      el("tfoot", {}, el("tr", {}, el("td", { colspan: "4" }, el("strong", {}, costs.under_warranty ? "Value given under warranty" : "Charged")),
        el("td", { class: "num" }, moneyList(d.totals.parts_cost)), el("td", { class: "num" }, el("strong", {}, moneyList(d.totals.value))))))
      : el("p", { class: "muted" }, "No labour, travel or parts booked yet."),
    el("p", { class: "muted small" }, `Contract ${costs.contract_number}: ${pricing.currency} ${pricing.labour_rate_per_hour}/h labour, ${travel}, parts + ${pricing.parts_markup_percent} %.`),
    MAY_RECORD.has(ctx.me.role) ? entryForm(ticket, ctx, reload) : null);
}

// What the customer pays, in words; null when the costs cannot be read.
export async function chargeSentence(ticket) {
  try { return (await apiGet(`/tickets/${ticket.id}/costs`)).summary; } catch { return null; }
}
