// LineCare service KPI page: on-time rates, first-time fix, MTTR, repeats, satisfaction,
// complaints and backlog from /api/kpis/service, per month, engineer, customer, line model
// or fault type, and the monthly review as PDF or CSV.
// Vanilla JS, no build step; strings from the API enter the page as text.
import { apiFetch, goToSignIn, SignedOut, takeTokenFromLink } from "./api_client.js";
import { $, el, fmtNumber, svg } from "./dom.js";
import { fmtPlantTime, zoneAbbreviation } from "./plant_time.js";
import { renderCosts } from "./kpi_costs.js";
import { showRefusal, showSignedIn } from "./top_bar.js";

const GROUPS = { month: "Month", engineer: "Engineer", customer: "Customer", line_model: "Line model", fault_type: "Fault type" };
// The console's thresholds for rates: green from 85 %, amber from 60 %, red below.
const GOOD = 0.85;
const FAIR = 0.6;

// Every figure a group has, how to read it, and which way is better.
const METRICS = [
  { key: "response_on_time", label: "Response on time", kind: "ratio" },
  { key: "arrival_on_time", label: "Arrival on time", kind: "ratio" },
  { key: "resolution_on_time", label: "Resolution on time", kind: "ratio" },
  { key: "first_time_fix", label: "First-time fix", kind: "ratio" },
  { key: "mttr_s", label: "MTTR", kind: "hours", count: "repairs" },
  { key: "repeat_faults", label: "Repeat faults", kind: "ratio", lowerIsBetter: true },
  { key: "satisfaction", label: "Satisfaction", kind: "score", count: "surveys" },
  { key: "complaints", label: "Complaints", kind: "count", lowerIsBetter: true },
  { key: "backlog_open", label: "Open backlog", kind: "count", lowerIsBetter: true },
];
const RATE_SERIES = [
  { key: "response_on_time", label: "Response on time", colour: "#1f5fae" },
  { key: "arrival_on_time", label: "Arrival on time", colour: "#8e5bb5" },
  { key: "resolution_on_time", label: "Resolution on time", colour: "#2e9e5b" },
  { key: "first_time_fix", label: "First-time fix", colour: "#e0a100" },
];

// The address holds what is shown (?group_by=customer&from=..&to=..) so it can be shared.
const query = new URLSearchParams(window.location.search);

const view = {
  me: null,
  groupBy: GROUPS[query.get("group_by")] ? query.get("group_by") : "month",
  from: query.get("from"),
  to: query.get("to"),
  metric: "resolution_on_time",
  months: null, // the range by month: tiles and trend charts
  grouped: null, // the range by the chosen group: comparison and table
  request: 0,
};

// ---------- API access ----------

async function api(path, params) { return (await apiFetch(path, { params })).json(); }

// A linked token travels in a header, which a plain link cannot send: fetch the file and
// hand the browser the blob.
async function download(kind, button) {
  const month = $("review-month").value;
  if (!month) { showStatus("Choose the month of the review first.", "error"); return; }
  // Typed as text (an ISO month, as every date on the console), not the browser's picker.
  if (!/^\d{4}-(0[1-9]|1[0-2])$/.test(month)) { showStatus(`"${month}" is no month: write it as YYYY-MM.`, "error"); return; }
  button.disabled = true;
  try {
    const response = await apiFetch("/kpis/service/review", { params: { month, format: kind }, headers: { Accept: "*/*" } });
    const blob = await response.blob();
    const match = (response.headers.get("Content-Disposition") || "").match(/filename="([^"]+)"/);
    const link = el("a", { href: URL.createObjectURL(blob), download: match ? match[1] : `service-review-${month}.${kind}` });
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(link.href), 10000);
  } catch (err) {
    if (err instanceof SignedOut) { goToSignIn(); return; }
    showStatus(`The review ${kind.toUpperCase()} failed: ${err.message}`, "error");
  } finally {
    button.disabled = false;
  }
}

// ---------- formatting ----------

function level(rate, lowerIsBetter) {
  if (rate === null || rate === undefined) return "none";
  if (lowerIsBetter) return rate <= 1 - GOOD ? "good" : rate <= 1 - FAIR ? "fair" : "poor";
  return rate >= GOOD ? "good" : rate >= FAIR ? "fair" : "poor";
}

function pct(rate) { return rate === null || rate === undefined ? "—" : `${Math.round(rate * 100)} %`; }
function hours(seconds) { return seconds === null || seconds === undefined ? "—" : `${fmtNumber(seconds / 3600, 1)} h`; }
function score(value) { return value === null || value === undefined ? "—" : `${fmtNumber(value, 1)} / 5`; }

// A figure as text, and as a number for bars (null: nothing to show).
function metricValue(metric, figures) {
  const value = figures[metric.key];
  if (metric.kind === "ratio") return value.rate;
  return value;
}

function metricText(metric, figures) {
  const value = figures[metric.key];
  if (metric.kind === "ratio") return pct(value.rate);
  if (metric.kind === "hours") return hours(value);
  if (metric.kind === "score") return score(value);
  return String(value);
}

function metricNote(metric, figures) {
  const value = figures[metric.key];
  if (metric.kind === "ratio") return value.total ? `${value.hits} of ${value.total}` : "nothing due";
  if (metric.count) return `${figures[metric.count]} ${metric.count}`;
  return "";
}

function zone() { return view.months ? view.months.timezone : "UTC"; }

// ---------- tiles ----------

function renderTiles(total) {
  const tiles = METRICS.map((metric) => {
    const value = metricValue(metric, total);
    const lvl = metric.kind === "ratio" ? level(value, metric.lowerIsBetter) : "plain";
    return el("div", { class: `kpi kpi-${lvl}` },
      el("div", { class: "kpi-label" }, metric.label),
      el("div", { class: `kpi-value level-${lvl}${value === null ? " none" : ""}` }, metricText(metric, total)),
      el("div", { class: "kpi-note" }, metricNote(metric, total)));
  });
  $("tiles").replaceChildren(...tiles);
}

// ---------- charts ----------

function chartFrame(box, label) {
  const width = Math.max(320, box.clientWidth);
  const height = box.clientHeight || 250;
  const pad = { left: 44, right: 40, top: 12, bottom: 28 };
  const root = svg("svg", { viewBox: `0 0 ${width} ${height}`, role: "img", "aria-label": label });
  return { root, width, height, pad, plotW: width - pad.left - pad.right, plotH: height - pad.top - pad.bottom };
}

function monthLabels(frame, groups) {
  const axis = svg("g", { class: "axis" });
  const slot = frame.plotW / groups.length;
  const every = Math.max(1, Math.ceil(60 / slot));
  groups.forEach((g, i) => {
    if (i % every) return;
    const text = svg("text", { x: frame.pad.left + (i + 0.5) * slot, y: frame.height - 8, "text-anchor": "middle" });
    text.textContent = g.label;
    axis.append(text);
  });
  return axis;
}

function withTitle(node, text) {
  const title = svg("title", {});
  title.textContent = text;
  node.append(title);
  return node;
}

function ratesChart(box, groups) {
  const frame = chartFrame(box, "On-time and first-time-fix rates by month");
  const { root, pad, plotW, plotH, width } = frame;
  const y = (v) => pad.top + (1 - v) * plotH;
  const grid = svg("g", { class: "grid" });
  const axis = svg("g", { class: "axis" });
  for (const tick of [0, 0.25, 0.5, 0.75, 1]) {
    grid.append(svg("line", { x1: pad.left, x2: width - pad.right, y1: y(tick), y2: y(tick) }));
    const label = svg("text", { x: pad.left - 6, y: y(tick) + 4, "text-anchor": "end" });
    label.textContent = `${tick * 100} %`;
    axis.append(label);
  }
  // The 90 % resolution target of DOMAIN.md, as a dashed line.
  grid.append(svg("line", { class: "target", x1: pad.left, x2: width - pad.right, y1: y(0.9), y2: y(0.9) }));
  const target = svg("text", { class: "target-label", x: width - pad.right + 4, y: y(0.9) + 4 });
  target.textContent = "90 %";
  root.append(grid, axis, target, monthLabels(frame, groups));
  const slot = plotW / groups.length;
  const cx = (i) => pad.left + (i + 0.5) * slot;
  for (const series of RATE_SERIES) {
    let path = "";
    let pen = false;
    groups.forEach((g, i) => {
      const rate = g.figures[series.key].rate;
      if (rate === null) { pen = false; return; }
      path += `${pen ? "L" : "M"}${cx(i)},${y(rate)}`;
      pen = true;
    });
    if (path) root.append(svg("path", { d: path, fill: "none", stroke: series.colour, "stroke-width": 2, "stroke-linejoin": "round" }));
    groups.forEach((g, i) => {
      const ratio = g.figures[series.key];
      if (ratio.rate === null) return;
      root.append(withTitle(svg("circle", { cx: cx(i), cy: y(ratio.rate), r: 3.5, fill: series.colour }),
        `${g.label} · ${series.label} ${pct(ratio.rate)} (${ratio.hits} of ${ratio.total})`));
    });
  }
  return root;
}

function flowChart(box, groups) {
  const frame = chartFrame(box, "Tickets received, resolved and open by month");
  const { root, pad, plotW, plotH, width } = frame;
  const top = Math.max(4, ...groups.map((g) => Math.max(g.figures.received, g.figures.resolved, g.figures.backlog_open)));
  const step = top <= 5 ? 1 : top <= 10 ? 2 : top <= 25 ? 5 : top <= 50 ? 10 : Math.ceil(top / 50) * 10;
  const max = Math.ceil(top / step) * step;
  const y = (v) => pad.top + (1 - v / max) * plotH;
  const grid = svg("g", { class: "grid" });
  const axis = svg("g", { class: "axis" });
  for (let tick = 0; tick <= max; tick += step) {
    grid.append(svg("line", { x1: pad.left, x2: width - pad.right, y1: y(tick), y2: y(tick) }));
    const label = svg("text", { x: pad.left - 6, y: y(tick) + 4, "text-anchor": "end" });
    label.textContent = String(tick);
    axis.append(label);
  }
  root.append(grid, axis, monthLabels(frame, groups));
  const slot = plotW / groups.length;
  const barW = Math.min(22, slot / 3.2);
  groups.forEach((g, i) => {
    const centre = pad.left + (i + 0.5) * slot;
    const f = g.figures;
    root.append(withTitle(svg("rect", { class: "bar-received", x: centre - barW - 1, y: y(f.received), width: barW, height: y(0) - y(f.received) }), `${g.label} · received ${f.received}`));
    root.append(withTitle(svg("rect", { class: "bar-resolved", x: centre + 1, y: y(f.resolved), width: barW, height: y(0) - y(f.resolved) }), `${g.label} · resolved ${f.resolved}`));
  });
  const line = groups.map((g, i) => `${i ? "L" : "M"}${pad.left + (i + 0.5) * slot},${y(g.figures.backlog_open)}`).join("");
  root.append(svg("path", { class: "backlog-line", d: line }));
  groups.forEach((g, i) => {
    root.append(withTitle(svg("circle", { class: "backlog-dot", cx: pad.left + (i + 0.5) * slot, cy: y(g.figures.backlog_open), r: 3.5 }),
      `${g.label} · open at month end ${g.figures.backlog_open}`));
  });
  return root;
}

function legend(items) {
  return items.map(([label, colour, shape]) => el("span", {}, el("i", { class: shape || "", style: `background: ${colour}` }), label));
}

function renderCharts(months) {
  const groups = months.groups;
  if (!groups.length) {
    $("rates-chart").replaceChildren(el("p", { class: "muted" }, "No months in this range."));
    $("flow-chart").replaceChildren();
    return;
  }
  $("rates-chart").replaceChildren(ratesChart($("rates-chart"), groups));
  $("rates-legend").replaceChildren(...legend([...RATE_SERIES.map((s) => [s.label, s.colour]), ["target 90 %", "#9aa6b8"]]));
  $("flow-chart").replaceChildren(flowChart($("flow-chart"), groups));
  $("flow-legend").replaceChildren(...legend([["received", "#8fb3e0", "swatch"], ["resolved", "#2e9e5b", "swatch"], ["open at month end", "#d64545"]]));
}

// ---------- comparison, ageing, table ----------

function renderCompare(grouped) {
  const metric = METRICS.find((m) => m.key === view.metric);
  $("compare-title").textContent = `${metric.label} by ${GROUPS[grouped.group_by].toLowerCase()}`;
  const rows = grouped.groups.map((g) => ({ g, value: metricValue(metric, g.figures) }));
  const most = Math.max(0, ...rows.map((r) => (r.value === null ? 0 : metric.kind === "ratio" ? 1 : r.value)));
  if (!rows.length) { $("compare").replaceChildren(el("p", { class: "muted" }, "Nothing happened in this range.")); return; }
  $("compare").replaceChildren(el("div", { class: "bar-rows wide" }, ...rows.map(({ g, value }) => {
    const lvl = metric.kind === "ratio" ? level(value, metric.lowerIsBetter) : "plain";
    const width = value === null || !most ? 0 : (metric.kind === "ratio" ? value : value / most) * 100;
    return el("div", { class: "bar-row" },
      el("span", { class: "label", title: g.label }, g.label),
      el("div", { class: `bar lvl-${lvl}` }, el("span", { style: `width: ${width.toFixed(1)}%` })),
      el("span", { class: "value" }, metricText(metric, g.figures), " ", el("span", { class: "muted" }, metricNote(metric, g.figures))));
  })));
}

function renderAgeing(total, until) {
  $("backlog-at").textContent = `at ${fmtPlantTime(until, zone())} ${zoneAbbreviation(zone(), until)} · ${total.backlog_open} open`;
  const most = Math.max(1, ...total.backlog.map((b) => b.count));
  $("ageing").replaceChildren(el("div", { class: "bar-rows" }, ...total.backlog.map((band, i) =>
    el("div", { class: "bar-row" },
      el("span", { class: "label" }, band.label),
      el("div", { class: `bar age-${i}` }, el("span", { style: `width: ${((band.count / most) * 100).toFixed(1)}%` })),
      el("span", { class: "value" }, `${band.count} ticket${band.count === 1 ? "" : "s"}`)))));
}

function ratioCell(ratio, lowerIsBetter) {
  if (!ratio.total) return el("td", { class: "num nodata" }, "—");
  return el("td", { class: `num level-${level(ratio.rate, lowerIsBetter)}` }, pct(ratio.rate),
    el("div", { class: "sub" }, `${ratio.hits} of ${ratio.total}`));
}

function renderTable(grouped) {
  $("table-title").textContent = `Figures by ${GROUPS[grouped.group_by].toLowerCase()}`;
  const head = [GROUPS[grouped.group_by], "Received", "Resolved", "Response", "Arrival", "Resolution", "First-time fix", "MTTR", "Repeat faults", "Satisfaction", "Complaints", "Open"];
  const row = (label, f, strong) => el("tr", { class: strong ? "total-row" : "" },
    el("td", { class: "group-label" }, label),
    el("td", { class: "num" }, String(f.received)),
    el("td", { class: "num" }, String(f.resolved)),
    ratioCell(f.response_on_time), ratioCell(f.arrival_on_time), ratioCell(f.resolution_on_time),
    ratioCell(f.first_time_fix),
    el("td", { class: "num" }, hours(f.mttr_s), el("div", { class: "sub" }, f.repairs ? `${f.repairs} repairs` : "")),
    ratioCell(f.repeat_faults, true),
    el("td", { class: "num" }, score(f.satisfaction), el("div", { class: "sub" }, f.surveys ? `${f.surveys} surveys` : "")),
    el("td", { class: `num${f.complaints ? " level-poor" : ""}` }, String(f.complaints)),
    el("td", { class: "num" }, String(f.backlog_open)));
  const rows = grouped.groups.map((g) => row(g.label, g.figures, false));
  rows.push(row("All", grouped.total, true));
  $("groups-table").replaceChildren(el("table", { class: "table kpi-table" },
    el("thead", {}, el("tr", {}, ...head.map((h, i) => el("th", { class: i ? "num" : "" }, h)))),
    el("tbody", {}, ...rows)));
}

// ---------- loading ----------

function showStatus(message, kind) {
  $("kpi-status").textContent = message;
  $("kpi-status").className = `report-status${kind ? ` ${kind}` : ""}`;
}

function syncControls() {
  for (const button of $("group-by").querySelectorAll("button")) {
    button.classList.toggle("active", button.dataset.group === view.groupBy);
  }
  if (view.months) {
    $("from-date").value = plantDate(view.months.since);
    $("to-date").value = plantDate(new Date(new Date(view.months.until).getTime() - 1).toISOString());
  }
  const params = new URLSearchParams({ group_by: view.groupBy });
  if (view.from) params.set("from", view.from);
  if (view.to) params.set("to", view.to);
  history.replaceState(null, "", `${window.location.pathname}?${params}`);
}

function plantDate(iso) { return new Date(iso).toLocaleDateString("en-CA", { timeZone: zone() }); }

async function load() {
  const request = ++view.request;
  showStatus("Loading…", "loading");
  const range = { from: view.from, to: view.to };
  try {
    const months = await api("/kpis/service", { group_by: "month", ...range });
    const grouped = view.groupBy === "month" ? months : await api("/kpis/service", { group_by: view.groupBy, ...range });
    if (request !== view.request) return;
    view.months = months;
    view.grouped = grouped;
    render();
    showStatus("");
    // Staff only: a customer's request answers 403 and the section stays hidden.
    if (view.me && view.me.role !== "customer") {
      await renderCosts({ from: $("from-date").value, to: $("to-date").value, groupBy: view.groupBy });
    }
  } catch (err) {
    if (request !== view.request) return;
    if (err instanceof SignedOut) { goToSignIn(); return; }
    showStatus(err.message, "error");
  }
}

function render() {
  const months = view.months;
  const first = plantDate(months.since);
  const last = plantDate(new Date(new Date(months.until).getTime() - 1).toISOString());
  const scope = view.me && view.me.customer_name ? view.me.customer_name : "all customers";
  $("kpi-sub").textContent = `${scope} · ${first} to ${last} · dates in ${zoneAbbreviation(months.timezone, months.until)} (${months.timezone})`;
  $("as-of").textContent = `as of ${fmtPlantTime(months.until, zone())} ${zoneAbbreviation(zone(), months.until)}`;
  renderTiles(months.total);
  renderCharts(months);
  renderCompare(view.grouped);
  renderAgeing(months.total, months.until);
  renderTable(view.grouped);
  syncControls();
  // The review of the last full month by default, on the service clock (the plant may run ahead).
  if (!$("review-month").value) {
    const [year, month] = last.split("-").map(Number);
    const index = year * 12 + month - 2;
    $("review-month").value = `${Math.floor(index / 12)}-${String((index % 12) + 1).padStart(2, "0")}`;
  }
}

function monthsBack(count) {
  const end = view.months ? new Date(new Date(view.months.until).getTime() - 1) : new Date();
  const today = end.toLocaleDateString("en-CA", { timeZone: zone() });
  const [year, month] = today.split("-").map(Number);
  const index = year * 12 + month - 1 - (count - 1);
  return { from: `${Math.floor(index / 12)}-${String((index % 12) + 1).padStart(2, "0")}-01`, to: today };
}

function wireControls() {
  for (const button of $("group-by").querySelectorAll("button")) {
    button.addEventListener("click", () => { view.groupBy = button.dataset.group; load(); });
  }
  for (const button of $("range-preset").querySelectorAll("button")) {
    button.addEventListener("click", () => { Object.assign(view, monthsBack(Number(button.dataset.months))); load(); });
  }
  // ISO dates typed or pasted ("2026-11-29"), as every page shows them.
  const chooseDates = () => {
    const from = $("from-date").value.trim();
    const to = $("to-date").value.trim();
    const isDate = (text) => /^\d{4}-\d{2}-\d{2}$/.test(text) && !Number.isNaN(Date.parse(`${text}T00:00:00Z`));
    const wrong = [from, to].find((text) => !isDate(text));
    let problem = wrong === undefined ? "" : `"${wrong}" is no date: write it as YYYY-MM-DD.`;
    if (!problem && from > to) problem = "The first date must not be after the last.";
    $("date-error").textContent = problem;
    $("date-error").hidden = !problem;
    if (problem) return;
    view.from = from;
    view.to = to;
    load();
  };
  $("from-date").addEventListener("change", chooseDates);
  $("to-date").addEventListener("change", chooseDates);
  $("metric").replaceChildren(...METRICS.map((m) => el("option", { value: m.key }, m.label)));
  $("metric").value = view.metric;
  $("metric").addEventListener("change", (event) => { view.metric = event.target.value; renderCompare(view.grouped); });
  $("download-csv").addEventListener("click", (event) => download("csv", event.currentTarget));
  $("download-pdf").addEventListener("click", (event) => download("pdf", event.currentTarget));
  window.addEventListener("resize", () => { if (view.months) renderCharts(view.months); });
}

async function start() {
  takeTokenFromLink();
  try {
    view.me = await api("/me");
    showSignedIn(view.me);
  } catch (err) {
    if (err instanceof SignedOut) { goToSignIn(); return; }
    showStatus(err.message, "error");
  }
  if (view.me && !["desk", "support", "admin", "customer"].includes(view.me.role)) {
    showRefusal("Service KPIs are for the service desk, support and customers.");
    return;
  }
  // Staffing is internal, and a customer's figures are their own: no grouping by engineer
  // or by customer for them.
  if (view.me && view.me.role === "customer") {
    for (const button of $("group-by").querySelectorAll("[data-staff]")) button.remove();
    if (view.groupBy === "engineer" || view.groupBy === "customer") view.groupBy = "month";
  }
  $("kpi-page").hidden = false;
  await load();
}

document.addEventListener("DOMContentLoaded", () => {
  wireControls();
  start();
});
