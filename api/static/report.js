// LineCare OEE report page: one line over a range, from /api/reports/lines/{id}.
// Vanilla JS, no build step, no external assets; strings from the API enter the page as text.
import { apiFetch, goToSignIn, SignedOut, takeTokenFromLink } from "./api_client.js";
import { showRefusal, showSignedIn } from "./top_bar.js";
import { $, el, fmtNumber, fmtPct, svg } from "./dom.js";
import { fmtPlantTime, zoneAbbreviation } from "./plant_time.js";

const PERIODS = ["shift", "day", "week", "month"];
const DAY_MS = 24 * 3600000;
// The console's thresholds: green from 85 %, amber from 60 %, red below.
const GOOD = 0.85;
const FAIR = 0.6;

// The address holds what is shown (?line=line-1&period=day&since=..&until=..) so it can be
// bookmarked and shared; the token never goes into it.
const query = new URLSearchParams(window.location.search);

const view = {
  lineId: query.get("line"),
  period: PERIODS.includes(query.get("period")) ? query.get("period") : "day",
  since: query.get("since"),
  until: query.get("until"),
  anchor: null, // the newest data time of the line: where presets count back from
  report: null,
  request: 0,
};

// ---------- API access ----------

async function api(path, params) { return (await apiFetch(path, { params })).json(); }

function reportParams() {
  return { period: view.period, since: view.since, until: view.until };
}

// A linked token travels in a header, which a plain link cannot send: fetch the file,
// then hand the browser the blob under the server's file name.
async function download(kind, button) {
  if (!view.report) return;
  button.disabled = true;
  try {
    const params = { period: view.period, since: view.report.since, until: view.report.until };
    const response = await apiFetch(`/reports/lines/${encodeURIComponent(view.lineId)}/report.${kind}`, { params, headers: { Accept: "*/*" } });
    const blob = await response.blob();
    const disposition = response.headers.get("Content-Disposition") || "";
    const match = disposition.match(/filename="([^"]+)"/);
    const link = el("a", { href: URL.createObjectURL(blob), download: match ? match[1] : `oee-report.${kind}` });
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(link.href), 10000);
  } catch (err) {
    if (err instanceof SignedOut) { goToSignIn(); return; }
    showStatus(`The ${kind.toUpperCase()} download failed: ${err.message}`, "error");
  } finally {
    button.disabled = false;
  }
}

// ---------- plant time ----------

// Dates and times show in the plant's time zone: a report is about the plant's shifts.
function zone() { return view.report ? view.report.site.timezone : undefined; }

// One convention on every page: ISO dates and the 24 h clock, whatever the browser's locale.
function fmtDateTime(iso) { return fmtPlantTime(iso, zone()); }

function plantDate(iso) {
  return new Date(iso).toLocaleDateString("en-CA", { timeZone: zone() }); // YYYY-MM-DD
}

function zoneOffsetMs(utcMs, timeZone) {
  const parts = Object.fromEntries(new Intl.DateTimeFormat("en-US", {
    timeZone, hourCycle: "h23", year: "numeric", month: "2-digit", day: "2-digit",
    hour: "2-digit", minute: "2-digit", second: "2-digit",
  }).formatToParts(new Date(utcMs)).map((p) => [p.type, p.value]));
  const wall = Date.UTC(parts.year, parts.month - 1, parts.day, parts.hour, parts.minute, parts.second);
  return wall - utcMs;
}

// Midnight at the start of a plant date (YYYY-MM-DD), as an instant.
function plantMidnight(isoDate) {
  const [year, month, day] = isoDate.split("-").map(Number);
  const wall = Date.UTC(year, month - 1, day);
  let instant = wall - zoneOffsetMs(wall, zone());
  instant = wall - zoneOffsetMs(instant, zone());
  return instant;
}

// ---------- formatting ----------

function level(value) {
  if (value === null || value === undefined) return "none";
  return value >= GOOD ? "good" : value >= FAIR ? "fair" : "poor";
}

function hours(seconds) { return seconds === null || seconds === undefined ? "—" : `${fmtNumber(seconds / 3600, 1)} h`; }

function duration(seconds) {
  if (seconds < 60) return `${Math.round(seconds)} s`;
  const minutes = Math.round(seconds / 60);
  return minutes < 60 ? `${minutes} min` : `${Math.floor(minutes / 60)} h ${String(minutes % 60).padStart(2, "0")} min`;
}

function pct0(value) { return `${Math.round(value * 100)} %`; }

function hasData(figures) { return figures.planned_busy_s > 0; }

const PROBLEM_NOTE = "Performance above 100 %: a data problem (ideal cycle time or counters), not a figure.";

function problem() { return el("span", { class: "problem", title: PROBLEM_NOTE }, "⚠ data problem"); }

function pctCell(value, { flagged = false, strong = false } = {}) {
  if (flagged) return el("td", { class: "num" }, problem());
  if (value === null || value === undefined) return el("td", { class: "num nodata" }, "no data");
  return el("td", { class: `num level-${level(value)}${strong ? " strong" : ""}` }, fmtPct(value));
}

function shortLabel(point) {
  if (view.period === "week" || view.period === "month") return point.label;
  const day = fmtPlantTime(point.start, zone()).slice(5, 10); // MM-DD: the axis has little room
  if (view.period === "day") return day;
  return `${day} ${point.label.split(" ").slice(1).join(" ")}`;
}

// ---------- the trend chart ----------
// A, P, Q and OEE per period on a 0–100 % scale. A period with a data problem is shaded
// amber and has no P and OEE point; a period without data is shaded grey and has none.

const SERIES = [
  { key: "availability", label: "Availability", css: "line-availability", colour: "var(--running)" },
  { key: "performance", label: "Performance", css: "line-performance", colour: "var(--suspended)" },
  { key: "quality", label: "Quality", css: "line-quality", colour: "#8e5bb5" },
  { key: "oee", label: "OEE", css: "line-oee", colour: "var(--accent)" },
];

function trendLegend() {
  return [
    ...SERIES.map((s) => el("span", {}, el("i", { style: `background: ${s.colour}` }), s.label)),
    el("span", {}, el("i", { class: "swatch", style: "background: #fff4d6; border: 1px solid #f0d88a" }), "data problem"),
    el("span", {}, el("i", { class: "swatch", style: "background: #eef0f3; border: 1px solid #d9dde3" }), "no data"),
  ];
}

function tipText(point) {
  const f = point.figures;
  if (!hasData(f)) return `${point.label} · no data`;
  const perf = f.performance_flagged ? "data problem" : fmtPct(f.performance);
  const oee = f.performance_flagged ? "data problem" : fmtPct(f.oee);
  return `${point.label} · A ${fmtPct(f.availability)} · P ${perf} · Q ${fmtPct(f.quality)} · OEE ${oee}`;
}

function trendChart(box, points, shortLabel) {
  const width = Math.max(320, box.clientWidth);
  const height = box.clientHeight || 280;
  const pad = { left: 46, right: 12, top: 10, bottom: 30 };
  const plotW = width - pad.left - pad.right;
  const plotH = height - pad.top - pad.bottom;
  const root = svg("svg", { viewBox: `0 0 ${width} ${height}`, role: "img", "aria-label": "OEE trend" });
  const y = (v) => pad.top + (1 - Math.max(0, Math.min(1, v))) * plotH;
  if (!points.length) {
    const text = svg("text", { x: width / 2, y: height / 2, "text-anchor": "middle", fill: "#6b7687" });
    text.textContent = "No OEE results in this range";
    root.append(text);
    return root;
  }
  const slot = plotW / points.length;
  const cx = (i) => pad.left + (i + 0.5) * slot;

  points.forEach((p, i) => {
    if (!hasData(p.figures)) root.append(svg("rect", { class: "slot-nodata", x: pad.left + i * slot, y: pad.top, width: slot, height: plotH }));
    else if (p.figures.performance_flagged) root.append(svg("rect", { class: "slot-problem", x: pad.left + i * slot, y: pad.top, width: slot, height: plotH }));
  });

  const grid = svg("g", { class: "grid" });
  const axis = svg("g", { class: "axis" });
  for (const tick of [0, 0.25, 0.5, 0.75, 1]) {
    grid.append(svg("line", { x1: pad.left, x2: width - pad.right, y1: y(tick), y2: y(tick) }));
    const label = svg("text", { x: pad.left - 6, y: y(tick) + 4, "text-anchor": "end" });
    label.textContent = `${tick * 100} %`;
    axis.append(label);
  }
  const labels = points.map(shortLabel);
  const widest = Math.max(...labels.map((l) => l.length)) * 6.2 + 8;
  const every = Math.max(1, Math.ceil(widest / slot));
  let drawnTo = -Infinity;
  labels.forEach((text, i) => {
    if (i % every) return;
    // The first and last labels may be wider than their slots: kept inside the chart,
    // and one pushed onto its neighbour is left out.
    const half = (text.length * 6.2) / 2;
    const x = Math.max(half + 2, Math.min(width - half - 2, cx(i)));
    if (x - half < drawnTo + 4) return;
    const label = svg("text", { x, y: height - 10, "text-anchor": "middle" });
    label.textContent = text;
    axis.append(label);
    drawnTo = x + half;
  });
  root.append(grid, axis);

  for (const series of SERIES) {
    let d = "";
    let open = false;
    points.forEach((p, i) => {
      const value = p.figures[series.key];
      if (value === null || value === undefined) { open = false; return; }
      d += `${open ? "L" : "M"}${cx(i)},${y(value)}`;
      open = true;
    });
    if (d) root.append(svg("path", { class: series.css, d, "stroke-linejoin": "round" }));
    // A period with no neighbour to join gets a short level mark and a dot of its series,
    // so one day of data reads as four figures, not as a lone dot.
    const valueAt = (i) => (i >= 0 && i < points.length ? points[i].figures[series.key] : null);
    const half = Math.min(slot * 0.3, 24);
    points.forEach((p, i) => {
      const value = valueAt(i);
      if (value === null || value === undefined) return;
      if (valueAt(i - 1) !== null && valueAt(i - 1) !== undefined) return;
      if (valueAt(i + 1) !== null && valueAt(i + 1) !== undefined) return;
      root.append(svg("path", { class: series.css, d: `M${cx(i) - half},${y(value)}L${cx(i) + half},${y(value)}` }));
      root.append(svg("circle", { cx: cx(i), cy: y(value), r: 3, fill: series.colour }));
    });
  }
  points.forEach((p, i) => {
    if (p.figures.oee !== null) root.append(svg("circle", { class: "dot-oee", cx: cx(i), cy: y(p.figures.oee), r: 3 }));
  });

  const tip = el("div", { class: "tip", hidden: true });
  points.forEach((p, i) => {
    const hover = svg("rect", { class: "hover-slot", x: pad.left + i * slot, y: pad.top, width: slot, height: plotH });
    hover.addEventListener("mouseenter", () => {
      tip.hidden = false;
      tip.textContent = tipText(p);
      const rect = root.getBoundingClientRect();
      const px = (cx(i) / width) * rect.width;
      tip.style.left = `${Math.max(0, Math.min(rect.width - 380, px + 10))}px`;
    });
    hover.addEventListener("mouseleave", () => { tip.hidden = true; });
    root.append(hover);
  });
  const wrap = el("div", { style: "position: relative; width: 100%; height: 100%" });
  wrap.append(root, tip);
  return wrap;
}

// ---------- rendering ----------

function showStatus(message, kind) {
  const box = $("report-status");
  box.className = `report-status${kind ? ` ${kind}` : ""}`;
  box.textContent = message || "";
}

function renderHead(report) {
  document.title = `LineCare · OEE report · ${report.line.name}`;
  $("line-title").textContent = `OEE report · ${report.line.name}`;
  $("line-sub").textContent = `${report.customer.name} · ${report.site.name} · ${report.line.model} S/N ${report.line.serial}`
    + ` · ${fmtDateTime(report.since)} – ${fmtDateTime(report.until)} ${zoneAbbreviation(report.site.timezone, report.until)}`;
  $("since-date").value = plantDate(report.since);
  $("until-date").value = plantDate(report.until);
  const days = Math.round((new Date(report.until) - new Date(report.since)) / DAY_MS);
  for (const b of $("range-preset").querySelectorAll("button")) {
    b.classList.toggle("active", Number(b.dataset.days) === days && view.anchor === report.until);
  }
}

// The controls show what was asked for, also while it loads or when it was refused.
function renderControls() {
  for (const b of $("period").querySelectorAll("button")) b.classList.toggle("active", b.dataset.period === view.period);
  $("line-select").value = view.lineId || "";
}

function kpiTile(label, value, { flagged = false, main = false } = {}) {
  if (flagged) {
    return el("div", { class: `kpi${main ? " main" : ""}` },
      el("div", { class: "kpi-label" }, label),
      el("div", { class: "kpi-value problem", title: PROBLEM_NOTE }, "⚠ data problem"),
      el("div", { class: "kpi-note" }, "performance above 100 %: check cycle times and counters"));
  }
  const lvl = level(value);
  return el("div", { class: `kpi ${lvl}${main ? " main" : ""}` },
    el("div", { class: "kpi-label" }, label),
    el("div", { class: `kpi-value ${lvl}` }, value === null || value === undefined ? "no data" : fmtPct(value)),
    el("div", { class: "bar" }, el("span", { style: `width: ${Math.min(100, (value || 0) * 100)}%` })));
}

function renderKpis(line) {
  const f = line ? line.figures : null;
  $("kpis").replaceChildren(
    kpiTile("Availability", f ? f.availability : null),
    kpiTile("Performance", f ? f.performance : null, { flagged: f && f.performance_flagged }),
    kpiTile("Quality", f ? f.quality : null),
    kpiTile("OEE", f ? f.oee : null, { flagged: f && f.performance_flagged, main: true }));
  if (!f) {
    $("coverage").textContent = "No OEE results for this line in this range.";
    return;
  }
  const observed = f.planned_busy_s + f.unknown_s;
  const parts = f.good_count + f.reject_count;
  $("coverage").textContent = `Planned busy time ${hours(f.planned_busy_s)}`
    + ` · without data ${hours(f.unknown_s)} (${fmtPct(observed ? f.unknown_s / observed : 0)}), left out of the figures`
    + ` · good parts ${fmtNumber(f.good_count, 0)} · rejects ${fmtNumber(f.reject_count, 0)}`
    + ` (${fmtPct(parts ? f.reject_count / parts : 0)})`;
}

function renderTrend(report) {
  $("trend-title").textContent = `Trend by ${report.period}`;
  $("trend-legend").replaceChildren(...trendLegend());
  const box = $("trend-chart");
  box.replaceChildren(trendChart(box, report.trend, shortLabel));
}

function barRow(label, fraction, barClass, value, title) {
  return el("div", { class: "bar-row", title: title || label },
    el("span", { class: "label" }, label),
    el("div", { class: "bar" }, el("span", { class: barClass, style: `width: ${Math.max(0, Math.min(1, fraction)) * 100}%` })),
    el("span", { class: "value" }, ...value));
}

function renderLosses(line) {
  if (!line) {
    $("losses").replaceChildren(el("div", { class: "empty" }, "No OEE results in this range."));
    return;
  }
  const longest = Math.max(0, ...line.losses.map((l) => l.seconds));
  const groups = ["availability", "performance", "quality"];
  $("losses").replaceChildren(el("div", { class: "bar-rows" }, groups.flatMap((group) => [
    el("div", { class: "group-title" }, `${group} losses`),
    ...line.losses.filter((l) => l.group === group).map((l) => barRow(
      l.label, longest ? l.seconds / longest : 0, group,
      [hours(l.seconds), el("span", { class: "muted" }, lossCount(l))])),
  ])));
}

// Reduced speed has no events to count: its loss is slower running, not stops.
function lossCount(loss) {
  if (loss.category === "reduced_speed") return "";
  return ` · ${fmtNumber(loss.count, 0)} ${loss.group === "quality" ? "parts" : "stops"}`;
}

function renderShifts(rows) {
  if (!rows.length) {
    $("shifts").replaceChildren(el("div", { class: "empty" }, "No shifts in this range."));
    return;
  }
  const heads = ["Shift", "Shifts", "Availability", "Performance", "Quality", "OEE", "No data"];
  $("shifts").replaceChildren(el("table", { class: "table" },
    el("thead", {}, el("tr", {}, heads.map((h, i) => el("th", { class: i ? "num" : "" }, h)))),
    el("tbody", {}, rows.map((s) => el("tr", {},
      el("td", {}, el("strong", {}, s.shift_name)),
      el("td", { class: "num" }, s.shift_count),
      pctCell(s.figures.availability),
      pctCell(s.figures.performance, { flagged: s.figures.performance_flagged }),
      pctCell(s.figures.quality),
      pctCell(s.figures.oee, { flagged: s.figures.performance_flagged, strong: true }),
      el("td", { class: "num muted" }, hours(s.figures.unknown_s)))))));
}

function renderMachines(report) {
  const reliability = new Map(report.reliability.map((r) => [r.machine_id, r]));
  const subjects = [...(report.summary.line ? [report.summary.line] : []), ...report.summary.machines];
  if (!subjects.length) {
    $("machines").replaceChildren(el("div", { class: "empty" }, "No OEE results in this range."));
    return;
  }
  const heads = ["", "Availability", "Performance", "Quality", "OEE", "No data", "Good", "Rejects", "Failures", "MTBF", "MTTR"];
  const rows = subjects.map((s, i) => {
    const f = s.figures;
    const r = reliability.get(s.subject_id);
    const isLine = i === 0 && report.summary.line;
    return el("tr", { class: isLine ? "line-row" : "" },
      el("td", {}, isLine ? `${s.name} (line)` : s.name),
      pctCell(f.availability),
      pctCell(f.performance, { flagged: f.performance_flagged }),
      pctCell(f.quality),
      pctCell(f.oee, { flagged: f.performance_flagged, strong: true }),
      el("td", { class: "num muted" }, hours(f.unknown_s)),
      el("td", { class: "num" }, fmtNumber(f.good_count, 0)),
      el("td", { class: "num" }, fmtNumber(f.reject_count, 0)),
      el("td", { class: "num" }, r ? r.failures : ""),
      el("td", { class: "num", title: "Mean time between failures" }, r ? hours(r.mtbf_s) : ""),
      el("td", { class: "num", title: "Mean time to repair" }, r ? hours(r.mttr_s) : ""));
  });
  $("machines").replaceChildren(el("table", { class: "table" },
    el("thead", {}, el("tr", {}, heads.map((h, i) => el("th", { class: i ? "num" : "" }, h)))),
    el("tbody", {}, rows)));
}

function renderPareto(bars) {
  const total = bars.reduce((sum, b) => sum + b.seconds, 0);
  $("pareto-total").textContent = bars.length ? `${hours(total)} machine-hours in ${fmtNumber(bars.reduce((n, b) => n + b.count, 0), 0)} machine stops` : "";
  if (!bars.length) {
    $("pareto").replaceChildren(el("div", { class: "empty" }, "No downtime in this range."));
    return;
  }
  const longest = bars[0].seconds;
  $("pareto").replaceChildren(el("div", { class: "bar-rows wide" }, bars.map((b, i) => {
    const reason = b.fault_code === null ? b.reason : `${b.reason} (fault ${b.fault_code})`;
    return barRow(reason, longest ? b.seconds / longest : 0, `pareto${i === 0 ? " top" : ""}`,
      [hours(b.seconds), el("span", { class: "muted" }, ` · ${b.count} stops · ${pct0(b.share)} · cum. ${pct0(b.cumulative_share)}`)],
      `${reason}: ${b.count} stops, ${fmtPct(b.share)} of all downtime, ${fmtPct(b.cumulative_share)} with the reasons above`);
  })));
}

function renderDowntimes(report) {
  const rows = [...report.downtimes].reverse(); // newest first
  $("downtime-count").textContent = `${rows.length}${report.downtimes_truncated ? "+" : ""}`;
  if (!rows.length) {
    $("downtimes").replaceChildren(el("div", { class: "empty" }, "No stops in this range."));
    return;
  }
  const heads = ["Machine", "Start", "End", "Duration", "Lost", "Category", "Fault", "Reason"];
  const table = el("table", { class: "table" },
    el("thead", {}, el("tr", {}, heads.map((h, i) => el("th", { class: [3, 4, 6].includes(i) ? "num" : "" }, h)))),
    el("tbody", {}, rows.map((d) => el("tr", {},
      el("td", {}, d.machine_name),
      el("td", { class: "nowrap" }, fmtDateTime(d.start)),
      el("td", { class: "nowrap muted" }, fmtDateTime(d.end)),
      el("td", { class: "num" }, duration(d.duration_s)),
      el("td", { class: "num", title: "Inside planned busy time with data" }, duration(d.lost_s)),
      el("td", {}, d.category.replaceAll("_", " ")),
      el("td", { class: "num" }, d.fault_code === null ? "" : d.fault_code),
      el("td", {}, d.reason)))));
  const note = report.downtimes_truncated
    ? el("div", { class: "note" }, `The range holds more than ${report.downtime_limit} stops; these are the first. Narrow the range to see the rest.`)
    : null;
  $("downtimes").replaceChildren(table, ...(note ? [note] : []));
}

function render(report) {
  renderHead(report);
  renderKpis(report.summary.line);
  renderTrend(report);
  renderLosses(report.summary.line);
  renderShifts(report.shift_comparison);
  renderMachines(report);
  renderPareto(report.pareto);
  renderDowntimes(report);
}

// ---------- loading ----------

function syncAddress() {
  const params = new URLSearchParams({ line: view.lineId, period: view.period });
  if (view.since) params.set("since", view.since);
  if (view.until) params.set("until", view.until);
  history.replaceState(null, "", `${window.location.pathname}?${params}`);
}

async function load() {
  const request = ++view.request;
  syncAddress();
  renderControls();
  showStatus("Loading…", "loading");
  try {
    const report = await api(`/reports/lines/${encodeURIComponent(view.lineId)}`, reportParams());
    if (request !== view.request) return; // a newer request is under way
    if (!view.until) view.anchor = report.until;
    view.report = report;
    render(report);
    showStatus("");
  } catch (err) {
    if (request !== view.request) return;
    if (err instanceof SignedOut) { goToSignIn(); return; }
    showStatus(err.message, "error");
  }
}

function choosePreset(days) {
  const end = view.anchor || (view.report && view.report.until);
  if (!end) return;
  view.until = end;
  view.since = new Date(new Date(end).getTime() - days * DAY_MS).toISOString();
  load();
}

const ISO_DATE = /^\d{4}-\d{2}-\d{2}$/;

// The fields take ISO dates typed or pasted ("2026-11-29"), as every page shows them.
function chooseDates() {
  const from = $("since-date").value.trim();
  const to = $("until-date").value.trim();
  const wrong = [from, to].find((text) => !ISO_DATE.test(text) || Number.isNaN(Date.parse(`${text}T00:00:00Z`)));
  $("date-error").textContent = wrong === undefined ? "" : `"${wrong}" is no date: write it as YYYY-MM-DD.`;
  $("date-error").hidden = wrong === undefined;
  if (wrong !== undefined || !view.report) return;
  if (from > to) {
    $("date-error").textContent = "The first date must not be after the last.";
    $("date-error").hidden = false;
    return;
  }
  view.since = new Date(plantMidnight(from)).toISOString();
  // The whole last day: up to the last millisecond before the next plant midnight.
  const next = new Date(Date.parse(`${to}T00:00:00Z`) + DAY_MS).toISOString().slice(0, 10);
  view.until = new Date(plantMidnight(next) - 1).toISOString();
  load();
}

function wireControls() {
  for (const button of $("range-preset").querySelectorAll("button")) {
    button.addEventListener("click", () => choosePreset(Number(button.dataset.days)));
  }
  for (const button of $("period").querySelectorAll("button")) {
    button.addEventListener("click", () => { view.period = button.dataset.period; load(); });
  }
  $("since-date").addEventListener("change", chooseDates);
  $("until-date").addEventListener("change", chooseDates);
  $("line-select").addEventListener("change", (event) => {
    view.lineId = event.target.value;
    view.since = null;
    view.until = null;
    view.anchor = null;
    load();
  });
  $("download-csv").addEventListener("click", (event) => download("csv", event.currentTarget));
  $("download-pdf").addEventListener("click", (event) => download("pdf", event.currentTarget));
  window.addEventListener("resize", () => { if (view.report) renderTrend(view.report); });
}

async function start() {
  takeTokenFromLink();
  try {
    const [me, lines] = await Promise.all([api("/me"), api("/lines")]);
    showSignedIn(me);
    if (!lines.length) { showRefusal("There is no line you may see."); return; }
    // A line asked for by address that is not one of the user's is said to be unknown,
    // never quietly swapped for another line: a reader must not mistake whose report this is.
    if (view.lineId && !lines.some((l) => l.id === view.lineId)) {
      showRefusal(`There is no line "${view.lineId}" among the lines you may see.`);
      return;
    }
    if (!view.lineId) view.lineId = lines[0].id;
    $("line-select").replaceChildren(...lines.map((l) => el("option", { value: l.id }, `${l.name} · ${l.customer.name}`)));
    $("line-select").value = view.lineId;
  } catch (err) {
    if (err instanceof SignedOut) { goToSignIn(); return; }
    showStatus(err.message, "error");
  }
  $("report").hidden = false;
  await load();
}

document.addEventListener("DOMContentLoaded", () => {
  wireControls();
  start();
});
