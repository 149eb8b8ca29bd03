// The service cost section of the KPI page: parts, labour and travel from /api/service-costs,
// split by warranty (free to the customer) and billable work, per month, customer or line
// model. For staff only: customers and field engineers see no section (the API says 403).
import { apiGet, ApiError } from "./api_client.js";
import { $, el, fill, fmtNumber } from "./dom.js";

const COST_GROUPS = new Set(["month", "customer", "line_model"]);
const GROUP_TEXT = { month: "month", customer: "customer", line_model: "line model" };
const GROUP_HEAD = { month: "Month", customer: "Customer", line_model: "Line model" };

function money(list) {
  if (!list.length) return "—";
  return list.map((m) => `${m.currency} ${Number(m.amount).toLocaleString(undefined, { minimumFractionDigits: 0, maximumFractionDigits: 0 })}`).join(" · ");
}

function hours(value) { return `${fmtNumber(Number(value), 1)} h`; }
function tickets(count) { return `${count} ticket${count === 1 ? "" : "s"}`; }

function tile(label, value, note) {
  return el("div", { class: "kpi kpi-plain" },
    el("div", { class: "kpi-label" }, label), el("div", { class: "kpi-value level-plain cost-value" }, value),
    el("div", { class: "kpi-note" }, note));
}

function splitCells(figures) {
  return [
    el("td", { class: "num" }, String(figures.tickets)),
    el("td", { class: "num" }, hours(figures.labour_hours)),
    el("td", { class: "num" }, String(figures.trips), el("div", { class: "sub" }, figures.travel_km !== "0" ? `${fmtNumber(Number(figures.travel_km), 0)} km` : "")),
    el("td", { class: "num" }, money(figures.parts_cost)),
    el("td", { class: "num strong" }, money(figures.value)),
  ];
}

// Loads and draws the section for the range; ``groupBy`` falls back to month for groups
// costs do not have (engineer, fault type).
export async function renderCosts({ from, to, groupBy }) {
  const section = $("cost-section");
  const dimension = COST_GROUPS.has(groupBy) ? groupBy : "month";
  let report;
  try {
    report = await apiGet("/service-costs", { group_by: dimension, from, to });
  } catch (err) {
    if (err instanceof ApiError && err.status === 403) { section.hidden = true; return; }
    throw err;
  }
  section.hidden = false;
  const { warranty, billable } = report.total;
  fill($("cost-tiles"),
    tile("Billed (billable work)", money(billable.value), `${tickets(billable.tickets)} at contract rates`),
    tile("Given under warranty", money(warranty.value), `${tickets(warranty.tickets)}, free to the customer`),
    tile("Labour", hours(Number(warranty.labour_hours) + Number(billable.labour_hours)), `${warranty.trips + billable.trips} trips`),
    tile("Parts at cost", money([...warranty.parts_cost, ...billable.parts_cost].reduce((acc, m) => {
      const found = acc.find((x) => x.currency === m.currency);
      if (found) found.amount = String(Number(found.amount) + Number(m.amount)); else acc.push({ ...m });
      return acc;
    }, [])), `${warranty.parts_units + billable.parts_units} units used`));
  $("cost-title").textContent = `Service costs by ${GROUP_TEXT[dimension]}`;
  const head = el("thead", {},
    el("tr", {}, el("th", { rowspan: "2", class: "group-head" }, GROUP_HEAD[dimension]),
      el("th", { class: "num", colspan: "5" }, "Warranty (no charge)"), el("th", { class: "num", colspan: "5" }, "Billable")),
    el("tr", {},
      ...["Tickets", "Labour", "Trips", "Parts at cost", "Value"].map((h) => el("th", { class: "num" }, h)),
      ...["Tickets", "Labour", "Trips", "Parts at cost", "Charged"].map((h) => el("th", { class: "num" }, h))));
  const row = (label, figures, strong) => el("tr", { class: strong ? "total-row" : "" },
    el("td", { class: "group-label" }, label), ...splitCells(figures.warranty), ...splitCells(figures.billable));
  const rows = report.groups.map((g) => row(g.label, g.figures, false));
  rows.push(row("All", report.total, true));
  fill($("cost-table"), el("table", { class: "table kpi-table" }, head, el("tbody", {}, ...rows)));
}
