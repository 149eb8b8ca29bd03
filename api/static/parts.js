// LineCare spare parts page: stock per store with low-stock warnings (/api/stock,
// /api/stock/warnings), the ledger (/api/ledger), requisitions with approval
// (/api/requisitions), the serial trace (/api/serials), and for the parts manager the
// recommended safety stock (/api/stock-planning) and consumption (/api/parts-consumption).
// Vanilla JS, no build step; strings from the API enter the page as text.
import { $, el, fill, fmtNumber } from "./dom.js";
import { fmtPlantTime } from "./plant_time.js";
import {
  ApiError, SignedOut, apiFetch, apiGet, apiPost, goToSignIn, newIdempotencyKey, takeTokenFromLink,
} from "./api_client.js";
import { showRefusal, showSignedIn } from "./top_bar.js";


const AUTHORITY = new Set(["parts_manager", "admin"]);
const TABS = ["stock", "ledger", "requisitions", "trace", "planning", "consumption"];
const KIND_TEXT = {
  receipt: "Receipt", reservation: "Reservation", release: "Release", issue: "Issue", return: "Return",
  repair: "Repair", scrap: "Scrap", transfer_out: "Transfer out", transfer_in: "Transfer in", adjustment: "Count adjustment",
};
const TRACE_TEXT = {
  received: "Received", issued: "Issued", installed: "Installed", removed: "Removed", returned: "Returned",
  repaired: "Repaired", scrapped: "Scrapped", transferred: "Transferred", counted: "Counted",
};
const STATE_TEXT = {
  in_store: "in store", faulty_in_store: "faulty, in store", issued: "issued", installed: "installed",
  removed: "removed", scrapped: "scrapped",
};
// The service organisation's zone for times on this page (the stores span sites).
const ZONE = "Europe/Berlin";

const query = new URLSearchParams(window.location.search);
const view = {
  me: null,
  authority: false,
  tab: TABS.includes(query.get("view")) ? query.get("view") : "stock",
  stores: [],
  parts: [],
  customers: [],
  reqStatus: "pending",
};

// ---------- helpers ----------

function showStatus(text, kind) {
  $("page-status").textContent = text || "";
  $("page-status").className = `report-status${kind ? ` ${kind}` : ""}`;
}

function handle(err) {
  if (err instanceof SignedOut) { goToSignIn(); return; }
  showStatus(err instanceof ApiError ? err.message : `Something went wrong: ${err.message}`, "error");
}

function when(iso) { return iso ? fmtPlantTime(iso, ZONE) : "—"; }
function storeName(id) { const s = view.stores.find((x) => x.id === id); return s ? s.name : id; }
function partName(number) { const p = view.parts.find((x) => x.part_number === number); return p ? p.description : ""; }
function money(amount, currency) { return `${currency} ${Number(amount).toLocaleString(undefined, { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`; }
function ticketLink(id) { return id ? el("a", { href: `/tickets/${id}` }, `#${id}`) : "—"; }

function table(head, rows, empty) {
  if (!rows.length) return el("p", { class: "empty" }, empty);
  return el("table", { class: "table" },
    el("thead", {}, el("tr", {}, ...head.map(([text, num]) => el("th", { class: num ? "num" : "" }, text)))),
    el("tbody", {}, ...rows));
}

function tile(label, value, tone, note) {
  return el("div", { class: `card pt-tile pt-tile-${tone}` },
    el("div", { class: "muted small" }, label), el("div", { class: "pt-tile-value" }, String(value)),
    el("div", { class: "muted small" }, note));
}

function options(select, items, { all } = {}) {
  const current = select.value;
  fill(select, all ? el("option", { value: "" }, all) : null,
    ...items.map(([value, text]) => el("option", { value }, text)));
  if ([...select.options].some((o) => o.value === current)) select.value = current;
}

// ---------- stock ----------

function levelPill(level) {
  if (level.below_safety_stock) return el("span", { class: "pt-pill pt-low" }, "Below safety");
  if (level.at_reorder_point) return el("span", { class: "pt-pill pt-reorder" }, "Reorder");
  return el("span", { class: "pt-pill pt-ok" }, "OK");
}

async function loadStock() {
  const store = $("stock-store").value || undefined;
  const [levels, warnings, pending] = await Promise.all([
    apiGet("/stock", { store_id: store }), apiGet("/stock/warnings", { store_id: store }),
    apiGet("/requisitions", { status: "pending" }),
  ]);
  const reorder = levels.filter((l) => l.at_reorder_point && !l.below_safety_stock).length;
  fill($("stock-tiles"),
    tile("Below safety stock", warnings.length, warnings.length ? "bad" : "ok", "levels to refill"),
    tile("At reorder point", reorder, reorder ? "warn" : "ok", "order soon"),
    tile("Requisitions pending", pending.length, pending.length ? "warn" : "ok", "waiting for a decision"),
    tile("Units on hand", levels.reduce((sum, l) => sum + l.on_hand, 0), "neutral", `${levels.length} levels`));
  fill($("warnings"), warnings.length ? warnings.map(warningRow) : el("p", { class: "empty" }, "No store is below its safety stock."));
  const rows = levels.map((l) => el("tr", { class: l.below_safety_stock ? "pt-row-low" : "" },
    el("td", {}, storeName(l.store_id)),
    el("td", {}, l.part_number, el("span", { class: "pt-desc", title: partName(l.part_number) }, partName(l.part_number))),
    el("td", { class: "num" }, String(l.on_hand)), el("td", { class: "num" }, String(l.reserved)),
    el("td", { class: "num" }, String(l.available)), el("td", { class: "num" }, String(l.faulty)),
    el("td", { class: "num" }, String(l.safety_stock)), el("td", { class: "num" }, String(l.reorder_point)),
    el("td", {}, levelPill(l))));
  fill($("stock-table"), table([["Store"], ["Part"], ["On hand", 1], ["Reserved", 1], ["Available", 1], ["Faulty", 1],
    ["Safety", 1], ["Reorder at", 1], ["State"]], rows, "No stock in this store."));
}

function warningRow(warning) {
  const l = warning.level;
  const short = l.safety_stock - l.on_hand;
  const open = warning.open_requisition_id;
  const action = open
    ? el("span", { class: "muted small" }, `requisition #${open} open`)
    : view.authority ? el("button", { type: "button", class: "btn btn-outline", onclick: (e) => requestRefill(e.currentTarget, l, short) },
      `Order ${short} from the supplier`) : el("span", { class: "muted small" }, "no requisition yet");
  return el("div", { class: "pt-warning" },
    el("div", {}, el("strong", {}, `${l.part_number} in ${storeName(l.store_id)}`),
      el("div", { class: "muted small" }, `${partName(l.part_number)} · ${l.on_hand} on hand, safety stock ${l.safety_stock}, ${l.reserved} reserved`)),
    el("div", { class: "pt-actions" }, action));
}

async function requestRefill(button, level, quantity) {
  button.disabled = true;
  try {
    const made = await apiPost("/requisitions", {
      part_number: level.part_number, quantity, store_id: level.store_id,
      purpose: `Refill to the safety stock of ${level.safety_stock}`,
    }, { idempotencyKey: newIdempotencyKey() });
    showStatus(`Requisition #${made.id} asks for ${quantity} × ${level.part_number}; decide it under Requisitions.`);
    await loadStock();
  } catch (err) { button.disabled = false; handle(err); }
}

// ---------- ledger ----------

function delta(value) {
  if (!value) return el("td", { class: "num muted" }, "·");
  return el("td", { class: `num ${value > 0 ? "pt-delta-plus" : "pt-delta-minus"}` }, value > 0 ? `+${value}` : String(value));
}

async function loadLedger() {
  const params = {
    store_id: $("ledger-store").value || undefined, part_number: $("ledger-part").value || undefined,
    ticket_id: $("ledger-ticket").value || undefined, serial: $("ledger-serial").value.trim() || undefined, limit: 300,
  };
  const entries = await apiGet("/ledger", params);
  $("ledger-count").textContent = `${entries.length} entries, newest first${entries.length === 300 ? " (the newest 300)" : ""}`;
  const rows = entries.map((e) => el("tr", {},
    el("td", { class: "nowrap" }, when(e.at)),
    el("td", {}, KIND_TEXT[e.kind] || e.kind, e.emergency ? el("span", { class: "pt-pill pt-flag" }, " emergency") : null),
    el("td", {}, storeName(e.store_id), e.counterpart_store_id ? el("div", { class: "sub" }, `${e.kind === "transfer_out" ? "to" : "from"} ${storeName(e.counterpart_store_id)}`) : null),
    el("td", {}, e.part_number), el("td", { class: "num" }, String(e.quantity)),
    delta(e.deltas ? e.deltas.on_hand : e.on_hand_delta), delta(e.deltas ? e.deltas.reserved : e.reserved_delta),
    delta(e.deltas ? e.deltas.faulty : e.faulty_delta),
    el("td", {}, ticketLink(e.ticket_id)), el("td", {}, e.serial || ""),
    el("td", { class: "pt-by" }, e.actor), el("td", {}, e.reason || "")));
  fill($("ledger-table"), table([["When"], ["Movement"], ["Store"], ["Part"], ["Qty", 1], ["On hand", 1], ["Reserved", 1],
    ["Faulty", 1], ["Ticket"], ["Serial"], ["By"], ["Reason"]], rows, "No movement matches."));
}

// ---------- requisitions ----------

async function loadRequisitions() {
  for (const b of $("req-status").querySelectorAll("button")) b.classList.toggle("active", b.dataset.status === view.reqStatus);
  const items = await apiGet("/requisitions", view.reqStatus ? { status: view.reqStatus } : {});
  const rows = items.map((r) => el("tr", {},
    el("td", {}, `#${r.id}`, el("div", { class: "sub" }, when(r.requested_at))),
    el("td", {}, `${r.quantity} × ${r.part_number}`, el("span", { class: "pt-desc" }, partName(r.part_number))),
    el("td", {}, storeName(r.store_id), el("div", { class: "sub" }, r.from_store_id ? `from ${storeName(r.from_store_id)}` : "from the supplier")),
    el("td", {}, r.purpose, r.emergency ? el("span", { class: "pt-pill pt-flag" }, "emergency") : null,
      r.ticket_id ? el("div", { class: "sub" }, "ticket ", ticketLink(r.ticket_id)) : null),
    el("td", {}, r.requested_by),
    el("td", {}, el("span", { class: `pt-pill pt-status-${r.status}` }, r.status),
      r.decided_by ? el("div", { class: "sub" }, `${r.decided_by}${r.decision_note ? `: ${r.decision_note}` : ""}`) : null,
      r.expected_at ? el("div", { class: "sub" }, `expected ${when(r.expected_at)}`) : null),
    el("td", {}, decisionCell(r))));
  fill($("requisitions"), table([["No."], ["Parts"], ["Into"], ["Purpose"], ["By"], ["State"], [""]], rows,
    view.reqStatus ? `No ${view.reqStatus} requisition.` : "No requisition yet."));
}

function decisionCell(r) {
  if (!view.authority || r.status !== "pending") return null;
  const note = el("input", { type: "text", maxlength: "2000", placeholder: "note (a rejection needs one)", "aria-label": `Note on requisition ${r.id}` });
  const decide = async (approve, button) => {
    if (!approve && !note.value.trim()) { showStatus("Say why the requisition is rejected.", "error"); note.focus(); return; }
    button.disabled = true;
    try {
      await apiPost(`/requisitions/${r.id}/decision`, { approve, note: note.value.trim() });
      showStatus(`Requisition #${r.id} ${approve ? "approved" : "rejected"}.`);
      await loadRequisitions();
    } catch (err) { button.disabled = false; handle(err); }
  };
  return el("div", { class: "pt-actions" }, note,
    el("button", { type: "button", class: "btn btn-solid", onclick: (e) => decide(true, e.currentTarget) }, "Approve"),
    el("button", { type: "button", class: "btn btn-outline", onclick: (e) => decide(false, e.currentTarget) }, "Reject"));
}

// ---------- serial trace ----------

async function trace(event) {
  if (event) event.preventDefault();
  const part = $("trace-part").value;
  const serial = $("trace-serial").value.trim();
  if (!part || !serial) return;
  const url = new URL(window.location.href);
  url.searchParams.set("view", "trace"); url.searchParams.set("part", part); url.searchParams.set("serial", serial);
  history.replaceState(null, "", url);
  try {
    const t = await apiGet(`/serials/${encodeURIComponent(part)}/${encodeURIComponent(serial)}`);
    const place = t.store_id ? storeName(t.store_id) : t.machine_id ? `${t.machine_id} at ${t.position}` : "";
    fill($("trace-result"), el("div", { class: "card" },
      el("div", { class: "card-head" }, el("h2", {}, `${t.part_number} · serial ${t.serial}`), el("span", { class: "muted small" }, partName(t.part_number))),
      el("p", { class: "pt-trace-now" }, "Now: ", el("strong", {}, STATE_TEXT[t.state] || t.state), place ? ` · ${place}` : "",
        t.ticket_id ? [" · ticket ", ticketLink(t.ticket_id)] : ""),
      el("ol", { class: "pt-timeline" }, ...t.events.map((e) => el("li", { class: `pt-ev-${e.kind}` },
        el("span", { class: "when" }, when(e.at)), el("strong", {}, TRACE_TEXT[e.kind] || e.kind), " ",
        e.store_id ? `${storeName(e.store_id)} ` : "", e.machine_id ? `${e.machine_id} at ${e.position} ` : "",
        e.ticket_id ? ["on ticket ", ticketLink(e.ticket_id), " "] : "", e.actor ? el("span", { class: "muted" }, `by ${e.actor}`) : "",
        e.reason ? el("div", { class: "muted small" }, e.reason) : null)))));
  } catch (err) {
    if (err instanceof ApiError && err.status === 404) {
      fill($("trace-result"), el("p", { class: "card empty" }, `No unit ${serial} of ${part} is known.`));
      return;
    }
    handle(err);
  }
}

// ---------- planning ----------

// Slow movers expect hundredths of a unit per lead time: say so rather than print 0.
function demandText(value) {
  if (value === 0) return "0";
  return value < 0.01 ? "< 0.01" : fmtNumber(value, 2);
}

async function loadPlan() {
  const plan = await apiGet("/stock-planning", { service_level: $("plan-level").value, history_days: $("plan-history").value });
  const since = when(plan.history_since).split(",")[0];
  $("plan-basis").textContent = `${Math.round(plan.service_level * 1000) / 10} % service level · history since ${since}`;
  const shown = plan.recommendations.filter((r) => !$("plan-changes").checked || r.difference !== 0);
  const rows = shown.map((r) => el("tr", { class: r.pooled ? "pt-pooled" : "" },
    el("td", {}, r.part_number, el("span", { class: "pt-desc", title: r.description }, r.description)),
    el("td", { class: `pt-class-${r.part_class}` }, r.part_class),
    el("td", {}, r.pooled ? "All regions (central)" : r.region_name),
    el("td", { class: "num" }, String(r.installed_units)),
    el("td", { class: "num" }, String(r.units_used), el("div", { class: "sub" }, `${fmtNumber(r.unit_years, 1)} unit-yrs`)),
    el("td", { class: "num" }, fmtNumber(r.rate_per_unit_year, 3)),
    el("td", { class: "num" }, `${r.lead_time_days} d`),
    el("td", { class: "num" }, demandText(r.lead_time_demand)),
    el("td", { class: "num strong" }, String(r.recommended_safety_stock)),
    el("td", { class: "num" }, String(r.current_safety_stock)),
    el("td", { class: `num ${r.difference > 0 ? "pt-up" : r.difference < 0 ? "pt-down" : "muted"}` },
      r.difference > 0 ? `raise by ${r.difference}` : r.difference < 0 ? `could lower by ${-r.difference}` : "right")));
  fill($("plan-table"), table([["Part"], ["Class"], ["Region"], ["Installed", 1], ["Used (all regions)", 1], ["Rate / unit-yr", 1],
    ["Lead time", 1], ["Lead-time demand", 1], ["Recommended", 1], ["Now", 1], ["Change", 1]], rows,
  "Every safety stock is where the plan puts it."));
}

// ---------- consumption ----------

function consumptionParams(format) {
  return {
    from: $("use-from").value || undefined, to: $("use-to").value || undefined,
    customer_id: $("use-customer").value || undefined, format,
  };
}

async function loadConsumption(event) {
  if (event) event.preventDefault();
  const report = await apiGet("/parts-consumption", consumptionParams());
  if (!$("use-from").value) $("use-from").value = report.first_month.slice(0, 7);
  if (!$("use-to").value) $("use-to").value = report.last_month.slice(0, 7);
  $("use-zone").textContent = `months in ${report.timezone}`;
  const totals = {};
  for (const r of report.rows) totals[r.currency] = (totals[r.currency] || 0) + Number(r.cost);
  const used = report.rows.reduce((sum, r) => sum + r.used, 0);
  const tickets = report.rows.reduce((sum, r) => sum + r.tickets, 0);
  const parts = new Set(report.rows.map((r) => r.part_number)).size;
  fill($("use-tiles"),
    tile("Units used", used, "neutral", `${parts} different parts`),
    tile("Cost", Object.keys(totals).length ? Object.entries(totals).map(([c, a]) => money(a, c)).join(" · ") : "—", "neutral", "at unit cost"),
    tile("Ticket bookings", tickets, "neutral", "tickets per month and part"),
    tile("Customers", new Set(report.rows.map((r) => r.customer_id)).size, "neutral", "with parts used"));
  const rows = report.rows.map((r) => el("tr", {},
    el("td", {}, r.month), el("td", {}, r.customer_name),
    el("td", {}, r.part_number, el("span", { class: "pt-desc" }, r.description)),
    el("td", { class: "num" }, String(r.issued)), el("td", { class: "num" }, String(r.returned_unused)),
    el("td", { class: "num strong" }, String(r.used)), el("td", { class: "num" }, String(r.tickets)),
    el("td", { class: "num" }, money(r.cost, r.currency))));
  fill($("use-table"), table([["Month"], ["Customer"], ["Part"], ["Issued", 1], ["Returned unused", 1], ["Used", 1],
    ["Tickets", 1], ["Cost", 1]], rows, "No parts were used on tickets in these months."));
}

async function downloadCsv(button) {
  button.disabled = true;
  try {
    const response = await apiFetch("/parts-consumption", { params: consumptionParams("csv"), headers: { Accept: "text/csv" } });
    const blob = await response.blob();
    const match = (response.headers.get("Content-Disposition") || "").match(/filename="([^"]+)"/);
    const link = el("a", { href: URL.createObjectURL(blob), download: match ? match[1] : "parts-consumption.csv" });
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(link.href), 10000);
  } catch (err) { handle(err); } finally { button.disabled = false; }
}

// ---------- page ----------

const LOADERS = {
  stock: loadStock, ledger: loadLedger, requisitions: loadRequisitions,
  trace: async () => { if ($("trace-serial").value) await trace(); },
  planning: loadPlan, consumption: loadConsumption,
};

async function showTab(tab) {
  view.tab = tab;
  for (const b of $("tabs").querySelectorAll("button")) b.classList.toggle("active", b.dataset.tab === tab);
  for (const section of document.querySelectorAll("[data-view]")) section.hidden = section.dataset.view !== tab;
  const url = new URL(window.location.href);
  if (tab === "stock") url.searchParams.delete("view"); else url.searchParams.set("view", tab);
  if (tab !== "trace") { url.searchParams.delete("part"); url.searchParams.delete("serial"); }
  history.replaceState(null, "", url);
  showStatus("");
  try { await LOADERS[tab](); } catch (err) { handle(err); }
}

function wire() {
  for (const b of $("tabs").querySelectorAll("button")) b.addEventListener("click", () => showTab(b.dataset.tab));
  $("stock-store").addEventListener("change", () => loadStock().catch(handle));
  $("ledger-filter").addEventListener("submit", (e) => { e.preventDefault(); loadLedger().catch(handle); });
  for (const b of $("req-status").querySelectorAll("button")) {
    b.addEventListener("click", () => { view.reqStatus = b.dataset.status; loadRequisitions().catch(handle); });
  }
  $("trace-form").addEventListener("submit", trace);
  for (const id of ["plan-level", "plan-history", "plan-changes"]) $(id).addEventListener("change", () => loadPlan().catch(handle));
  $("consumption-filter").addEventListener("submit", (e) => loadConsumption(e).catch(handle));
  $("use-csv").addEventListener("click", (e) => downloadCsv(e.currentTarget));
}

async function start() {
  takeTokenFromLink();
  try { view.me = await apiGet("/me"); } catch (err) { handle(err); return; }
  showSignedIn(view.me);
  if (view.me.role === "customer") { showRefusal("Spare parts and stock are for the service team."); return; }
  view.authority = AUTHORITY.has(view.me.role);
  if (!view.authority) {
    for (const b of $("tabs").querySelectorAll("[data-authority]")) b.remove();
    if (["planning", "consumption"].includes(view.tab)) view.tab = "stock";
  }
  try {
    [view.stores, view.parts] = await Promise.all([apiGet("/stores"), apiGet("/parts")]);
    if (view.authority) view.customers = await apiGet("/lines").then((lines) => [...new Map(lines.map((l) => [l.customer.id, l.customer.name])).entries()]).catch(() => []);
  } catch (err) { handle(err); return; }
  const storeOptions = view.stores.map((s) => [s.id, s.kind === "van" ? `${s.name}` : `${s.name}${s.region_name ? ` · ${s.region_name}` : ""}`]);
  options($("stock-store"), storeOptions, { all: "All stores" });
  options($("ledger-store"), storeOptions, { all: "All stores" });
  options($("ledger-part"), view.parts.map((p) => [p.part_number, p.part_number]), { all: "All parts" });
  options($("trace-part"), view.parts.filter((p) => p.serialized).map((p) => [p.part_number, `${p.part_number} · ${p.description}`]));
  options($("use-customer"), view.customers, { all: "All customers" });
  if (query.get("part")) $("trace-part").value = query.get("part");
  if (query.get("serial")) $("trace-serial").value = query.get("serial");
  $("parts-page").hidden = false;
  wire();
  await showTab(view.tab);
}

start();
